from assistant.text.templates import render


def test_who_leads_lists_units_exactly() -> None:
    measure = {"title": "某方案", "section": "二、 (一) 2.", "heading": "分级分类监管", "period_note": "", "n": 1}
    text = render("who_leads.j2", measure=measure, lead=["市市场监管局"], responsible=["市发改委", "市政务服务大数据局"],
                  notes=[], narrative=False, role=None)
    assert text.splitlines()[0] == "牵头单位：市市场监管局；责任单位：市发改委、市政务服务大数据局。"
    assert text.splitlines()[1] == "事项：《某方案》二、 (一) 2.“分级分类监管” [1]"


def test_who_leads_national_style_and_role() -> None:
    measure = {"title": "规划", "section": "三、 (六)", "heading": "健全知识产权行政保护机制", "period_note": "", "n": 1}
    text = render("who_leads.j2", measure=measure, lead=["国家知识产权局"], responsible=["中央宣传部", "文化和旅游部"],
                  notes=[], narrative=True, role={"unit": "文旅部", "role": "responsible"},
                  annotation="国家知识产权局牵头，中央宣传部、文化和旅游部等按职责分工负责")
    lines = text.splitlines()
    assert lines[0] == "文旅部参与“健全知识产权行政保护机制”，是按职责分工负责的单位之一，不是牵头单位。"
    assert lines[1] == "国家知识产权局牵头，中央宣传部、文化和旅游部等按职责分工负责。"  # the annotation's own words


def test_who_leads_a_single_unit_in_its_own_words() -> None:
    measure = {"title": "意见", "section": "五、 (十六)", "heading": "进一步提高商标注册效率", "period_note": "", "n": 1}
    text = render("who_leads.j2", measure=measure, lead=[], responsible=["国家知识产权局"], notes=[], narrative=True,
                  role=None, annotation="国家知识产权局负责")
    assert text.splitlines()[0] == "国家知识产权局负责（未单列牵头单位）。"


def test_abstain_quotes_the_nearest_sentences() -> None:
    text = render("abstain.j2", reason="知识库中没有杭州市的政策文件。",
                  nearest=[{"title": "规划", "section": "一、", "quote": "推动知识产权质押融资。", "n": 1}])
    assert text.startswith("知识库中没有杭州市的政策文件。") and "仅供参考" in text
    assert "《规划》一、：“推动知识产权质押融资。” [1]" in text
