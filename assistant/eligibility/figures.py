"""A company's own figures: the typed profile fields, and how free text (``年营收8000万元，员工120人，有5件发明专利``)
is read into them.

Each figure the text states (text/thresholds.py finds them, with their units: ``3亿``, ``8000万``, ``500w``,
``一千二百万元``, ``120人``, ``成立3年``) is given to the attribute whose words stand nearest before it in
the same phrase, or right after a count (``5件发明专利``).  A registration is a date (``2019年成立``) or an
age (``成立3年``, counted back from today).  Qualifications are named statuses, held unless denied
(``还不是高企``).  Whatever was read is listed in ``understood``, so the user sees how.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import BaseModel, Field

from assistant.geo import gazetteer
from assistant.text.company import (AGE, ATTRIBUTES, BY_FIELD, EMPLOYEES, HELD, NEGATION, SOUGHT, Attribute,
                                    nearest_attribute, qualifications_named)
from assistant.text.numbers import COUNT, DATE, DURATION, MONEY, PERCENT, find_quantities
from assistant.text.thresholds import Figure, days, stated_figures

PHRASE_END = re.compile(r"[，,。；;！!？?\n]")
WORDS_BEFORE = 12  # characters before a figure searched for the attribute it measures
WORDS_AFTER = 8  # characters after a count searched for what it counts (5件发明专利)
_LATIN_SCALE = re.compile(r"(\d+(?:\.\d+)?)\s*([wW](?![a-zA-Z])|个亿|kw|KW)")
_LATIN_SCALES = {"w": "万", "W": "万", "个亿": "亿", "kw": "千万", "KW": "千万"}
_YEAR_OF = re.compile(r"((?:19|20)\d{2})\s*年(?:\s*(\d{1,2})\s*月)?(?:\s*(\d{1,2})\s*[日号])?")
_FUNDED = re.compile(r"(已经|已|曾经|曾|拿过|获得过|享受过|申请过|领过|拿到过|获过)[^，。；,;]{0,12}(资助|奖励|补贴|补助|扶持|支持)")
_SHARE_OF = {"rd_spend_yuan": "rd_spend_share", "rd_staff": "rd_staff_share"}
_MONEY_FIELDS = tuple(a.field for a in ATTRIBUTES if a.kind == MONEY)
_COUNT_FIELDS = tuple(a.field for a in ATTRIBUTES if a.kind == COUNT)


class CompanyFigures(BaseModel):
    """A company's own figures, each optional; money in yuan, ages as the registration date."""

    location: str | None = Field(None, max_length=100, description="注册地：省、市或区县")
    registered_on: date | None = Field(None, description="注册（成立）日期")
    revenue_yuan: float | None = Field(None, ge=0, description="上年度营业收入（元）")
    taxable_income_yuan: float | None = Field(None, ge=0, description="上年度应纳税所得额（元）")
    tax_paid_yuan: float | None = Field(None, ge=0, description="上年度纳税额（元）")
    rd_spend_yuan: float | None = Field(None, ge=0, description="上年度研发费用（元）")
    total_assets_yuan: float | None = Field(None, ge=0, description="资产总额（元）")
    investment_yuan: float | None = Field(None, ge=0, description="固定资产投资（元）")
    employees: int | None = Field(None, ge=0, le=10_000_000, description="职工人数")
    rd_staff: int | None = Field(None, ge=0, le=10_000_000, description="研发人员人数")
    rd_spend_share: float | None = Field(None, ge=0, le=100, description="研发费用占营业收入比例（%）")
    rd_staff_share: float | None = Field(None, ge=0, le=100, description="研发人员占职工总数比例（%）")
    invention_patents: int | None = Field(None, ge=0, le=1_000_000, description="发明专利（件）")
    utility_patents: int | None = Field(None, ge=0, le=1_000_000, description="实用新型专利（件）")
    design_patents: int | None = Field(None, ge=0, le=1_000_000, description="外观设计专利（件）")
    trademarks: int | None = Field(None, ge=0, le=1_000_000, description="注册商标（件）")
    software_copyrights: int | None = Field(None, ge=0, le=1_000_000, description="软件著作权（件）")
    qualifications: list[str] = Field(default_factory=list, max_length=20, description="已获资质，如 高新技术企业")
    lacks: list[str] = Field(default_factory=list, max_length=20, description="明确没有的资质")
    funded_before: bool | None = Field(None, description="是否已获同类资助")
    industry: str | None = Field(None, max_length=100)

    def stated(self) -> bool:
        """Whether any figure or status is given (a location alone is not a figure)."""
        values = self.model_dump(exclude={"location", "industry", "qualifications", "lacks"})
        return any(v is not None for v in values.values()) or bool(self.qualifications or self.lacks)

    def value(self, name: str, today: date) -> float | None:
        """A field's value for comparing with a threshold: ages in days, shares worked out when both parts
        are given (研发费用 ÷ 营业收入)."""
        if name == AGE.field:
            return None if self.registered_on is None else float((today - self.registered_on).days)
        if name == "rd_spend_share" and self.rd_spend_share is None and self.rd_spend_yuan is not None \
                and self.revenue_yuan:
            return 100.0 * self.rd_spend_yuan / self.revenue_yuan
        if name == "rd_staff_share" and self.rd_staff_share is None and self.rd_staff is not None and self.employees:
            return 100.0 * self.rd_staff / self.employees
        found = getattr(self, name, None)
        return None if found is None else float(found)


