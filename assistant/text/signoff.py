"""A notice's sign-off: the issuing bodies on the lines before a date at its very end
(东莞市知识产权局 / 2017年8月1日), with the offsets a citation quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass

SIGN_OFF_LINES = 6  # a notice signs off in its last lines
DATE_LINE_MAX_CHARS = 16  # "2023年8月9日印发" and no more
BODY_MAX_CHARS = 25  # one issuing body's name
BODY_SUFFIX = r"(人民政府|政府|委员会|办公室|办公厅|局|厅|部|院|署|会|中心|分局|管委会)"  # how a body's name ends
_BODY_END = re.compile(BODY_SUFFIX + "$")
_DATE_LINE = re.compile(r"((?:19|20)\d{2})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(印发|发布|制定)?|"
                        r"(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}")


@dataclass(frozen=True)
class SignOff:
    bodies: list[str]
    date_text: str  # as the document writes it
    start: int  # offsets of the whole block in the text
    end: int


def is_body_line(line: str) -> bool:
    """A line naming only issuing bodies (one or several, space-separated)."""
    parts = line.split()
    return bool(parts) and all(_BODY_END.search(p) and len(p) <= BODY_MAX_CHARS for p in parts)


def sign_off(text: str) -> SignOff | None:
    """The sign-off at the end of ``text``: one or more lines of bodies, then a line holding only a date."""
    # (where the line's text starts, the line without its surrounding blanks)
    lines = [(m.start() + len(m.group(0)) - len(m.group(0).lstrip()), m.group(0).strip())
             for m in re.finditer(r"[^\n]+", text) if m.group(0).strip()][-SIGN_OFF_LINES:]
    for at in range(len(lines) - 1, 0, -1):
        start, line = lines[at]
        if len(line) > DATE_LINE_MAX_CHARS or not _DATE_LINE.fullmatch(line) or not is_body_line(lines[at - 1][1]):
            continue
        first = at - 1
        while first > 0 and is_body_line(lines[first - 1][1]):
            first -= 1
        bodies = [part for _, body in lines[first:at] for part in body.split()]
        return SignOff(bodies, line, lines[first][0], start + len(line))
    return None
