"""Documents as users bring them, written here from text: a knowledge-base Markdown export (two
front-matter slices, wiki links, navigation), a regulation (effective-date article, repeal clause),
Q&A interpretations (one line with 一、…？, and 问：…答：…), a Markdown policy with numbered headings.
For each: sections, titles, status and quotes (every quote an exact substring of the served text)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.ingest.markdown import is_navigation, render_markdown
from assistant.ingest.pipeline import parse_document
from assistant.ingest.reader import read_source
from assistant.models import NOT_YET_IN_FORCE, ParsedDocument

KNOWLEDGE_BASE = """---
title: "江南省数据知识产权保护条例"
tags: [法规, 知识产权]
aliases: ["数据条例"]
---

<!-- 由知识库导出，请勿手改 -->
上级：[[地方性法规/江南|江南省]]

## 效力信息

- 制定机关：江南省人民代表大会常务委员会
- 通过／公布日期：2030年3月29日
- 施行日期：2030年5月1日
- 发文字号：江南省人民代表大会常务委员会公告第12号
- 效力状态：尚未施行

## 子节点

- [[江南省数据知识产权保护条例/第一章 总则|第一章 总则]]
- [[江南省数据知识产权保护条例/第二章 登记与保护]]

共 2 个章节节点

---
title: "第一章 总则"
---

上级：[[江南省数据知识产权保护条例]]

第一条 为了加强[[数据知识产权|数据知识产权]]保护，根据[[中华人民共和国专利法|专利法]]等法律，结合本省实际，制定本条例。

第二条 县级以上人民政府市场监督管理部门负责本行政区域内数据知识产权的登记和保护工作。<!-- 第二款待补 -->

---
title: "第二章 登记与保护"
---

上级：[[江南省数据知识产权保护条例]]

第三条 数据处理者可以向[[江南省数据知识产权登记平台]]申请登记，登记证书可以用于质押融资。

第四条 本条例自2030年5月1日起施行。《江南省数据资源管理办法》同时废止。
"""

REGULATION = """# 北海市商标品牌促进条例

2019年6月28日 北海市第十五届人民代表大会常务委员会第二十次会议通过

2019年7月26日 江南省第十三届人民代表大会常务委员会第十二次会议批准

## 第一章　总则

第一条 为了促进商标品牌建设，根据《中华人民共和国商标法》等法律、法规，结合本市实际，制定本条例。

第二条 市、县（区）人民政府市场监督管理部门负责本行政区域内的商标品牌促进工作。

## 第二章　附则

第三条 对获得驰名商标认定的企业，市人民政府给予一次性奖励五十万元。

第四条 本条例自2019年10月1日起施行。2008年10月30日北海市第十三届人民代表大会常务委员会批准实施的《北海市商标管理若干规定》同时废止。
"""

_BACKGROUND = ("近年来，我国专利申请量持续增长，专利质量稳步提升，但一些地方和单位仍存在片面追求数量、"
               "以资助奖励为导向的申请行为，少数代理机构为牟取不当利益代理非正常专利申请，扰乱了正常的审查秩序，"
               "损害了创新主体的合法权益，也浪费了宝贵的审查资源。") * 5
QA_ONE_LINE = ("来源: 某政务网站转载\n\n"  # one long line, as such pages are captured
               f"一、《通知》出台的背景是什么？{_BACKGROUND}为规范申请行为，国家知识产权局印发了"
               "《关于规范专利申请行为的通知》（以下简称《通知》）。二、《通知》对代理机构提出了哪些要求？"
               "代理机构不得代理非正常专利申请，违者依法予以处理。三、《通知》何时开始执行？《通知》自印发之日起执行。")

QA_ASK_ANSWER = """问：什么是专利开放许可？
答：专利开放许可是指专利权人自愿声明，愿意许可任何单位或者个人实施其专利。
问：开放许可的使用费如何支付？答：被许可人按照公告的许可使用费支付方式、标准支付许可使用费。
问：谁负责开放许可的公告？
答：国务院专利行政部门予以公告。
"""

MARKDOWN_POLICY = """# 东湖市专利资助办法

## 一、资助对象

本市注册的企业。

## 二、资助标准

### （一）发明专利

每件资助5000元。

### （二）实用新型专利

每件资助1000元。

## 三、附则

