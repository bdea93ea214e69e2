"""Cleaning proves both ways on every bundled file: chrome goes, policy text stays."""

import re
from pathlib import Path

import pytest

from assistant.ingest.cleaner import clean_text
from tests.conftest import BUNDLED_FILES, EXTRA_DIR, dev_items

CHROME = ["页面", "配色", "辅助线", "重置", "首页 >", "当前位置", "我要收藏", "【字体", "文章分享", "19855109130",
          "0551-65300586", "本文将为大家讲讲", "选择阅读字号", "萍安北大道", "文件下载", "关联文件"]


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: p.stem)
def test_chrome_is_dropped(path: Path) -> None:
    cleaned = clean_text(path.read_text(encoding="utf-8")).text
    for line in cleaned.split("\n"):
        for junk in CHROME:
            assert not line.strip().startswith(junk), f"chrome left in {path.name}: {line[:40]}"
    assert "19855109130" not in cleaned and "本文将为大家" not in cleaned


@pytest.mark.parametrize("path", [*BUNDLED_FILES, *sorted(EXTRA_DIR.glob("*.txt"))], ids=lambda p: p.stem)
def test_policy_text_is_never_dropped(path: Path) -> None:
    """Every dropped line is short page furniture; every numbered or sentence line survives verbatim."""
    raw = path.read_text(encoding="utf-8-sig")
    result = clean_text(raw)
    for line, reason in result.dropped:
        body = line.strip()
        assert reason in {"breadcrumb", "page widget", "page metadata", "page footer", "markup", "advert",
                          "duplicate paragraph"}
        if reason != "duplicate paragraph":
            assert not re.match(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.．]|第.+条)", body)
    kept = set(result.text.split("\n"))
    dropped = {line for line, _ in result.dropped}
    for line in raw.split("\n"):
        if line.strip() and line not in dropped:
            assert line.rstrip() in kept


def test_duplicated_intro_paragraph_kept_once() -> None:
    text = "标题\n\n这是一段足够长的介绍文字，用来说明本页面的主要内容以及其他信息。\n\n这是一段足够长的介绍文字，用来说明本页面的主要内容以及其他信息。\n\n一、正文。"
    cleaned = clean_text(text).text
    assert cleaned.count("这是一段足够长的介绍文字") == 1 and "一、正文。" in cleaned


def test_every_dev_gold_span_survives_cleaning() -> None:
    texts = {p.name: clean_text(p.read_text(encoding="utf-8")).text for p in BUNDLED_FILES}
    for item in dev_items():
        for gold in item["gold"]:
            assert gold["span"] in texts[gold["doc"]], (item["id"], gold["span"][:20])


def test_sentence_mentioning_share_or_print_is_kept() -> None:
    text = "一、总体要求\n推动数据分享和打印服务规范发展，加强收藏品市场的知识产权保护。"
    assert clean_text(text).text == text
