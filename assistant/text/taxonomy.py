"""The traits and needs a measure can serve, with the wording that signals them.

Keywords decide by rule; each need's description is also embedded and compared with the clauses
(see assistant/ingest/tagging.py), so a measure worded differently is still found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Facet:
    key: str  # the canonical name used in profiles, e.g. "融资/质押"
    aliases: tuple[str, ...]  # words a user may type for it
    pattern: re.Pattern[str]  # wording in a clause that signals it
    description: str = ""  # embedded and compared with clauses (needs only)
    exclusive: bool = False  # a measure aimed at this trait does not serve other enterprises
    implies: tuple[str, ...] = ()  # traits this one entails (专精特新 enterprises are 中小企业)


def _facet(key: str, aliases: str, pattern: str, description: str = "", exclusive: bool = False,
           implies: str = "") -> Facet:
    return Facet(key, tuple(aliases.split()), re.compile(pattern), description, exclusive, tuple(implies.split()))


NEEDS: dict[str, Facet] = {f.key: f for f in [
    _facet("融资/质押", "融资 质押 贷款 质押融资 证券化 金融 贴息 担保 finance loan",
           r"质押|融资|贷款|证券化|投贷|信托|金融服务|知识产权金融|风险补偿|风险分担|担保|运营基金|收储基金",
           "知识产权质押融资、贷款、证券化等金融支持"),
    _facet("保险", "保险 险 insurance", r"保险|险种|[^危风]险业务|费用险|执行险|侵权险",
           "知识产权保险，专利保险、海外侵权责任险"),
    _facet("维权/纠纷", "维权 纠纷 侵权 诉讼 官司 打官司 执法 调解 仲裁 抄袭 仿冒 假冒 盗版 山寨 被诉 起诉 dispute",
           r"维权|纠纷|侵权|援助|调解|仲裁|诉讼|执法|快速维权|保护中心",
           "企业知识产权维权援助、侵权纠纷调解仲裁与执法保护"),
    _facet("海外布局", "海外 境外 国外 出海 走出去 国际 海外布局 overseas",
           r"海外|境外|国外|走出去|涉外|国际注册|马德里|PCT|专利合作条约|出口|东盟|RCEP|一带一路|国际合作",
           "企业海外知识产权布局、境外专利商标申请与海外纠纷应对"),
    _facet("品牌/商标", "品牌 商标 驰名商标 brand trademark", r"商标|品牌|驰名|老字号",
           "商标注册、品牌培育与商标品牌保护"),
    _facet("地理标志", "地理标志 地标 geographical", r"地理标志", "地理标志产品保护与运用"),
    _facet("版权", "版权 著作权 作品 copyright", r"版权|著作权|作品登记|软件正版",
           "版权登记、版权保护与版权产业发展"),
    _facet("专利转化", "专利转化 转化 成果转化 许可 运营 技术转移 专利运营",
           r"转化|转移|许可|专利运营|知识产权运营|运营中心|运营平台|交易|产业化|作价入股|专利池|开放许可",
           "专利转移转化、许可交易与知识产权运营"),
    _facet("人才/培训", "人才 培训 培养 教育 talent training", r"人才|培训|培养|教育|专员|学院|学科",
           "知识产权人才培养与培训"),
    _facet("数据/信息服务", "数据 信息 信息服务 检索 导航 预警 数据服务 data",
           r"信息服务|信息公共服务|公共服务平台|数据|检索|专利导航|导航|预警|信息利用|数据库",
           "知识产权信息检索、专利导航、数据与公共服务平台"),
]}

TRAITS: dict[str, Facet] = {f.key: f for f in [
    _facet("专精特新", "专精特新 小巨人", r"专精特新", "专精特新中小企业、小巨人企业的知识产权培育与服务",
           implies="中小微企业"),
    _facet("高新技术企业", "高新技术企业 高企 高新企业", r"高新技术企业", "高新技术企业、科技型企业的知识产权管理与专利布局"),
    _facet("中小微企业", "中小微企业 中小企业 小微企业 小微 中小", r"中小企业|中小微|小微企业",
           "中小微企业的知识产权托管、融资与维权援助"),
    _facet("老字号", "老字号 传统品牌", r"老字号|传统品牌", "老字号和传统品牌的商标与知识产权保护"),
    _facet("外贸/出口", "外贸 出口 进出口 外贸企业 跨境", r"外贸|出口|进出口|走出去|境外|跨境|海外|涉外",
           "外贸出口企业的海外知识产权布局与涉外纠纷应对"),
    _facet("农业/种业", "农业 种业 种子 涉农 农产品", r"农业|种业|种子|植物新品种|涉农|乡村振兴|农产品|育种",
           "农业和种业企业的植物新品种、地理标志与涉农品牌"),
    _facet("文化/版权", "文化 版权 文创 创意 动漫", r"文化企业|文化产业|版权|创意|动漫", "文化创意企业的版权登记、保护与交易"),
    _facet("知识产权服务机构", "知识产权服务机构 服务机构 代理机构 代理 事务所",
           r"服务机构|代理机构|鉴定机构|服务业|代理行业|代理师|中介服务", "知识产权代理、咨询、运营等服务机构的培育与监管",
           exclusive=True),
    _facet("高校/科研院所", "高校/科研院所 高校 大学 科研院所 科研机构 院所",
           r"高校|科研院所|科研机构|院所|高等学校|高等院校|研究开发机构", "高校和科研院所的科技成果转化与知识产权管理",
           exclusive=True),
    _facet("国有企业", "国有企业 国企 央企 中央企业", r"国有企业|中央企业|国有知识产权|国资",
           "国有企业和中央企业的知识产权管理与转化奖励", exclusive=True),
    _facet("律师事务所", "律师事务所 律所 法律服务机构", r"律师事务所|律所|法律服务机构",
           "律师事务所和法律服务机构的知识产权法律服务", exclusive=True),
]}


class UnknownFacetError(ValueError):
    pass


def canonical(value: str, facets: dict[str, Facet], kind: str) -> str:
    """The canonical facet for what a user typed (质押 -> 融资/质押); unknown values are an error."""
    text = value.strip()
    if text in facets:
        return text
    for facet in facets.values():
        if text.lower() in (a.lower() for a in facet.aliases):
            return facet.key
    for facet in facets.values():
        if any(a in text for a in facet.aliases if len(a) >= 2):
            return facet.key
    raise UnknownFacetError(f"unknown {kind} '{value}'; known: {', '.join(facets)}")


def facets_in(text: str, facets: dict[str, Facet]) -> tuple[str, ...]:
    """Facets whose wording appears in a clause."""
    return tuple(key for key, facet in facets.items() if facet.pattern.search(text))


def facets_named(text: str, facets: dict[str, Facet]) -> tuple[str, ...]:
    """Facets a user's sentence names through their aliases."""
    found = []
    for key, facet in facets.items():
        if any(alias in text for alias in facet.aliases if len(alias) >= 2):
            found.append(key)
    return tuple(found)
