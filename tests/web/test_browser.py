"""End-to-end tests in real headless Chromium (Debian's chromium + chromium-driver) against a live
server on 127.0.0.1, with the network closed (every request not to 127.0.0.1 goes to a dead proxy):
ask, watch the streamed answer, open a citation, check the highlighted text is the citation's
quote, send feedback and find it stored; the API docs render from packaged assets."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.api.app import create_app
from assistant.feedback import FeedbackStore
from tests.live import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
QUESTION = "武汉知识产权信用分级分类监管由哪个部门牵头？"

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
