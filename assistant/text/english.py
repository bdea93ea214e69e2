"""An English question gets its answer's lead-ins and labels in English; the quotes stay in Chinese,
exactly as the documents have them (citations must match the text)."""

from __future__ import annotations

import re

ENGLISH_SHARE = 0.5  # a question whose letters are at least this share Latin is asked in English
_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# lead-ins and labels the composer writes, longest first
LABELS = (
    ("一般不能，但有例外：", "Generally no, with exceptions: "),
    ("符合条件的可以：", "Yes, if the conditions are met: "),
    ("需要（有条件）：", "Yes, under conditions: "),
    ("可以不予：", "May be refused: "),
    ("不需要：", "No, not required: "),
    ("依据规定：", "Per the text: "),
    ("已废止：", "Repealed: "),
    ("已施行：", "In force: "),
    ("不能：", "No: "),
    ("需要：", "Yes, required: "),
    ("可以：", "Yes: "),
    ("有：", "Yes: "),
    ("不是：", "No: "),
    ("没有：", "No: "),
    ("是：", "Yes: "),
    ("不符合（所述", "Does not meet (stated "),
    ("符合（所述", "Meets (stated "),
    ("需核实（所述", "To be checked (stated "),
    ("；条件：", "; condition: "),
    ("出处：", "Source: "),
    ("另见", "See also "),
    ("事项：", "Item: "),
)
ISSUED = ("》的落款：", "》 is signed: ")  # the sign-off of a document asked who issued it
_LEAD = re.compile("(^|\n|；)(" + "|".join(re.escape(chinese) for chinese, _ in LABELS) + ")")
_GAP = re.compile(r"知识库中没有找到回答“([^”]*)”的条款")
NEAREST_FOR_GAP = ("，最接近的是：", "; the nearest clause: ")  # after a gap, the sentence read that came closest


def is_english(question: str) -> bool:
    latin, cjk = len(_LATIN.findall(question)), len(_CJK.findall(question))
    return latin + cjk > 0 and latin / (latin + cjk) >= ENGLISH_SHARE


def english_labels(text: str) -> str:
    """The answer with its labels in English (quotes untouched: only text the composer wrote changes)."""
    table = dict(LABELS)
    text = _GAP.sub(lambda m: f"No clause found that answers “{m.group(1)}”", text).replace(*NEAREST_FOR_GAP).replace(*ISSUED)
    return _LEAD.sub(lambda m: m.group(1).replace("；", "; ") + table[m.group(2)], text)
