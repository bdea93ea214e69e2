"""Removing web-page chrome and advertising from captured policy pages, never policy text.

Only whole lines are dropped; kept lines are left exactly as captured, so quotes of the cleaned
text match the published wording character for character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A line is dropped when it matches one of these (reason, pattern) rules.  The patterns describe
# page furniture of Chinese government and news sites; each is anchored to the whole line so a
# policy sentence that merely mentions a word like 打印 or 分享 is never touched.
_CHROME_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("breadcrumb", re.compile(r"^\s*(当前位置\s*[:：].*|首页\s*[>＞›].*)$")),
    (
        "page widget",
        re.compile(
            r"^\s*(页面|配色|辅助线|重置|无障碍|支持IPv6|简体版\s*[|｜]\s*繁体版|繁体版|简体版|"
            r"收藏.*|我要收藏.*|分享.*|文章分享|微信|头条|微博.*|QQ空间|qq|"
            r"【?\s*字体\s*[:：].*|打印(本页)?|关闭(窗口)?|返回顶部|扫一扫.*|"
            r"文件下载\s*[:：]?.*|关联文件\s*[:：]?.*|相关链接\s*[:：]?.*|附件\s*[:：]\s*)$"
        ),
    ),
    ("page metadata", re.compile(r"^\s*(信息类别|信息来源|来源|发布机构|浏览次数|阅读次数)\s*[:：].{0,200}$")),
    ("page metadata", re.compile(r"^.{0,60}(发布时间|发布日期)\s*[:：].{0,120}$")),
    ("page metadata", re.compile(r"^.{0,40}(选择阅读字号|阅读次数|浏览次数).{0,80}$")),
    ("page metadata", re.compile(r"^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}(\s+\d{1,2}:\d{2}(:\d{2})?)?\s+来源\s*[:：].*$")),
    ("page footer", re.compile(r"^\s*(版权所有|版权|主办单位|承办单位|网站标识码|ICP备).{0,200}(地址|邮编|电话|备案|ICP).*$")),
    ("advert", re.compile(r"^.{0,80}(本文将为大家|小编|免费咨询|可加[vV微]|添加微信|扫码咨询).*$")),
]

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|400-?\d{3}-?\d{4})(?!\d)")
_PHONE_AD_WORDS = re.compile(r"电话|热线|咨询|联系|微信|可加|申报|指导")


@dataclass(frozen=True)
class CleanResult:
    text: str
    dropped: list[tuple[str, str]]  # (line, reason)


def chrome_reason(line: str, seen_long_lines: set[str]) -> str | None:
    """Why a captured line is page chrome, or None if it is (or may be) document text."""
    stripped = line.strip()
    if not stripped:
        return None
    for reason, pattern in _CHROME_RULES:
        if pattern.match(stripped):
            return reason
    if len(stripped) <= 100 and _PHONE.search(stripped) and _PHONE_AD_WORDS.search(stripped):
        return "advert"
    if len(stripped) >= 30 and stripped in seen_long_lines:
        return "duplicate paragraph"
    return None


def clean_text(text: str) -> CleanResult:
    """Drop chrome lines (and the blank line after each) and leading/trailing blank lines."""
    lines = text.split("\n")
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    seen: set[str] = set()
    skip_blank = False
    for line in lines:
        if skip_blank and not line.strip():
            skip_blank = False
            continue
        skip_blank = False
        reason = chrome_reason(line, seen)
        if reason:
            dropped.append((line, reason))
            skip_blank = True
            continue
        if len(line.strip()) >= 30:
            seen.add(line.strip())
        kept.append(line.rstrip())
    while kept and not kept[0].strip():
        kept.pop(0)
    while kept and not kept[-1].strip():
        kept.pop()
    return CleanResult(text="\n".join(kept), dropped=dropped)
