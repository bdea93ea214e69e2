"""Free-text needs and traits, region-confined sentences, measures addressed to other organisations."""

from __future__ import annotations

import re
from datetime import date

import pytest

from assistant.geo import gazetteer
from assistant.matching.audience import addressed_to
from assistant.matching.interpret import FREE_TEXT, SIMILARITY, TAXONOMY, WORDING, NonsenseInputError, ProfileInterpreter
from assistant.matching.matcher import EnterpriseProfile, ProfileError, ProfileMatcher
from assistant.models import Chunk
from assistant.text.regions import confined_spans, reaches

NATIONAL = "national-ip-protection-use-plan-14th-fyp"
CHENGYU = "推动成渝地区双城经济圈建立知识产权金融生态区"


def _place(name: str):
    return gazetteer().find(name)[0]


def _chunk(text: str, heading: str = "") -> Chunk:
    return Chunk("c1", "d", "一、", heading, 0, len(text), text)


@pytest.fixture(scope="module")
def interpreter(encoder) -> ProfileInterpreter:
    return ProfileInterpreter(encoder)


@pytest.mark.parametrize(
    ("text", "how", "facets"),
    [
        ("质押", TAXONOMY, ("融资/质押",)),
        ("贷款贴息", WORDING, ("融资/质押",)),
        ("商标海外注册", WORDING, ("海外布局", "品牌/商标")),
        ("专利被人抄袭了怎么办", WORDING, ("维权/纠纷",)),
        ("技术转让和许可", WORDING, ("专利转化",)),
        ("商业秘密保护", FREE_TEXT, ()),
    ],
)
def test_typed_needs_are_understood(interpreter, text: str, how: str, facets: tuple) -> None:
    understood = interpreter.understand(text, "need")
    assert (understood.how, understood.facets) == (how, facets)
    assert understood.describe() == (f"{text} → {'、'.join(facets)}" if facets else f"{text} → 按原文检索")


def test_embedding_maps_wording_the_rules_miss(interpreter) -> None:
    understood = interpreter.understand("培养专利工程师", "need")
    assert understood.how in (WORDING, SIMILARITY) and "人才/培训" in understood.facets
    trait = interpreter.understand("种子公司", "trait")
    assert trait.facets == ("农业/种业",)


@pytest.mark.parametrize("text", ["xyz qwerty", "asdfgh", "啊啊啊", "???"])
def test_nonsense_is_refused_in_chinese(interpreter, text: str) -> None:
    with pytest.raises(NonsenseInputError, match=re.escape(f"无法理解需求“{text}”")):
        interpreter.understand(text, "need")


def test_english_needs_are_understood(interpreter) -> None:
    assert interpreter.understand("patent loan", "need").facets == ("融资/质押",)


def test_named_regions_and_places_confine_sentences() -> None:
    text = (f"优化央地合作会商机制。{CHENGYU}。支持深圳建设中国特色社会主义先行示范区。"
            "积极与粤港澳大湾区开展知识产权工作对接。加强涉农知识产权运用,助力乡村振兴。")
    spans = confined_spans(text, None)
    assert [s.name for s in spans] == ["成渝地区双城经济圈", "深圳"]
    assert text[spans[0].start:spans[0].end] == CHENGYU + "。"
    chengyu = spans[0]
    assert reaches(chengyu, _place("成都")) and reaches(chengyu, _place("重庆"))
    assert not reaches(chengyu, _place("攀枝花")) and not reaches(chengyu, _place("武汉"))
    assert reaches(chengyu, _place("四川"))  # a company known only by province is not excluded
    assert not reaches(spans[1], _place("广州"))


def test_a_provincial_plan_confines_to_its_own_cities_only() -> None:
    guangxi = _place("广西")
    text = "支持柳州、桂林、玉林提升国家知识产权试点城市建设水平。支持中国(广西)自由贸易试验区开展知识产权金融服务创新。"
    spans = confined_spans(text, guangxi)
    assert [s.name for s in spans] == ["柳州、桂林、玉林", "中国(广西)自由贸易试验区"]
    assert reaches(spans[1], _place("南宁")) and not reaches(spans[1], _place("柳州"))
    assert confined_spans("推动广西商标品牌建设。", guangxi) == ()  # the document's own place confines nothing


def test_regional_clause_is_shown_only_inside_its_region(assistant) -> None:
    def shows_chengyu(location: str) -> bool:
        result = assistant.match(EnterpriseProfile(location=location, needs=["融资/质押"]), limit=20)
        return any(CHENGYU in m.offer or CHENGYU in m.citation.quote for m in result.measures)

    assert shows_chengyu("成都") and shows_chengyu("重庆")
    assert not any(shows_chengyu(place) for place in ("武汉", "杭州", "淄博", "攀枝花"))