@dataclass
class ReadFigures:
    figures: CompanyFigures
    understood: list[str] = field(default_factory=list)  # "营收3亿 → 营业收入 3亿元"


def _normalised(text: str) -> str:
    """Latin shorthands of scale made Chinese (500w -> 500万, 3个亿 -> 3亿), half a year made months."""
    text = _LATIN_SCALE.sub(lambda m: m.group(1) + _LATIN_SCALES[m.group(2)], text)
    return re.sub(r"(?<![一二两三四五六七八九十\d])半年", "6个月", text)


def _phrase_before(text: str, start: int) -> str:
    window = text[max(0, start - WORDS_BEFORE):start]
    cut = max((m.end() for m in PHRASE_END.finditer(window)), default=0)
    return window[cut:]


def _attribute_of(text: str, figure: Figure) -> Attribute | None:
    """The attribute a figure measures: what a count counts when its words follow it (5件发明专利), else the
    words nearest before it in its phrase (营收3亿), else a head count (120人)."""
    wanted = {MONEY: _MONEY_FIELDS, COUNT: _COUNT_FIELDS, DURATION: (AGE.field,), PERCENT: tuple(_SHARE_OF)}
    fields = wanted.get(figure.kind, ())
    if figure.kind == COUNT:
        after = text[figure.end:figure.end + WORDS_AFTER]
        cut = PHRASE_END.search(after)
        after = (after[:cut.start()] if cut else after).lstrip("的多余")
        for attribute in ATTRIBUTES:
            if attribute.field in fields and attribute.words.match(after):
                return attribute
    best = nearest_attribute(_phrase_before(text, figure.start), lambda attribute: attribute.field in fields)
    if best is not None:
        return best
    return EMPLOYEES if figure.kind == COUNT and figure.text.endswith("人") else None


def _registration_date(text: str, today: date) -> tuple[date, str] | None:
    """``2019年3月成立`` / ``成立于2019年`` / ``注册满两年`` / ``成立才8个月``: the registration date and its wording."""
    for quantity in find_quantities(text):
        near = text[max(0, quantity.start - 6):quantity.end + 6]
        if not AGE.words.search(near):
            continue
        if quantity.kind == DATE:
            found = _YEAR_OF.search(quantity.text)
            if found:
                month, day = int(found.group(2) or 1), int(found.group(3) or 1)
                try:
                    return date(int(found.group(1)), min(max(month, 1), 12), min(max(day, 1), 28)), quantity.text
                except ValueError:
                    continue
        if quantity.kind == DURATION and quantity.value is not None and AGE.words.search(
                text[max(0, quantity.start - 6):quantity.start]):
            return today - timedelta(days=days(quantity.text, quantity.value)), quantity.text
    return None