本办法自2024年1月1日起施行，有效期3年。
"""


def parse(tmp_path: Path, name: str, text: str) -> ParsedDocument:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_document(read_source(path))


def section(doc: ParsedDocument, path: str):
    found = [s for s in doc.sections if s.path == path and s.kind != "paragraph"]
    assert found, f"no section {path}: {[s.path for s in doc.sections]}"
    return found[0]


def chunk_text(doc: ParsedDocument, path: str) -> str:
    found = [doc.text[c.start:c.end] for c in doc.chunks if c.section == path]
    assert found, f"no chunk at {path}"
    return "".join(found)


def assert_faithful(doc: ParsedDocument) -> None:
    for chunk in doc.chunks:
        if chunk.kind == "clause":
            assert chunk.text == doc.text[chunk.start:chunk.end]
    for s in doc.sections:
        assert 0 <= s.start <= s.end <= len(doc.text)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.findall(r"[^。；\n]+[。；]", text) if s.strip()]


# -- knowledge-base Markdown ---------------------------------------------------------------------


def test_knowledge_base_title_metadata_and_status(tmp_path: Path) -> None:
    doc = parse(tmp_path, "jiangnan-data.md", KNOWLEDGE_BASE)
    meta = doc.metadata
    assert meta.title == "江南省数据知识产权保护条例" and not meta.title_inferred
    assert meta.issuer == "江南省人民代表大会常务委员会"
    assert meta.number == "江南省人民代表大会常务委员会公告第12号"
    assert (meta.promulgated_date, meta.effective_date) == ("2030-03-29", "2030-05-01")
    assert meta.status == NOT_YET_IN_FORCE
    assert meta.repeals == ("江南省数据资源管理办法",)


def test_knowledge_base_slices_title_their_sections(tmp_path: Path) -> None:
    doc = parse(tmp_path, "jiangnan-data.md", KNOWLEDGE_BASE)
    assert section(doc, "第一章").heading == "总则"
    assert section(doc, "第二章").heading == "登记与保护"
    assert section(doc, "第二章 第三条").start > section(doc, "第二章").start
    assert section(doc, "效力信息").end <= section(doc, "第一章").start  # 效力信息 does not swallow the chapters
    assert [c.section for c in doc.chunks if c.section.startswith("第")] == \
        ["第一章 第一条", "第一章 第二条", "第二章 第三条", "第二章 第四条"]
    assert_faithful(doc)


def test_wiki_links_read_as_their_labels_and_navigation_is_dropped(tmp_path: Path) -> None:
    doc = parse(tmp_path, "jiangnan-data.md", KNOWLEDGE_BASE)
    assert "[[" not in doc.text and "]]" not in doc.text and "<!--" not in doc.text and "title:" not in doc.text
    first = chunk_text(doc, "第一章 第一条")
    assert first == "第一条 为了加强数据知识产权保护，根据专利法等法律，结合本省实际，制定本条例。"
    assert "向江南省数据知识产权登记平台申请登记" in chunk_text(doc, "第二章 第三条")
    assert "上级" not in doc.text and "子节点" not in doc.text and "共 2 个章节节点" not in doc.text
    dropped = {reason for _, reason in doc.dropped_lines}
    assert dropped == {"comment", "navigation"}


def test_no_policy_sentence_is_lost_to_navigation_or_comments(tmp_path: Path) -> None:
    """Every sentence of the export, read with link labels, is in the served text; no dropped line
    holds a sentence."""
    doc = parse(tmp_path, "jiangnan-data.md", KNOWLEDGE_BASE)
    readable = render_markdown(KNOWLEDGE_BASE).text
    for sentence in sentences(re.sub(r"<!--.*?-->", "", readable)):
        assert sentence in doc.text, sentence
    for line, _ in doc.dropped_lines:
        assert not sentences(line), line


def test_navigation_rule_keeps_lines_with_text() -> None:
    assert is_navigation("上级：[[广东省知识产权保护条例]]")
    assert is_navigation("- [[第一章 总则]] | [[第二章 保护]]")
    assert is_navigation("共 12 个章节节点")
    assert not is_navigation("依照[[中华人民共和国专利法|专利法]]第二十条处理。")
    assert not is_navigation("相关：[[专利法]]规定的情形除外")
    assert not is_navigation("共3个项目获得资助。")


def test_comments_over_several_lines_and_inside_a_line() -> None:
    page = render_markdown("第一条 甲。<!-- 批注 -->乙。\n<!--\n多行\n注释\n-->\n第二条 丙。")
    assert page.text == "第一条 甲。乙。\n第二条 丙。"


def test_front_matter_only_when_it_is_yaml() -> None:
    text = "---\n这是一段被分隔线包围的正文。\n---\n第一条 正文。"
    assert render_markdown(text).text == text and render_markdown(text).front_matter == {}


# -- a regulation -------------------------------------------------------------------------------


def test_regulation_effective_date_repeal_and_steps(tmp_path: Path) -> None:
    doc = parse(tmp_path, "beihai-trademark.md", REGULATION)
    meta = doc.metadata
    assert meta.title == "北海市商标品牌促进条例" and not meta.title_inferred
    assert meta.issuer == "北海市人民代表大会常务委员会"
    assert meta.effective_date == "2019-10-01"
    assert meta.promulgated_date == "2019-07-26"  # the last adoption step: the province's approval
    assert meta.repeals == ("北海市商标管理若干规定",)  # not the 商标法 it cites
    assert meta.status is None  # the text states no status; validity judges it by date
    assert section(doc, "第二章 第四条").heading == "本条例自2019年10月1日起施行"
    assert "同时废止" in chunk_text(doc, "第二章 第四条")
    assert_faithful(doc)


# -- Q&A interpretations ------------------------------------------------------------------------


def test_one_line_interpretation_gets_the_interpreted_title_marked_inferred(tmp_path: Path) -> None:
    doc = parse(tmp_path, "qa-notice.txt", QA_ONE_LINE)
    assert doc.metadata.title == "《关于规范专利申请行为的通知》解读"
    assert doc.metadata.title_inferred
    assert [(s.path, s.heading) for s in doc.sections if s.kind == "cn_item"] == [
        ("一、", "《通知》出台的背景是什么"),
        ("二、", "《通知》对代理机构提出了哪些要求"),
        ("三、", "《通知》何时开始执行"),
    ]
    assert chunk_text(doc, "二、").endswith("代理机构不得代理非正常专利申请，违者依法予以处理。")
    assert doc.metadata.source == "某政务网站转载"
    assert_faithful(doc)


def test_question_and_answer_document_one_section_per_question(tmp_path: Path) -> None:
    doc = parse(tmp_path, "qa-open-licence.txt", QA_ASK_ANSWER)
    questions = [(s.path, s.heading) for s in doc.sections if s.kind == "question"]
    assert questions == [("问1", "什么是专利开放许可"), ("问2", "开放许可的使用费如何支付"), ("问3", "谁负责开放许可的公告")]
    assert chunk_text(doc, "问1").endswith("愿意许可任何单位或者个人实施其专利。")
    assert chunk_text(doc, "问3") == "问：谁负责开放许可的公告？\n答：国务院专利行政部门予以公告。"
    assert doc.metadata.title == "qa-open-licence" and doc.metadata.title_inferred  # no title: the file name
    assert_faithful(doc)


def test_a_body_sentence_is_never_the_title(tmp_path: Path) -> None:
    doc = parse(tmp_path, "untitled.txt", "一、专利是什么？专利是一种权利。二、如何申请？向国家知识产权局提出。")
    assert doc.metadata.title == "untitled" and doc.metadata.title_inferred


# -- Markdown numbering -------------------------------------------------------------------------


def test_markdown_headings_keep_policy_numbering_exactly_as_txt(tmp_path: Path) -> None:
    markdown = parse(tmp_path, "donghu-funding.md", MARKDOWN_POLICY)
    plain = parse(tmp_path, "donghu-funding.txt", re.sub(r"(?m)^#+ ", "", MARKDOWN_POLICY))
    paths = [(s.path, s.heading) for s in markdown.sections]
    assert paths == [(s.path, s.heading) for s in plain.sections]
    assert ("二、 (一)", "发明专利") in paths and ("二、 (二)", "实用新型专利") in paths
    assert [c.section for c in markdown.chunks] == ["一、", "二、 (一)", "二、 (二)", "三、"]
    assert markdown.metadata.effective_date == "2024-01-01" and markdown.metadata.expiry_date == "2026-12-31"
    assert_faithful(markdown)


# -- a notice with a page's information table ------------------------------------------------

NOTICE = """索引号：000014349/2031-00012  主题分类：科技、教育\\知识产权
发文机关：江北省市场监督管理局  成文日期：2031年03月02日
标题：江北省专利转化专项资金管理办法
发文字号：江北市监规〔2031〕3号  发布日期：2031年03月09日