def test_measures_for_other_organisations_are_marked_or_dropped(assistant) -> None:
    profile = EnterpriseProfile(location="淄博", needs=["融资/质押"])
    marked = assistant.match(profile, limit=20)
    agency = [m for m in marked.measures if m.chunk.section == "十七、"]
    assert agency and agency[0].audience == "面向知识产权服务机构"
    assert marked.measures[0].audience == ""
    dropping = ProfileMatcher(assistant.index, assistant.encoder, date(2026, 11, 30), other_audiences="drop")
    assert all(m.audience == "" and m.chunk.section != "十七、" for m in dropping.run(profile, limit=20).measures)
    agency_profile = assistant.match(EnterpriseProfile(location="淄博", traits=["服务机构"], needs=["融资"]), limit=20)
    assert any(m.chunk.section == "十七、" and m.audience == "" for m in agency_profile.measures)


def test_audience_reads_who_acts_for_whom() -> None:
    assert addressed_to(_chunk("鼓励知识产权服务机构助力专精特新企业开展高价值专利布局。支持服务机构参与公益培训。")) is None
    assert addressed_to(_chunk("培育一批知识产权服务机构。加强对代理机构的监管。支持符合条件的服务机构申报高新技术企业。",
                               "培育知识产权服务业")) == "知识产权服务机构"
    assert addressed_to(_chunk("政府设立的研究开发机构、高等院校等许可他人实施其专利的，应当提取收益奖励发明人。"
                               "高等院校应当建立转化机制。")) == "高校/科研院所"
    # an organisation acting for an industry or a kind of enterprise serves enterprises
    helping = _chunk("推动知识产权服务机构面向农业农村，促进商标品牌富农。实施地理标志运用促进工程。",
                     "推动知识产权服务业助力乡村振兴")
    assert addressed_to(helping) is None


@pytest.mark.parametrize(
    "text",
    [
        "深入开展知识产权代理行业专项整治行动，严厉打击无资质专利代理等违法违规行为。开展打击网络侵权盗版专项行动。",
        "违反本条例规定，专利中介服务机构出具虚假报告的，由专利行政部门给予警告，可以并处罚款；没有违法所得的，可以并处五万元以下的罚款。",
        "管理专利工作的部门应当依法加强对专利中介服务机构的指导和监督，规范专利中介服务机构行为。",
        "主管部门应当指导知识产权鉴定机构加强知识产权鉴定专业化、规范化建设。",
    ],
)
def test_the_party_a_clause_regulates_is_its_audience(text: str) -> None:
    assert addressed_to(_chunk(text)) == "知识产权服务机构"


def test_regulating_agencies_in_a_clause_that_serves_enterprises_is_not_its_audience() -> None:
    text = ("支持中小企业开展专利导航。规范知识产权服务机构执业行为。鼓励企业建立知识产权管理制度。"
            "完善知识产权公共服务平台。")
    assert addressed_to(_chunk(text)) is None


def test_a_trait_specific_measure_ranks_above_generic_ones(assistant) -> None:
    with_trait = assistant.match(EnterpriseProfile(location="淄博", traits=["专精特新"]), limit=5)
    assert with_trait.measures[0].chunk.section == "三、" and "专精特新" in with_trait.measures[0].traits
    plain = assistant.match(EnterpriseProfile(location="淄博"), limit=5)
    assert plain.measures[0].chunk.section != "三、"
    for location in ("武汉", "南宁"):  # 老字号 measures lead for a 老字号 wherever the corpus has them
        first = assistant.match(EnterpriseProfile(location=location, traits=["老字号"]), limit=3).measures[0]
        assert "老字号" in first.traits, (location, first.chunk.section)


def test_free_text_profiles_are_answered_within_jurisdiction(assistant) -> None:
    result = assistant.match(EnterpriseProfile(location="武汉", traits=["跨境电商"], needs=["商标海外注册"]), limit=5)
    assert result.measures[0].chunk.doc_id in (NATIONAL, "wuhan-ip-strong-city-work-plan-2022-2025")
    assert ("wuhan-ip-strong-city-work-plan-2022-2025", "二、 (二) 2.") in {
        (m.chunk.doc_id, m.chunk.section) for m in result.measures}
    assert {u.text: u.describe() for u in result.understood}["跨境电商"] == "跨境电商 → 外贸/出口"
    with pytest.raises(ProfileError, match="无法理解企业特征“qwerty”"):
        assistant.match(EnterpriseProfile(location="武汉", traits=["qwerty"]))
