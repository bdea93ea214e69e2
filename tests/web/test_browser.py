"""End-to-end tests in real headless Chromium (Debian's chromium + chromium-driver) against a live
server on 127.0.0.1, with the network closed (every request not to 127.0.0.1 goes to a dead proxy):
ask, watch the streamed answer, open a citation, check the highlighted text is the citation's
quote, send feedback and find it stored; the API docs render from packaged assets."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from assistant.api.app import create_app
from assistant.feedback import FeedbackStore
from assistant.matching.matcher import EnterpriseProfile
from assistant.models import Answer
from assistant.short_titles import index_short_titles
from tests.live import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
QUESTION = "武汉知识产权信用分级分类监管由哪个部门牵头？"
LONG_QUESTION = "我们是武汉的科技企业，想用专利去银行质押贷款，有什么支持政策？"
ENGLISH = re.compile(r"[A-Za-z]+[ ,.'][ ]?[A-Za-z]+")  # English words in a row (a pinyin example such as Wuhan is fine)

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium and chromium-driver (see scripts/setup.sh)")
    pytest.skip("Debian's chromium and chromium-driver are not installed", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def live_server(assistant, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    settings = assistant.settings.model_copy(update={"data_dir": data_dir})
    with serving(create_app(settings, assistant=assistant)) as url:
        yield url, data_dir


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for a driver online
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900", f"--user-data-dir={tmp_path_factory.mktemp('chrome')}",
                 "--proxy-server=http://127.0.0.1:9"):  # the network is closed: anything not on 127.0.0.1 fails
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    downloads = tmp_path_factory.mktemp("downloads")
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()


def test_chat_round_trip_in_a_real_browser(live_server, browser, assistant) -> None:
    base_url, data_dir = live_server
    expected = assistant.ask(QUESTION)
    browser.get(base_url + "/")
    wait = WebDriverWait(browser, 30)
    box = wait.until(EC.element_to_be_clickable((By.ID, "question")))
    box.send_keys(QUESTION)
    box.send_keys(Keys.ENTER)

    chip = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".message.assistant button.citation-chip")))
    answer_text = browser.find_element(By.CSS_SELECTOR, ".message.assistant .answer-text").get_attribute("textContent")
    assert answer_text.strip().startswith("牵头单位：市市场监管局")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".message.assistant button.citation-chip")) == len(expected.citations)
    assert not browser.find_element(By.CSS_SELECTOR, ".message.assistant .abstained-note").is_displayed()

    chip.click()
    wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#source-panel.open")))
    highlight = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#source-text mark#highlight")))
    wait.until(lambda d: highlight.get_attribute("textContent") == expected.citations[0].quote)
    assert expected.citations[0].title in browser.find_element(By.ID, "source-title").text

    screenshot = os.environ.get("PA_SCREENSHOT")
    if screenshot:
        browser.save_screenshot(screenshot)

    browser.find_element(By.ID, "close-panel").click()
    browser.find_element(By.CSS_SELECTOR, ".message.assistant button.feedback-up").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".message.assistant.feedback-sent")))
    stored = FeedbackStore(data_dir / "feedback.sqlite3").all()
    assert [(r.question, r.rating) for r in stored] == [(QUESTION, "up")]
    assert stored[0].citations[0]["quote"] == expected.citations[0].quote


def test_markup_in_a_question_renders_as_text(live_server, browser) -> None:
    base_url, _ = live_server
    browser.get(base_url + "/")
    wait = WebDriverWait(browser, 30)
    box = wait.until(EC.element_to_be_clickable((By.ID, "question")))
    box.send_keys("<script>window.pwned=1</script><b>粗体</b>质押融资")
    box.send_keys(Keys.ENTER)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".message.assistant button.citation-chip")))
    user = browser.find_elements(By.CSS_SELECTOR, ".message.user")[-1]
    assert "<script>" in user.get_attribute("textContent")
    assert browser.execute_script("return window.pwned === undefined")
    assert not browser.find_elements(By.CSS_SELECTOR, ".message.user b")


def _foreign_requests(browser, base_url: str) -> list[str]:
    """Scripts, styles and data the page requested from anywhere but the server under test."""
    entries = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => [e.name, e.initiatorType])")
    return [name for name, kind in entries if not name.startswith(base_url) and kind != "img"]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_render_offline(live_server, browser, path) -> None:
    base_url, _ = live_server
    browser.get(base_url + path)
    WebDriverWait(browser, 30).until(
        lambda d: "/v1/chat/completions" in d.execute_script("return document.body.innerText"))
    text = browser.execute_script("return document.body.innerText")
    assert "/api/ask" in text and "policy-assistant" in text
    assert _foreign_requests(browser, base_url) == []
    assert not browser.find_elements(By.CSS_SELECTOR, "script:not([src])")  # no inline script


def _ask(browser, base_url: str, question: str):
    """Asks on a fresh chat page; returns the finished assistant message element."""
    browser.get(base_url + "/")
    wait = WebDriverWait(browser, 30)
    box = wait.until(EC.element_to_be_clickable((By.ID, "question")))
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".message.assistant .message-actions")))
    return browser.find_element(By.CSS_SELECTOR, ".message.assistant")


def _sources_markdown(answer: Answer) -> str:
    lines = ["来源："] + [f"- [{n}] 《{c.title}》 {c.section}：“{c.quote}”" for n, c in enumerate(answer.citations, 1)]
    return answer.answer + "\n\n" + "\n".join(lines)


def test_chips_show_short_names_and_the_full_title_on_focus(live_server, browser, assistant) -> None:
    base_url, _ = live_server
    expected = assistant.ask(LONG_QUESTION)
    names = index_short_titles(assistant.index)
    message = _ask(browser, base_url, LONG_QUESTION)
    chips = message.find_elements(By.CSS_SELECTOR, "ul.citation-list > li > button.citation-chip")
    assert len(chips) == len(expected.citations)
    for n, (chip, c) in enumerate(zip(chips, expected.citations), start=1):
        assert chip.text == f"[{n}] {names[c.doc_id]} {c.section}"
        assert c.title not in chip.text and chip.get_attribute("role") is None  # a button, announced as one
        tip = browser.find_element(By.ID, chip.get_attribute("aria-describedby"))
        assert not tip.is_displayed()
        browser.execute_script("arguments[0].focus()", chip)
        assert tip.is_displayed() and tip.text.startswith(f"《{c.title}》 {c.section}")
    chips[0].click()
    panel = WebDriverWait(browser, 30).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#source-panel.open")))
    assert panel.get_attribute("role") == "dialog" and panel.get_attribute("aria-modal") == "false"  # beside the chat


def test_phone_width_keeps_the_first_line_of_the_answer_in_view(live_server, browser) -> None:
    base_url, _ = live_server
    browser.set_window_size(390, 844)
    try:
        message = _ask(browser, base_url, LONG_QUESTION)
        assert browser.execute_script("return window.innerWidth") <= 400
        scroll = browser.find_element(By.ID, "chat-scroll")
        view_top, view_height = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.top, arguments[0].clientHeight]", scroll)
        answer = message.find_element(By.CSS_SELECTOR, ".answer-text")
        assert answer.size["height"] > view_height  # longer than the screen: old behaviour scrolled past its start
        first_line = browser.execute_script("return arguments[0].getBoundingClientRect().top", answer)
        assert view_top <= first_line <= view_top + view_height - 40
        assert browser.find_element(By.CSS_SELECTOR, ".message.user").is_displayed()
        chip = message.find_element(By.CSS_SELECTOR, "button.citation-chip")
        browser.execute_script("arguments[0].scrollIntoView()", chip)
        chip.click()
        panel = WebDriverWait(browser, 30).until(EC.visibility_of_element_located((By.ID, "source-panel")))
        assert panel.get_attribute("aria-modal") == "true"  # covers the screen on a phone
    finally:
        browser.set_window_size(1280, 900)


def test_documents_table_is_readable_at_phone_width(live_server, browser) -> None:
    base_url, _ = live_server
    browser.set_window_size(390, 844)
    try:
        browser.get(base_url + "/documents")
        cell = WebDriverWait(browser, 30).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".doc-title-cell")))
        card = browser.find_element(By.CSS_SELECTOR, ".doc-table tr")
        assert cell.size["width"] >= 0.8 * card.size["width"]  # the title spans the card, not a 5-character column
    finally:
        browser.set_window_size(1280, 900)


def test_copy_and_export_carry_the_sources_as_markdown(live_server, browser, assistant) -> None:
    base_url, _ = live_server
    expected = assistant.ask(QUESTION)
    message = _ask(browser, base_url, QUESTION)
    browser.execute_script(
        "Object.defineProperty(navigator, 'clipboard', {configurable: true, value: {writeText: (t) => {"
        " window.__copied = t; return Promise.resolve(); }}});")
    message.find_element(By.CSS_SELECTOR, "button.copy-answer").click()
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return window.__copied !== undefined"))
    assert browser.execute_script("return window.__copied") == _sources_markdown(expected)

    before = set(browser.downloads.glob("*.md"))
    browser.find_element(By.ID, "export-conversation").click()
    deadline = time.monotonic() + 20
    while not (set(browser.downloads.glob("*.md")) - before) and time.monotonic() < deadline:
        time.sleep(0.1)
    (exported,) = set(browser.downloads.glob("*.md")) - before
    text = exported.read_text(encoding="utf-8")
    assert text.startswith("# 政策问答记录")
    assert f"## 问：{QUESTION}\n\n{_sources_markdown(expected)}" in text


def test_a_reason_can_be_added_after_rating(live_server, browser) -> None:
    base_url, data_dir = live_server
    message = _ask(browser, base_url, "广西地理标志总量2025年目标是多少")
    message.find_element(By.CSS_SELECTOR, "button.feedback-down").click()
    WebDriverWait(browser, 10).until(lambda d: "feedback-sent" in message.get_attribute("class"))
    box = message.find_element(By.CSS_SELECTOR, ".feedback-comment")
    assert box.is_enabled()
    box.send_keys("没有说明2020年的基数")
    message.find_element(By.CSS_SELECTOR, "button.feedback-send-comment").click()
    status = message.find_element(By.CSS_SELECTOR, ".action-status")
    WebDriverWait(browser, 10).until(lambda d: status.text == "已收到补充的意见")
    stored = [r for r in FeedbackStore(data_dir / "feedback.sqlite3").all() if r.question.startswith("广西地理标志")]
    assert [(r.rating, r.comment) for r in stored] == [("down", "没有说明2020年的基数")]


def test_errors_reach_the_user_in_chinese(live_server, browser) -> None:
    base_url, _ = live_server
    browser.get(base_url + "/match")
    wait = WebDriverWait(browser, 30)
    wait.until(EC.element_to_be_clickable((By.ID, "location"))).send_keys("火星")
    browser.find_element(By.ID, "match-submit").click()
    error = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".match-error")))
    assert "火星" in error.text and not ENGLISH.search(error.text), error.text
    results = browser.find_element(By.ID, "match-results")
    assert results.get_attribute("aria-live") is None  # results are not re-read in full on every search

    message = _ask(browser, base_url, QUESTION)
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/documents/*", "*/api/feedback*"]})
    try:
        message.find_element(By.CSS_SELECTOR, "button.citation-chip").click()
        status = wait.until(EC.visibility_of_element_located((By.ID, "source-status")))
        wait.until(lambda d: "失败" in status.text)
        assert "无法连接到服务器" in status.text and not ENGLISH.search(status.text), status.text
        browser.find_element(By.ID, "close-panel").click()
        message.find_element(By.CSS_SELECTOR, "button.feedback-up").click()
        action = message.find_element(By.CSS_SELECTOR, ".action-status")
        wait.until(lambda d: "失败" in action.text)
        assert "无法连接到服务器" in action.text and not ENGLISH.search(action.text), action.text
    finally:
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})


def test_free_text_traits_and_needs_on_the_match_page(live_server, browser, assistant) -> None:
    base_url, _ = live_server
    browser.get(base_url + "/match")
    wait = WebDriverWait(browser, 30)
    wait.until(EC.element_to_be_clickable((By.ID, "location"))).send_keys("武汉")
    browser.find_element(By.ID, "free-traits").send_keys("跨境电商")
    browser.find_element(By.ID, "free-needs").send_keys("贷款贴息、商业秘密保护")
    browser.find_element(By.ID, "match-submit").click()
    note = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".match-understood")))
    for reading in ("贷款贴息 → 融资/质押", "商业秘密保护 → 按原文检索", "跨境电商 → 外贸/出口"):
        assert reading in note.text, note.text
    expected = assistant.match(EnterpriseProfile(location="武汉", traits=["跨境电商"], needs=["贷款贴息", "商业秘密保护"]))
    measures = browser.find_elements(By.CSS_SELECTOR, "#match-results article.measure")
    assert len(measures) == len(expected.measures) > 0
    shown = browser.find_element(By.ID, "match-results").text
    assert expected.measures[0].chunk.heading[:10] in shown

    nonsense = browser.find_element(By.ID, "free-needs")
    nonsense.clear()
    nonsense.send_keys("xyz qwerty")
    browser.find_element(By.ID, "match-submit").click()
    error = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".match-error")))
    assert error.text.startswith("无法理解需求“xyz qwerty”") and not ENGLISH.search(error.text.split("”", 1)[1]), error.text
