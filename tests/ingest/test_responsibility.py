import pytest

from assistant.ingest.pipeline import bundled_corpus_dir, parse_document
from assistant.ingest.reader import read_source
from assistant.ingest.responsibility import find_responsibility


@pytest.mark.parametrize(
    ("text", "lead", "responsible", "notes"),
    [
        ("改革。(牵头单位:市市场监管局,各区人民政府〈含开发区、长江新区管委会,下同〉;责任单位:市发改委、市科技局)",
         ["市市场监管局", "各区人民政府"], ["市发改委", "市科技局"], ["含开发区、长江新区管委会,下同"]),
        ("渠道。(责任单位:市教育局、市科技局)", [], ["市教育局", "市科技局"], []),
        ("机制。(国家知识产权局牵头,中央宣传部、文化和旅游部、市场监管总局等按职责分工负责)",
         ["国家知识产权局"], ["中央宣传部", "文化和旅游部", "市场监管总局"], []),
        ("援助。(中央宣传部、商务部、中国贸促会等按职责分工负责)", [], ["中央宣传部", "商务部", "中国贸促会"], []),
        ("措施。(地方各级人民政府与有关部门按职责分工负责)", [], ["地方各级人民政府", "有关部门"], []),
        ("清单制度。(国家知识产权局负责)", [], ["国家知识产权局"], []),
        ("发展。(牵头单位:市市场监管局,东湖高新区管委会)", ["市市场监管局", "东湖高新区管委会"], [], []),
        ("（牵头单位：市公安局；责任单位：市法院、市检察院）", ["市公安局"], ["市法院", "市检察院"], []),
    ],
)
def test_annotation_shapes(text: str, lead: list, responsible: list, notes: list) -> None:
    found = find_responsibility(text, offset=100)
    assert found is not None
    assert (found.lead, found.responsible, found.notes) == (lead, responsible, notes)
    assert text[found.start - 100:found.end - 100].endswith(("）", ")"))


@pytest.mark.parametrize("text", ["在中国(广西)自由贸易试验区南宁片区建设", "规划(桂市监函〔2021〕2676号)", "(以下简称战略委员会)"])
def test_ordinary_parentheses_are_not_annotations(text: str) -> None:
    assert find_responsibility(text) is None


def test_every_wuhan_task_has_its_units() -> None:
    doc = parse_document(read_source(bundled_corpus_dir() / "wuhan-ip-strong-city-work-plan-2022-2025.txt"))
    tasks = [c for c in doc.chunks if c.section.startswith("二、 (") and c.section.count(" ") == 2]
    assert len(tasks) == 24  # 六大工程, 24项重点任务
    assert all(c.responsibility and c.responsibility.lead for c in tasks)
    judicial = next(c for c in tasks if c.section == "二、 (三) 1.")
    assert judicial.responsibility.lead == ["市公安局"] and judicial.responsibility.responsible == ["市法院", "市检察院"]
    assert doc.text[judicial.responsibility.start:judicial.responsibility.end] == "(牵头单位:市公安局;责任单位:市法院、市检察院)"
