"""Section parsing on the real documents: the paths as each document numbers them."""

from pathlib import Path

import pytest

from assistant.ingest.pipeline import bundled_corpus_dir, parse_document
from assistant.ingest.reader import read_source
from assistant.ingest.structure import parse_structure, split_lines
from tests.conftest import EXTRA_DIR


def parsed(name: str, folder: Path | None = None):
    return parse_document(read_source((folder or bundled_corpus_dir()) / f"{name}.txt"))


def chunk_at(doc, section: str, heading: str | None = None):
    found = [c for c in doc.chunks if c.section == section and (heading is None or c.heading == heading)]
    assert found, f"no chunk {section} {heading or ''} in {doc.doc_id}"
    return found[0]


@pytest.mark.parametrize(
    ("name", "section", "heading"),
    [
        ("wuhan-ip-strong-city-work-plan-2022-2025", "二、 (四) 4.", "强化知识产权金融赋能"),
        ("wuhan-ip-strong-city-work-plan-2022-2025", "二、 (一) 2.", "实现知识产权领域以信用为基础的分级分类监管"),
        ("sichuan-ip-strategy-action-plan-2016-2020", "二、 (四) 19.", "推进企业知识产权管理规范化"),
        ("sichuan-ip-strategy-action-plan-2016-2020", "三、 (二)", "实施知识产权人才队伍建设工程"),
        ("zibo-ip-service-industry-opinions-2023", "十七、", "强化政策支持"),
        ("national-ip-protection-use-plan-14th-fyp", "三、 (六)", "健全知识产权行政保护机制"),
        ("national-ip-protection-use-plan-14th-fyp", "八、 (十九)", "鼓励探索创新"),
        ("guangxi-ip-protection-use-plan-14th-fyp", "专栏9", "拓宽中小企业知识产权融资渠道"),
        ("guangxi-ip-protection-use-plan-14th-fyp", "三、 (三) 2.", "发展知识产权质押融资"),
        ("guangxi-ip-protection-use-plan-14th-fyp", "三、 (二) 3.", "培育发展专利密集型产业"),
    ],
)
def test_clause_paths_follow_document_numbering(name: str, section: str, heading: str) -> None:
    chunk_at(parsed(name), section, heading)


def test_box_ends_at_next_numbered_item() -> None:
    doc = parsed("guangxi-ip-protection-use-plan-14th-fyp")
    after_box = chunk_at(doc, "三、 (一) 3.")
    assert after_box.text.startswith("3.完善知识产权保护多元治理体系")
    box = next(s for s in doc.sections if s.path == "专栏1")
    assert box.heading == "知识产权快保护机构建设工程" and box.end <= after_box.start


def test_sections_carry_offsets_into_clean_text() -> None:
    doc = parsed("wuhan-ip-strong-city-work-plan-2022-2025")
    section = next(s for s in doc.sections if s.path == "二、 (四)")
    assert doc.text[section.start:].startswith("(四)系统推进知识产权高效益转化工程")
    child = next(s for s in doc.sections if s.path == "二、 (四) 4.")
    assert section.start < child.start < child.end <= section.end


def test_chunk_offsets_are_exact_for_every_document() -> None:
    for path in [*sorted(bundled_corpus_dir().glob("*.txt")), *sorted(EXTRA_DIR.glob("*.txt"))]:
        doc = parse_document(read_source(path))
        assert doc.chunks
        for chunk in doc.chunks:
            assert 0 <= chunk.start < chunk.end <= len(doc.text)
            if chunk.kind == "clause":
                assert doc.text[chunk.start:chunk.end] == chunk.text
                assert chunk.end - chunk.start <= 450


def test_numbered_articles_in_markdown_law() -> None:
    doc = parsed("02_guangdong_zscq_baohu_tiaoli", EXTRA_DIR)
    paths = {s.path for s in doc.sections}
    assert {"第一章", "第一章 第一条", "第二章 第十三条", "第二章 第十三条 (八)", "第七章 第五十一条"} <= paths
    article = chunk_at(doc, "第二章 第十三条")
    assert "（一）询问有关当事人" in article.text  # items fold into their article's chunk
    assert doc.metadata.title == "广东省知识产权保护条例"
    assert all("广东省知识产权保护条例" != s.heading for s in doc.sections)


def test_articles_without_chapters() -> None:
    doc = parsed("03_shanghai_pudong_gaoshuiping_zscq_baohu_guiding", EXTRA_DIR)
    assert [s.path for s in doc.sections if s.kind == "article"][:3] == ["第一条", "第二条", "第三条"]
    assert chunk_at(doc, "第十五条").text.startswith("第十五条 鼓励金融机构优化知识产权质押融资模式")


