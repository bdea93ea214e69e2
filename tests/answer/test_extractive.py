from assistant.answer.extractive import excerpt
from assistant.answer.templates import render


def test_template_numbers_clauses_with_their_source() -> None:
    text = render("extractive.j2", question="谁牵头?", citations=[
        {"n": 1, "title": "某规划", "section": "二、 (一) 2.", "heading": "分级分类监管", "excerpt": "建立…"}])
    assert text.splitlines()[1] == "[1] 《某规划》二、 (一) 2.（分级分类监管）：建立…"


def test_template_without_citations_says_nothing_was_found() -> None:
    assert "没有找到" in render("extractive.j2", question="x", citations=[])


def test_excerpt_is_short() -> None:
    assert len(excerpt("很长" * 200)) == 160
