"""Sentences that confine a measure to one region: named regions (城市群, 经济圈, 自贸区/港, 新区 …) and places
of the gazetteer below the document's own jurisdiction.

A sentence is confined when a region is what it acts on or where it acts — the region opens one of its
phrases, after at most a leading verb: ``推动成渝地区双城经济圈建立…``, ``强化长三角区域一体化…``,
``支持深圳建设…``, ``在中国(广西)自由贸易试验区南宁片区建设…``, ``支持柳州、桂林、玉林提升…``.  A region
named as a partner (``积极与粤港澳大湾区开展…``, ``对接粤港澳``, ``融入大湾区``) does not open a phrase and
confines nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.geo import Place, gazetteer
from assistant.models import RegionSpan
from assistant.text.sentences import SENTENCE


@dataclass(frozen=True)
class NamedRegion:
    name: str  # canonical name
    aliases: tuple[str, ...]  # how texts write it, longest first when matched
    members: tuple[str, ...]  # provinces, cities or districts it covers, as the gazetteer names them


def _region(name: str, aliases: str, members: str) -> NamedRegion:
    return NamedRegion(name, tuple(dict.fromkeys([name, *aliases.split()])), tuple(members.split()))


_CHENGYU_SICHUAN = "成都 自贡 泸州 德阳 绵阳 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 资阳"
_GBA = "广州 深圳 珠海 佛山 惠州 东莞 中山 江门 肇庆 香港 澳门"

# Regions defined by national or provincial strategy: city clusters, economic circles, free-trade zones and
# ports, state-level new areas.  Members follow the published plans at city level (a city partly inside
# counts as inside).
NAMED_REGIONS: tuple[NamedRegion, ...] = (
    _region("京津冀", "京津冀地区 京津冀协同发展", "北京 天津 河北"),
    _region("长三角", "长江三角洲 长三角区域 长三角地区 长江三角洲区域", "上海 江苏 浙江 安徽"),
    _region("粤港澳大湾区", "大湾区 粤港澳", _GBA),
    _region("成渝地区双城经济圈", "成渝地区 成渝经济圈 成渝双城经济圈 成渝", "重庆 " + _CHENGYU_SICHUAN),
    _region("长江中游城市群", "", "武汉 黄石 鄂州 黄冈 孝感 咸宁 仙桃 潜江 天门 襄阳 宜昌 荆州 荆门 长沙 株洲 湘潭 "
                               "岳阳 益阳 常德 衡阳 娄底 南昌 九江 景德镇 鹰潭 新余 宜春 萍乡 上饶 抚州 吉安"),
    _region("武汉都市圈", "武汉城市圈", "武汉 黄石 鄂州 孝感 黄冈 咸宁 仙桃 天门 潜江"),
    _region("长江经济带", "", "上海 江苏 浙江 安徽 江西 湖北 湖南 重庆 四川 云南 贵州"),
    _region("黄河流域", "", "青海 四川 甘肃 宁夏 内蒙古 山西 陕西 河南 山东"),
    _region("北部湾经济区", "北部湾城市群 北部湾", "南宁 北海 钦州 防城港 玉林 崇左"),
    _region("海南自由贸易港", "海南自贸港 海南自由贸易试验区", "海南"),
    _region("中国(广西)自由贸易试验区", "中国（广西）自由贸易试验区 广西自由贸易试验区 广西自贸试验区 广西自贸区",
            "南宁 钦州 崇左"),
    _region("中国(四川)自由贸易试验区", "中国（四川）自由贸易试验区 四川自由贸易试验区 四川自贸试验区 四川自贸区",
            "成都 泸州"),
    _region("中国(湖北)自由贸易试验区", "中国（湖北）自由贸易试验区 湖北自由贸易试验区 湖北自贸试验区 湖北自贸区",
            "武汉 襄阳 宜昌"),
    _region("中国(山东)自由贸易试验区", "中国（山东）自由贸易试验区 山东自由贸易试验区 山东自贸试验区 山东自贸区",
            "济南 青岛 烟台"),
    _region("中国(上海)自由贸易试验区", "中国（上海）自由贸易试验区 上海自由贸易试验区 上海自贸试验区 上海自贸区 临港新片区",
            "浦东新区"),
    _region("中国(浙江)自由贸易试验区", "中国（浙江）自由贸易试验区 浙江自由贸易试验区 浙江自贸试验区 浙江自贸区",
            "舟山 宁波 杭州 金华"),
    _region("中国(广东)自由贸易试验区", "中国（广东）自由贸易试验区 广东自由贸易试验区 广东自贸试验区 广东自贸区",
            "广州 深圳 珠海"),
    _region("中国(河南)自由贸易试验区", "中国（河南）自由贸易试验区 河南自由贸易试验区 河南自贸试验区 河南自贸区",
            "郑州 开封 洛阳"),
    _region("雄安新区", "河北雄安新区", "雄县 容城县 安新县"),
    _region("两江新区", "重庆两江新区", "江北区 渝北区 北碚区"),
    _region("天府新区", "四川天府新区", "成都 眉山"),
    _region("浦东新区", "上海浦东新区", "浦东新区"),
    _region("前海深港现代服务业合作区", "前海", "深圳"),
    _region("横琴粤澳深度合作区", "横琴", "珠海"),
    _region("东湖新技术开发区", "东湖高新区 中国光谷 光谷", "武汉"),
)

# A phrase may open with a verb or two before the region it acts on or in.
_LEAD = re.compile(r"(?:(?:积极|大力|加快|继续|持续|率先|深入|着力|重点|全力)?"
                   r"(?:推动|推进|支持|鼓励|强化|加强|加快|深化|依托|落实|实施|探索|打造|建设|引导|促进|发挥|将|在|把|对)"
                   r")*")
_PHRASE_BREAK = re.compile(r"[，,：:]")
_JOIN = re.compile(r"[、和及与]|以及")
_OPEN = "“‘\"《(（"


@lru_cache(maxsize=1)
def _alias_index() -> tuple[tuple[str, NamedRegion], ...]:
    pairs = [(alias, region) for region in NAMED_REGIONS for alias in region.aliases]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


@lru_cache(maxsize=None)
def region_codes(region: NamedRegion) -> tuple[str, ...]:
    """Division codes of a named region's members."""
    places = gazetteer()
    codes = []
    for member in region.members:
        found = places.find(member)
        if found:
            codes.append(found[0].code)
    return tuple(codes)