def test_single_long_line_without_title_is_split_into_its_items() -> None:
    doc = parsed("01_guojia_zscq_fangguanfu_tongzhi_jiedu", EXTRA_DIR)
    top = [s.path for s in doc.sections if s.kind == "cn_item"]
    assert top == ["一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、"]
    assert "五、 (三)" in {s.path for s in doc.sections}
    assert "13.8 个月" in doc.text  # decimals inside sentences are not taken for headings
    assert all(c.end - c.start <= 450 for c in doc.chunks)


def test_inline_markers_only_split_long_lines() -> None:
    short = "一、总体要求。内容如下。二、不是新的一节"
    assert len(split_lines(short)) == 1


def test_out_of_sequence_numbers_are_text() -> None:
    text = "一、总体要求\n1.第一项。内容。\n2.第二项。内容。\n7.这不是第七项而是正文中的数字。\n二、保障措施\n内容。"
    structure = parse_structure(text)
    assert [s.path for s in structure.sections if s.kind != "paragraph"] == ["一、", "一、 1.", "一、 2.", "二、"]


def test_lead_sentence_labels_unnumbered_paragraphs() -> None:
    doc = parsed("national-ip-protection-use-plan-14th-fyp")
    labelled = [s for s in doc.sections if s.kind == "paragraph" and s.path == "三、 (四)"]
    assert [s.heading for s in labelled] == ["健全知识产权法律法规。", "完善知识产权保护政策。", "完善维护国家安全的知识产权政策。"]


def test_an_excerpt_of_articles_keeps_every_article() -> None:
    """Issue 22: a notice quoting 第三条, 第八条, 第二十条 and 第五十条 of the Trademark Law (verbatim
    from ../shared/corpus/more) keeps four articles; a jump was folded into the article before."""
    law = (EXTRA_DIR.parent / "more" / "21_shangbiaofa_2019.txt").read_text(encoding="utf-8").splitlines()
    quoted = [next(line for line in law if line.startswith(f"第{n}条 ")) for n in ("三", "八", "二十", "五十")]
    text = "关于申报工作的有关法律依据摘录\n" + "\n".join(quoted)
    articles = [s for s in parse_structure(text).sections if s.kind == "article"]
    assert [s.path for s in articles] == ["第三条", "第八条", "第二十条", "第五十条"]
    assert all(text[s.start:s.end].startswith(s.path) for s in articles)


def test_a_reference_at_a_line_start_after_a_jump_stays_text() -> None:
    text = "第三条 申请人应当提交材料。\n第五十条规定的情形，不予受理。\n第四条 受理后十日内答复。"
    articles = [s.path for s in parse_structure(text).sections if s.kind == "article"]
    assert articles == ["第三条", "第四条"]


MORE_DIR = EXTRA_DIR.parent / "more"


def test_an_opinion_captured_on_one_line_is_split_into_its_measures_with_their_lead_units() -> None:
    """国办发〔2020〕24号 as a web capture holds its whole body on one line: the parts run into their first
    item (一、持续提升投资建设便利度（一）优化再造…) and each item ends in its annotation
    (…（国家发展改革委牵头，…按职责分工负责）（二）…)."""
    doc = parsed("43_guobanfa_2020_24hao_youhua_yingshang_huanjing_shishi_yijian", MORE_DIR)
    assert doc.metadata.title == "国务院办公厅关于进一步优化营商环境更好服务市场主体的实施意见"
    assert doc.metadata.number == "国办发〔2020〕24号"
    first = chunk_at(doc, "一、 (一)", "优化再造投资项目前期审批流程")
    assert first.responsibility is not None and first.responsibility.lead == ["国家发展改革委"]
    assert chunk_at(doc, "一、 (三)", "深入推进“多规合一”").responsibility.lead == ["自然资源部"]
    assert chunk_at(doc, "五、 (十六)", "进一步提高商标注册效率")
    assert len({c.section for c in doc.chunks}) >= 21  # the preamble and twenty measures


def test_a_press_qa_captured_on_one_line_is_split_at_each_question() -> None:
    doc = parsed("42_paiwu_xuke_guanli_tiaoli_dajizhewen", MORE_DIR)
    headings = [c.heading for c in doc.chunks if c.section.startswith("问")]
    assert "《条例》在规范排污许可证申请与审批方面作了哪些规定" in headings
    assert "《条例》在加强排污许可的事中事后监管方面作了哪些规定" in headings


def test_a_notice_sign_off_is_read_with_its_offsets() -> None:
    from assistant.text.signoff import sign_off

    doc = parsed("36_dongguan_2017_shi_zhuanli_cujin_xiangmu_shenbao_tongzhi", MORE_DIR)
    signed = sign_off(doc.text)
    assert signed is not None and signed.bodies == ["东莞市知识产权局"] and signed.date_text == "2017年8月15日"
    assert doc.text[signed.start:signed.end] == "东莞市知识产权局\n2017年8月15日"
    assert doc.metadata.issuer == "东莞市知识产权局"
    law = parsed("29_shuju_anquanfa", MORE_DIR)
    assert sign_off(law.text) is None  # a law ends with its commencement article, not a sign-off
