"""Document metadata read from the text itself: title, issuer, number, date, jurisdiction, period."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant.geo import NATIONAL, gazetteer
from assistant.models import DocumentMetadata, Period

_DOC_TYPES = r"(规划|方案|计划|意见|办法|条例|规定|通知|决定|细则|纲要|措施|规则|行动计划|实施意见|若干规定|指引|指南|解读)"
_YEAR_RANGE = re.compile(r"[(（]?\s*((?:19|20)\d{2})\s*[-—–~～至到]+\s*((?:19|20)\d{2})\s*年?\s*[)）]?")
_FIVE_YEAR = {"十一五": 2006, "十二五": 2011, "十三五": 2016, "十四五": 2021, "十五五": 2026, "十六五": 2031}
_WRAPPER = re.compile(r"^(?P<issuer>.{2,60}?)关于印发\s*[《<]?(?P<title>[^》>]{4,80})[》>]?\s*(的通知)?$")
_DOC_NUMBER = re.compile(r"(?P<prefix>[\u4e00-\u9fa5]{1,12}(?:字)?)\s*[〔［\[【(（]\s*(?P<year>(?:19|20)\d{2})\s*[〕］\]】)）]?\s*(?P<serial>\d{1,5})\s*号?")
_CN_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_PACKED_DATE = re.compile(r"^\s*((?:19|20)\d{2})(\d{2})(\d{2})\s*$")
_ORG_SUFFIX = r"(人民政府|政府|委员会|办公室|办公厅|局|厅|部|院|署|会|中心|分局|管委会)"
_PUBLISHED_AT = re.compile(r"(来源|发布机构)\s*[:：]\s*(?P<org>[^\s]{2,40}?)(\s|发布时间|$)")

_NATIONAL_ISSUERS = re.compile(r"^(国务院|中共中央|全国人民代表大会|国家[\u4e00-\u9fa5]{1,12}局|[\u4e00-\u9fa5]{1,6}部$)")


def _header_lines(text: str, limit: int = 40) -> list[str]:
    return [ln.strip() for ln in text.split("\n")[:limit] if ln.strip()]


def find_title(text: str, fallback: str) -> str:
    """The document's own title (not the 关于印发…的通知 wrapper)."""
    lines = _header_lines(text)
    joined_wrapper = None
    for k, line in enumerate(lines):
        markdown = re.match(r"^#\s+(.+)$", line)
        if markdown:
            return markdown.group(1).strip()
        if "关于印发" in line:
            candidate = line
            for extra in lines[k + 1:k + 4]:  # wrappers broken over several lines
                if "》" in candidate or len(candidate) > 90:
                    break
                candidate += extra
            wrapper = _WRAPPER.match(candidate.replace(" ", ""))
            if wrapper:
                joined_wrapper = wrapper.group("title")
                break
    if joined_wrapper:
        wanted = re.sub(r"[“”\"]", "", joined_wrapper)
        for line in lines:
            if re.sub(r"[“”\"]", "", line) == wanted and line != joined_wrapper:
                return line
        return joined_wrapper
    for line in lines[:15]:
        bare = line.strip("《》 ")
        if 6 <= len(bare) <= 60 and re.search(_DOC_TYPES + r"\s*([(（].{0,20}[)）])?$", bare) and "。" not in bare:
            return bare
    first = lines[0] if lines else ""
    found = re.match(r"^(?:[一二三四五六七八九十]+、)?(.{4,40}?)[？?。]", first)
    return found.group(1) if found else fallback


def find_number(text: str) -> str | None:
    """The document number, e.g. 国发〔2021〕20号, from the header lines (a broken one repaired)."""
    for line in _header_lines(text, 50):
        if len(line) > 40:
            continue
        found = _DOC_NUMBER.search(line)
        if found and re.search(r"[〔［\[【]", line) and not re.search(r"[《》]", line):
            return f"{found.group('prefix')}〔{found.group('year')}〕{found.group('serial')}号"
    return None