江北省专利转化专项资金管理办法

第一条 为规范专利转化专项资金管理，制定本办法。

第二条 本办法自印发之日起施行，有效期5年。原《江北省专利资助资金管理暂行办法》（江北市监规〔2025〕1号）同时废止。
"""


def test_notice_fields_from_its_information_table(tmp_path: Path) -> None:
    meta = parse(tmp_path, "jiangbei-fund.txt", NOTICE).metadata
    assert meta.title == "江北省专利转化专项资金管理办法" and not meta.title_inferred
    assert (meta.issuer, meta.number) == ("江北省市场监督管理局", "江北市监规〔2031〕3号")
    assert meta.promulgated_date == "2031-03-09"
    assert meta.effective_date == meta.date  # 自印发之日起施行: the document's own date
    assert meta.expiry_date is not None and meta.expiry_date.startswith("2036-")
    assert meta.repeals == ("江北省专利资助资金管理暂行办法（江北市监规〔2025〕1号）",)  # the version it repeals


def test_sidecar_sets_legal_fields(tmp_path: Path) -> None:
    from assistant.ingest.overrides import MetadataOverrides, apply_overrides

    doc = parse(tmp_path, "beihai-trademark.md", REGULATION)
    changed = apply_overrides(doc, MetadataOverrides(status="已废止", repeals="《甲条例》；乙办法", title="北海条例"))
    assert (changed.metadata.status, changed.metadata.repeals) == ("repealed", ("甲条例", "乙办法"))
    assert changed.metadata.title == "北海条例" and not changed.metadata.title_inferred
    with pytest.raises(ValueError, match="not a status"):
        MetadataOverrides(status="待定")
    with pytest.raises(ValueError, match="not a date"):
        MetadataOverrides(effective_date="2024-02-30")
