from assistant.ingest.pipeline import bundled_corpus_dir, parse_document
from assistant.ingest.reader import read_source
from assistant.ingest.structure import parse_structure


def guangxi_rows():
    doc = parse_document(read_source(bundled_corpus_dir() / "guangxi-ip-protection-use-plan-14th-fyp.txt"))
    return doc, {c.section: c for c in doc.chunks if c.kind == "table_row"}


def test_indicator_table_rows_rebuilt_under_header() -> None:
    doc, rows = guangxi_rows()
    assert len(rows) == 17
    row = rows["二、 (三) 指标表 序号8"]
    assert row.row == {"序号": "8", "类别": "高效益运用", "主要指标": "知识产权质押融资登记金额(亿元)",
                       "2020年实际值": "30", "2025年预期值": "100", "增加值": "70", "属性": "预期性"}
    assert "2025年预期值：100" in row.text and "广西十四五知识产权发展主要预期性指标" in row.text
    assert doc.text[row.start:row.end].startswith("8\n\n知识产权质押融资登记金额(亿元)\n\n30\n\n100\n\n70")


def test_merged_category_cells_carry_down() -> None:
    _, rows = guangxi_rows()
    assert rows["二、 (三) 指标表 序号2"].row["类别"] == "高质量创造"
    assert rows["二、 (三) 指标表 序号14"].row["类别"] == "高标准保护"
    assert rows["二、 (三) 指标表 序号17"].row["类别"] == "高品质服务"


def test_empty_cells_stay_empty_and_values_do_not_shift() -> None:
    _, rows = guangxi_rows()
    empty = rows["二、 (三) 指标表 序号9"].row
    assert (empty["2020年实际值"], empty["2025年预期值"], empty["增加值"], empty["属性"]) == ("", "", "", "预期性")
    partial = rows["二、 (三) 指标表 序号3"].row
    assert partial["属性"] == "预期性" and partial["增加值"] == ""
    assert rows["二、 (三) 指标表 序号15"].row["2025年预期值"] == "≥100"


def test_table_notes_do_not_become_sections() -> None:
    doc, _ = guangxi_rows()
    paths = [s.path for s in doc.sections]
    assert "二、 (三) 2." not in paths
    assert any(c.section == "二、 (三) 指标表 注" for c in doc.chunks)


def test_synthetic_table_with_missing_middle_cell() -> None:
    text = "\n".join([
        "一、目标", "主要指标表", "序号", "指标", "2020年", "2025年", "属性",
        "1", "专利数(件)", "10", "20", "约束性",
        "2", "商标数(件)", "30", "预期性",
        "3", "版权数(件)", "5", "6", "预期性",
        "二、措施", "加强保护。",
    ])
    structure = parse_structure(text)
    rows = [c.row for c in structure.clauses if c.kind == "table_row"]
    assert rows[1] == {"序号": "2", "指标": "商标数(件)", "2020年": "30", "2025年": "", "属性": "预期性"}
    assert [s.path for s in structure.sections if s.kind == "cn_item"] == ["一、", "二、"]