def _valid_date(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _dates_in(line: str) -> list[str]:
    values = []
    for pattern in (_CN_DATE, _ISO_DATE, _PACKED_DATE):
        for found in pattern.finditer(line):
            if value := _valid_date(*found.groups()):
                values.append(value)
    return values


def find_date(text: str, raw_text: str) -> str | None:
    """The signing date (a line holding only a date), else the first date of the cleaned header,
    else the page's publication date."""
    lines = _header_lines(text, 60)
    for line in lines:
        if len(line) <= 16 and (_CN_DATE.fullmatch(line) or _ISO_DATE.fullmatch(line) or _PACKED_DATE.fullmatch(line)):
            return _dates_in(line)[0] if _dates_in(line) else None
    for source in (lines[:8], _header_lines(raw_text, 12)):
        for line in source:
            if len(line) <= 120 and (values := _dates_in(line)):
                return values[0]
    return None


def find_issuer(text: str, title: str) -> tuple[str | None, str | None]:
    """(issuer, publisher): who issued the document, and the site that republished it."""
    lines = _header_lines(text)
    publisher = None
    for line in lines[:6]:
        found = _PUBLISHED_AT.search(line)
        if found and re.search(_ORG_SUFFIX + "$", found.group("org")):
            publisher = found.group("org")
    for line in lines:
        if "关于印发" in line:
            issuer = line[: line.find("关于印发")].replace(" ", "")
            if 2 <= len(issuer) <= 40 and re.search(_ORG_SUFFIX + "$", issuer):
                return issuer, publisher
    orgs: list[str] = []
    for line in lines[:25]:  # a signature block of issuing bodies, several to a line
        parts = line.split()
        if parts and all(re.search(_ORG_SUFFIX + "$", p) and len(p) <= 25 for p in parts):
            orgs.extend(parts)
        elif orgs:
            break
    if orgs:
        return "、".join(orgs), publisher
    for line in lines[:8]:  # a legislature's adoption line: 2022年3月29日 广东省第十三届人民代表大会常务委员会…通过
        found = re.search(r"日\s*(?P<body>[\u4e00-\u9fa5]{2,10}?)第[\u4e00-\u9fa5]+届(?P<org>人民代表大会常务委员会|人民代表大会)", line)
        if found:
            return found.group("body") + found.group("org"), publisher
    return None, publisher


def find_period(title: str, text: str) -> Period | None:
    """The policy period from the title (2016-2020 / 2022—2025年 / 十四五), else from the header."""
    short_lines = [ln for ln in _header_lines(text, 8) if len(ln) <= 60]
    for source in (title, "\n".join(short_lines)):
        found = _YEAR_RANGE.search(source)
        if found and int(found.group(1)) <= int(found.group(2)):
            return Period(int(found.group(1)), int(found.group(2)), found.group(0).strip("()（）"))
        for label, first in _FIVE_YEAR.items():
            if label in source:
                return Period(first, first + 4, label)
    return None


@dataclass(frozen=True)
class Jurisdiction:
    name: str | None  # short name used in filters: 国家, 广西, 武汉, 浦东新区
    full_name: str | None
    level: str | None  # national / province / city / district
    region_code: str | None


def _is_national(source: str) -> bool:
    return bool(_NATIONAL_ISSUERS.match(source) or re.search(r"^[“\"]?十[一二三四五六]五[”\"]?国家|^全国|^国家", source))


def find_jurisdiction(title: str, issuer: str | None, text: str) -> Jurisdiction:
    """The area a document applies to, from its title, then its issuer, then its header lines.

    The first place named wins, narrowed to a place inside it named next (上海市浦东新区 ->
    浦东新区); a national issuer or title makes the document national.
    """
    places = gazetteer()
    head = "\n".join(ln for ln in _header_lines(text, 12) if len(ln) <= 60)
    for source in (title, issuer or "", head):
        if not source:
            continue
        found = places.find(source)
        if found:
            chosen = found[0]
            for other in found[1:]:
                if other.within(chosen) and other.code != chosen.code:
                    chosen = other
            return Jurisdiction(chosen.name, places.full_name(chosen), chosen.level, chosen.code)
        if _is_national(source):
            return Jurisdiction(NATIONAL, "全国", "national", None)
    return Jurisdiction(None, None, None, None)


def extract_metadata(text: str, raw_text: str, fallback_title: str) -> DocumentMetadata:
    """Metadata of one document; ``raw_text`` is the capture before cleaning (page lines help)."""
    title = find_title(text, fallback_title)
    issuer, publisher = find_issuer(raw_text, title)
    jurisdiction = find_jurisdiction(title, issuer, text)
    return DocumentMetadata(
        title=title,
        issuer=issuer,
        publisher=publisher,
        number=find_number(text),
        date=find_date(text, raw_text),
        jurisdiction=jurisdiction.name,
        jurisdiction_full=jurisdiction.full_name,
        level=jurisdiction.level,
        period=find_period(title, text),
        region_code=jurisdiction.region_code,
    )
