"""The vocabulary of a company's own attributes, shared by the two sides of an eligibility check:
the question that states them (``去年营收3亿元，员工120人，有5件发明专利``) and the clause that bounds
them (``上年度销售收入不超过2亿元``, ``拥有发明专利3件以上``).

Each attribute has one field name (the profile's), a Chinese label shown in answers, the kind of
quantity it is measured in (text/numbers.py) and the words that name it.  Qualifications are named
statuses a company holds (高新技术企业, 专精特新 …) with the everyday words for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.text.numbers import COUNT, DURATION, MONEY


@dataclass(frozen=True)
class Attribute:
    field: str  # the profile field, e.g. "revenue_yuan"
    label: str  # shown in answers, e.g. "营业收入"
    kind: str  # the kind of quantity: money, count, duration (age) or percent
    words: re.Pattern[str]  # wording that names it, in questions and in clauses


def _attribute(field: str, label: str, kind: str, words: str) -> Attribute:
    return Attribute(field, label, kind, re.compile(words, re.IGNORECASE))


REVENUE = _attribute("revenue_yuan", "营业收入", MONEY,
                     r"营业收入|主营业务收入|销售收入|销售额|营业额|营收|年收入|收入|产值|revenue|turnover|sales")
TAXABLE_INCOME = _attribute("taxable_income_yuan", "应纳税所得额", MONEY,
                            r"应纳税所得额?|应税所得|纳税所得|所得额|利润额|利润|profit")
TAX_PAID = _attribute("tax_paid_yuan", "纳税额", MONEY, r"纳税额|纳税总额|缴纳税款|缴税|税收贡献")
RD_SPEND = _attribute("rd_spend_yuan", "研发费用", MONEY,
                      r"研究开发费用|研发费用|研发投入|研发支出|研发经费|研究开发投入|R&D|RD投入")
TOTAL_ASSETS = _attribute("total_assets_yuan", "资产总额", MONEY, r"资产总额|总资产|assets")
INVESTMENT = _attribute("investment_yuan", "固定资产投资", MONEY, r"固定资产投资|投资总额|投资额|设备投资")
EMPLOYEES = _attribute("employees", "职工人数", COUNT,
                       r"职工总数|职工人数|从业人员|在职职工|职工|员工|雇员|在职人员|人员总数|staff|employees")
RD_STAFF = _attribute("rd_staff", "研发人员", COUNT, r"研究开发人员|研发人员|科技人员|技术人员|研发团队")
AGE = _attribute("registered_on", "成立时间", DURATION, r"注册成立|成立|注册|设立|登记|开业|新办|创办|落户")
INVENTION_PATENTS = _attribute("invention_patents", "发明专利", COUNT, r"发明专利")
UTILITY_PATENTS = _attribute("utility_patents", "实用新型专利", COUNT, r"实用新型")
DESIGN_PATENTS = _attribute("design_patents", "外观设计专利", COUNT, r"外观设计")
TRADEMARKS = _attribute("trademarks", "注册商标", COUNT, r"注册商标|商标")
SOFTWARE_COPYRIGHTS = _attribute("software_copyrights", "软件著作权", COUNT, r"计算机软件著作权|软件著作权|软著")

# Longest wording first where one attribute's words hold another's (研发费用 before 费用, 发明专利 before 专利).
ATTRIBUTES: tuple[Attribute, ...] = (RD_SPEND, RD_STAFF, TAXABLE_INCOME, TAX_PAID, TOTAL_ASSETS, INVESTMENT,
                                     REVENUE, EMPLOYEES, INVENTION_PATENTS, UTILITY_PATENTS, DESIGN_PATENTS,
                                     SOFTWARE_COPYRIGHTS, TRADEMARKS, AGE)
BY_FIELD: dict[str, Attribute] = {a.field: a for a in ATTRIBUTES}
# Counts of intellectual property, with the everyday name of each (a clause's 每件 amount counts these).
IP_FIELDS = ("invention_patents", "utility_patents", "design_patents", "trademarks", "software_copyrights")


def nearest_attribute(words: str, allowed: Callable[[Attribute], bool]) -> Attribute | None:
    """The allowed attribute whose wording ends last in ``words`` (the one nearest a figure that follows)."""
    best: tuple[int, Attribute] | None = None
    for attribute in ATTRIBUTES:
        if not allowed(attribute):
            continue
        for match in attribute.words.finditer(words):
            if best is None or match.end() > best[0]:
                best = (match.end(), attribute)
    return best[1] if best else None


@dataclass(frozen=True)
class Qualification:
    name: str  # as policy text writes it
    words: re.Pattern[str]  # how questions and clauses name it


def _qualification(name: str, words: str) -> Qualification:
    return Qualification(name, re.compile(words, re.IGNORECASE))


QUALIFICATIONS: tuple[Qualification, ...] = (
    _qualification("高新技术企业", r"高新技术企业|高新企业|高企|国高|国家高新(?!区|技术产业开发区|技术产品)"),
    _qualification("科技型中小企业", r"科技型中小企业|科小|科技型企业"),
    _qualification("专精特新", r"专精特新|小巨人"),
    _qualification("规模以上企业", r"规模以上|规上|限额以上|限上"),
    _qualification("小型微利企业", r"小型微利企业|小型微利|小微企业|小微"),
    _qualification("软件企业", r"软件企业|软件产品"),
    _qualification("知识产权优势企业", r"知识产权优势企业|专利优势企业|优势企业"),
    _qualification("知识产权示范企业", r"知识产权示范企业|专利示范企业|示范企业"),
    _qualification("知识产权贯标", r"贯标|知识产权管理规范|GB/T\s*29490"),
    _qualification("企业技术中心", r"企业技术中心|技术\(研发\)中心|研发中心|工程技术研究中心"),
    _qualification("上市企业", r"上市|挂牌"),
)
NEGATION = re.compile(r"(不是|不属于|没有|没|未|尚未|还没|还不是|并非|非)\S{0,3}$")
# A qualification a question asks to obtain (能申请高企认定吗, 想评专精特新), not one the asker holds.
SOUGHT_BEFORE = re.compile(r"(申请|申报|想|争取|准备|打算|能否|能不能|可以|可不可以|能)[^，。,；;]{0,4}$")
SOUGHT_AFTER = re.compile(r"^(的)?(认定|评定|评审|申报|申请|资格认定|称号)")
HELD_BEFORE = re.compile(r"(已经|已|刚|去年|今年|前年|获得|拿到|评上|认定为|通过)[^，。,；;]{0,4}$")


HELD, LACKS, SOUGHT = "held", "lacks", "sought"


def qualifications_named(text: str) -> list[tuple[Qualification, str, int, int]]:
    """Each qualification a text names: (qualification, status, start, end); the status is LACKS when the
    words before it deny it (``还不是高企``, ``没有评上专精特新``), SOUGHT when it is what is asked for
    (``能申请高企认定吗``), else HELD."""
    found, taken = [], []
    for qualification in QUALIFICATIONS:
        for match in qualification.words.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            before = text[max(0, start - 8):start]
            if NEGATION.search(before):
                status = LACKS
            elif (SOUGHT_BEFORE.search(before) or SOUGHT_AFTER.search(text[end:])) and not HELD_BEFORE.search(before):
                status = SOUGHT
            else:
                status = HELD
            found.append((qualification, status, start, end))
    return sorted(found, key=lambda item: item[2])

# A question that asks whether (or for how much) the asker qualifies: 能申请吗, 能认定高企吗, 符合条件吗, 能退多少,
# 还来得及吗, eligible.
ASKS_ELIGIBILITY = re.compile(r"(能|可以|可不可以|能不能|能否|还能|可否|是否可以|有没有资格)[^，。？?]{0,8}"
                              r"(申请|申报|报|认定|评|退|补|奖|拿|领|享受|享有|获得|得到|参加|入选|吗|不|么)|"
                              r"符合|够不够|够格|有资格|有没有份|有份吗|(拿|补|奖|退|给|领)多少|来得及|eligible|qualify",
                              re.IGNORECASE)
# A question in which the asker describes their own company (我们, 公司, 我司, 厂 …).
SELF_DESCRIBED = re.compile(r"我们|我司|我公司|本公司|公司|企业|工厂|厂|单位|我是|we\b|our\b", re.IGNORECASE)