def _region_at(text: str, position: int) -> tuple[str, tuple[str, ...], int] | None:
    """(name, codes, length) of a named region or a gazetteer place starting at ``position``."""
    for alias, region in _alias_index():
        if text.startswith(alias, position):
            return region.name, region_codes(region), len(alias)
    found = gazetteer().place_at(text, position)
    if found:
        place, length = found
        return place.name, (place.code,), length
    return None


def _inside(codes: tuple[str, ...], scope: Place | None) -> bool:
    """Whether a region lies strictly below the document's jurisdiction (national: every region does)."""
    if scope is None:
        return True
    places = gazetteer()
    members = [places.by_code(code) for code in codes]
    return bool(members) and all(m is not None and m.within(scope) and m.code != scope.code for m in members)


def _regions_opening(phrase: str, scope: Place | None) -> tuple[list[str], list[str]]:
    """Names and codes of the regions that open a phrase (after a leading verb), enumerations included."""
    position = _LEAD.match(phrase).end()
    names: list[str] = []
    codes: list[str] = []
    while True:
        while position < len(phrase) and phrase[position] in _OPEN:
            position += 1
        found = _region_at(phrase, position)
        if not found or not _inside(found[1], scope):
            break
        names.append(found[0])
        codes.extend(found[1])
        position += found[2]
        joined = _JOIN.match(phrase, position)
        if not joined:
            break
        position = joined.end()
    return names, codes


def confined_spans(text: str, scope: Place | None) -> tuple[RegionSpan, ...]:
    """The sentences of a clause confined to a region below ``scope`` (None: a national document)."""
    spans = []
    for sentence in SENTENCE.finditer(text):
        names: list[str] = []
        codes: list[str] = []
        for phrase in _PHRASE_BREAK.split(sentence.group()):
            found_names, found_codes = _regions_opening(phrase.strip(), scope)
            names += found_names
            codes += found_codes
        if names:
            spans.append(RegionSpan("、".join(dict.fromkeys(names)), tuple(dict.fromkeys(codes)),
                                    sentence.start(), sentence.end()))
    return tuple(spans)


def reaches(span: RegionSpan, place: Place | None) -> bool:
    """Whether an enterprise at ``place`` may be inside the region: the place lies in it, or the region lies
    in the place (a company known only by province is not excluded from that province's city cluster)."""
    if place is None:
        return False
    places = gazetteer()
    for code in span.codes:
        member = places.by_code(code)
        if member is not None and (place.within(member) or member.within(place)):
            return True
    return False