def read_figures(text: str, today: date) -> ReadFigures:
    """The company figures a free text states, and how each was understood."""
    text = _normalised(text)
    values: dict[str, object] = {}
    understood: list[str] = []
    for figure in stated_figures(text):
        attribute = _attribute_of(text, figure)
        if attribute is None or attribute.field == AGE.field:
            continue
        name = _SHARE_OF.get(attribute.field, attribute.field) if figure.kind == PERCENT else attribute.field
        if name in values:
            continue
        value = figure.value if figure.kind in (MONEY, PERCENT) else int(round(figure.value))
        values[name] = value
        understood.append(f"{figure.text} → {BY_FIELD[attribute.field].label}"
                          f"{'占比' if figure.kind == PERCENT else ''} {format_value(name, value)}")
    registered = _registration_date(text, today)
    if registered:
        values["registered_on"] = registered[0]
        understood.append(f"{registered[1]} → 注册日期 {registered[0].isoformat()}")
    held, lacked = [], []
    for qualification, status, _, _ in qualifications_named(text):
        if status != SOUGHT:
            (held if status == HELD else lacked).append(qualification.name)
    if held or lacked:
        values["qualifications"], values["lacks"] = list(dict.fromkeys(held)), list(dict.fromkeys(lacked))
        understood.extend([f"资质：{'、'.join(dict.fromkeys(held))}"] if held else [])
        understood.extend([f"没有的资质：{'、'.join(dict.fromkeys(lacked))}"] if lacked else [])
    funded = _FUNDED.search(text)
    if funded:
        denied = NEGATION.search(text[max(0, funded.start() - 4):funded.start() + 2])
        values["funded_before"] = not denied
        understood.append("未获同类资助" if denied else "已获同类资助")
    places = gazetteer().find(text)
    if places:
        chosen = places[0]
        for other in places[1:]:
            if other.within(chosen):
                chosen = other
        values["location"] = gazetteer().full_name(chosen)
        understood.append(f"注册地 → {values['location']}")
    return ReadFigures(CompanyFigures(**values), understood)


def format_value(name: str, value: object) -> str:
    """A figure as an answer shows it: 3亿元, 8000万元, 120人, 5件, 6.0%."""
    if name.endswith("_share"):
        return f"{float(value):g}%"
    if name.endswith("_yuan"):
        return money(float(value))
    if name == "employees" or name == "rd_staff":
        return f"{value}人"
    if name == AGE.field:
        return str(value)
    return f"{value}件"


def money(value: float) -> str:
    """Yuan as policy text writes them: 3亿元, 8000万元, 12.5万元, 3500元."""
    if value >= 1e8 and value % 1e6 == 0:
        return f"{value / 1e8:g}亿元"
    if value >= 1e4 and value % 100 == 0:
        return f"{value / 1e4:g}万元"
    return f"{value:g}元"



def age_text(registered_on: date, today: date) -> str:
    """成立约2年（2022-01-01注册）, 成立约6个月（…）."""
    months = (today.year - registered_on.year) * 12 + today.month - registered_on.month
    age = f"{months // 12}年" + (f"{months % 12}个月" if months % 12 and months < 36 else "") if months >= 12 \
        else f"{max(months, 0)}个月"
    return f"成立约{age}（{registered_on.isoformat()}注册）"


def parse_money(text: str) -> float:
    """A sum typed in a form or on the command line: 8000万, 3亿, 500w, 1200000, 一千二百万元."""
    cleaned = _normalised(text.strip()).removesuffix("元") + "元"
    sums = [f for f in stated_figures(cleaned) if f.kind == MONEY]
    if len(sums) != 1 or sums[0].text.rstrip("元") != cleaned.rstrip("元"):
        raise ValueError(f"无法读取金额“{text}”：请写成 8000万、3亿 或 1200000 这样的数")
    return sums[0].value
