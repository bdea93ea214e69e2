"""Markdown as knowledge-base tools export it (Obsidian, Quartz, Logseq …) read as a person reads it.

- YAML front matter (parsed by python-frontmatter): a file may be several slices concatenated,
  each opening with its own block.  The first block describes the document; a later block's
  ``title`` becomes a heading line (``# 标题``) where that slice begins, so it titles a section.
- ``<!-- … -->`` comments are dropped (whole lines, spans inside a line, blocks over several lines).
- Wiki links ``[[target|label]]`` read as ``label``, ``[[target]]`` as ``target``; embeds
  ``![[…]]`` are dropped.  The served text holds what is read, so quotes and offsets are about it.
- Navigation is dropped as chrome: lines made only of links (``- [[第一章 总则]]``), a short label
  followed only by links (``上级：[[…]]``), node counts (``共 12 个章节节点``) and a heading whose
  whole section is such lines (``## 子节点``; not a page title ``# …``).  A line holding any other text is kept.

Text that is not Markdown passes through unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import frontmatter
import yaml

_FENCE = re.compile(r"^-{3,}\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_EMBED = re.compile(r"!\[\[[^\[\]\n]*\]\]")
_LINK = re.compile(r"\[\[([^\[\]|\n]+?)(?:\|([^\[\]\n]*))?\]\]")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+\S")
# what may stand between links on a navigation line: list markers, separators, arrows
_NAV_FILLER = re.compile(r"^[\s\-*+>|·•,，、/→←↑↓]*$|^\s*\d+[.)]\s*$")
_NAV_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?[\u4e00-\u9fa5A-Za-z]{1,8}\s*[:：]")
_NODE_COUNT = re.compile(r"^\s*(?:[-*+]\s+)?共\s*\d+\s*个[\u4e00-\u9fa5]{0,6}(?:节点|页面|笔记|条目|文档|子项|链接)\s*$")
_MAX_FRONT_MATTER_LINES = 80


@dataclass(frozen=True)
class RenderedText:
    text: str  # what a person reads; every later offset refers to text derived from it line by line
    front_matter: dict[str, Any] = field(default_factory=dict)  # the first block's fields
    slice_titles: tuple[str, ...] = ()  # titles of the later slices, as they head their sections
    dropped: tuple[tuple[str, str], ...] = ()  # (line, reason)


def _front_matter_at(lines: list[str], start: int) -> tuple[int, dict[str, Any]] | None:
    """(closing line index, fields) when a YAML front matter block opens at ``start``."""
    if not _FENCE.match(lines[start]):
        return None
    for end in range(start + 1, min(len(lines), start + _MAX_FRONT_MATTER_LINES)):
        if _FENCE.match(lines[end]):
            if end == start + 1:
                return None
            try:
                post = frontmatter.loads("\n".join(lines[start:end + 1]) + "\n")
            except (yaml.YAMLError, ValueError, TypeError):
                return None
            return (end, dict(post.metadata)) if post.metadata else None
    return None


def _title_of(fields: dict[str, Any]) -> str:
    for key in ("title", "标题", "name", "名称"):
        value = fields.get(key)
        if value is not None and str(value).strip():
            return " ".join(str(value).split())
    return ""


def is_navigation(line: str) -> bool:
    """A line that only points elsewhere: links and separators, optionally after a short label."""
    if _NODE_COUNT.match(line):
        return True
    if "[[" not in line:
        return False
    rest = _LINK.sub(" ", _EMBED.sub(" ", line))
    label = _NAV_LABEL.match(rest)
    if label:
        rest = rest[label.end():]
    return bool(_NAV_FILLER.match(rest))


def render_links(line: str) -> str:
    """``[[target|label]]`` -> label, ``[[target]]`` -> target, embeds removed."""
    line = _EMBED.sub("", line)
    return _LINK.sub(lambda m: (m.group(2) if m.group(2) is not None else m.group(1)).strip(), line)


def _drop_comments(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Remove comments; lines left empty by a removal go, with the blank line after them."""
    dropped: list[tuple[str, str]] = []
    if "<!--" not in text:
        return text, dropped
    kept: list[str] = []
    skip_blank = False
    marked = _COMMENT.sub(lambda m: "\0" + "\n\0" * m.group(0).count("\n"), text)
    for raw, line in zip(marked.split("\n"), text.split("\n"), strict=True):
        if skip_blank and not raw.strip():
            skip_blank = False
            continue
        skip_blank = False
        if "\0" in raw:
            rest = raw.replace("\0", "")
            if not rest.strip():
                dropped.append((line, "comment"))
                skip_blank = True
                continue
            raw = rest
        kept.append(raw)
    return "\n".join(kept), dropped


def _split_slices(lines: list[str]) -> tuple[list[str], dict[str, Any], list[str]]:
    """Replace front matter blocks: the first gives the document's fields, later ones a heading."""
    out: list[str] = []
    first: dict[str, Any] | None = None
    titles: list[str] = []
    i = 0
    while i < len(lines):
        found = _front_matter_at(lines, i) if (i == 0 or not lines[i - 1].strip() or not out) else None
        if found is None:
            out.append(lines[i])
            i += 1
            continue
        end, fields = found
        title = _title_of(fields)
        body = lines[end + 1:]
        opening = next((ln.strip() for ln in body if ln.strip()), "")
        if first is None:
            first = fields
            if title and opening.lstrip("# ").strip() != title:
                out.append(f"# {title}")
        elif title:
            titles.append(title)
            if opening.lstrip("# ").strip() != title:
                out.append(f"# {title}")
        i = end + 1
    return out, first or {}, titles


def _drop_navigation(lines: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Drop navigation lines, and a heading whose section holds only navigation (## 子节点)."""
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    skip_blank = False
    for k, line in enumerate(lines):
        if skip_blank and not line.strip():
            skip_blank = False
            continue
        skip_blank = False
        section = _HEADING.match(line)
        if is_navigation(line) or (section and len(section.group(1)) > 1 and _only_navigation_under(lines, k)):
            dropped.append((line, "navigation"))
            skip_blank = True
        else:
            kept.append(line)
    return kept, dropped


def _only_navigation_under(lines: list[str], k: int) -> bool:
    """Whether the section under the heading at ``k`` is made of navigation lines (at least one)."""
    seen = False
    for line in lines[k + 1:]:
        if _HEADING.match(line):
            break
        if line.strip():
            if not is_navigation(line):
                return False
            seen = True
    return seen


def render_markdown(text: str) -> RenderedText:
    """The text a knowledge-base page shows, with the first front matter block's fields."""
    text, dropped = _drop_comments(text)
    lines, fields, titles = _split_slices(text.split("\n"))
    lines, navigation = _drop_navigation(lines)
    rendered = "\n".join(render_links(line) for line in lines)
    return RenderedText(rendered, fields, tuple(titles), tuple(dropped + navigation))
