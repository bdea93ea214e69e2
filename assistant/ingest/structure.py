"""Parsing a cleaned document along its own numbering into sections and clauses.

Sections nest by the conventional order of Chinese official numbering (第X章 > 第X节 > 第X条,
一、 > (一) > 1. > (1) > ①; Markdown headings above all); a marker is accepted only where it
continues its sequence, so numbers inside sentences or table cells are not taken for headings.
专栏 boxes interrupt the numbering and end at the next numbered item.  Unnumbered paragraphs that
open with a short sentence (the national plan's style) are labelled by that lead sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.ingest.numbering import Marker, inline_marker_positions, match_marker
from assistant.ingest.tables import FlatTable, Line, find_table
from assistant.models import Section

PREAMBLE = "前言"
INLINE_SPLIT_MIN_CHARS = 500
LEAD_SENTENCE_MAX_CHARS = 30
HEADING_MAX_CHARS = 60
# A sibling's number may run at most this far past the one before (三、 after 一、: a skipped item);
# further, the marker is more likely a cross-reference at a line start than a new part.
MAX_NUMBER_STEP = 3
# An article header set off by a space (第五十条　注册商标…) is one even after a longer jump: notices
# and guides quote a regulation's 第三条, 第八条, 第二十条 and 第五十条 only.  A reference (第五十条规定的…)
# runs on without a space.
_SPACED_ARTICLE = re.compile(r"\s*第[零〇一二两三四五六七八九十百千\d]+条[ \t\u3000]+\S")
QUESTION_MAX_CHARS = 100  # a question heads its answer whole, so a user's question can match it

_RANK = {
    "md1": 0, "md2": 1, "md3": 2, "md4": 3, "md5": 4, "md6": 5,
    "chapter": 10, "part": 11, "article": 12,
    "cn_item": 20, "paren_cn": 21, "arabic": 22, "paren_arabic": 23, "circled": 24,
}
_SENTENCE_END = "。！？!?"


@dataclass
class Clause:
    """A run of text under one section: the unit later chunked and cited."""

    section: str
    heading: str
    start: int
    end: int
    kind: str = "clause"  # clause / table_row / table_note
    text: str | None = None  # display text when it differs from the span (table rows)
    row: dict[str, str] | None = None


@dataclass
class _Node:
    kind: str
    number: int
    token: str
    heading: str
    start: int
    depth: int
    path: str
    md_level: int = 0  # the Markdown heading level it was opened by (0: not a heading)
    units: list[tuple[int, int, str | None]] = field(default_factory=list)  # (start, end, lead sentence)


@dataclass
class DocumentStructure:
    sections: list[Section]
    clauses: list[Clause]
    tables: list[FlatTable]


def split_lines(text: str) -> list[Line]:
    """Lines with their offsets; very long lines are cut where an inline numbered item starts."""
    lines: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        cuts = inline_marker_positions(raw) if len(raw) >= INLINE_SPLIT_MIN_CHARS else []
        begin = 0
        for cut in [*cuts, len(raw)]:
            if cut > begin:
                lines.append(Line(raw[begin:cut], pos + begin, pos + cut))
            begin = cut
        if not raw:
            lines.append(Line("", pos, pos))
        pos += len(raw) + 1
    return lines


def lead_sentence(text: str) -> str | None:
    """The short opening sentence that labels a paragraph (健全知识产权法律法规。), if it has one."""
    body = text.strip().lstrip("—－-").strip()
    found = re.search(f"[{_SENTENCE_END}]", body)
    if not found or found.start() == 0 or found.end() > LEAD_SENTENCE_MAX_CHARS:
        return None
    if not body[found.end():].strip():
        return None
    return body[: found.end()]


def _heading_from_rest(rest: str, kind: str = "") -> tuple[str, bool]:
    """(heading, has_body) for the text after a marker.

    A marker line is a bare heading when it is short and ends without continuing (一、总体要求 /
    (四)完善知识产权法律政策体系。); otherwise the whole line is body text whose heading is its
    first sentence.  Articles (第X条) and list items always carry body text.
    """
    rest = rest.strip()
    found = re.search(f"[{_SENTENCE_END}]", rest)
    first = rest[: found.start()].strip() if found else rest.rstrip("；;：:")
    after = rest[found.end():].strip() if found else ""
    question = bool(found) and rest[found.start()] in "？?" and len(first) <= QUESTION_MAX_CHARS
    heading = first if len(first) <= HEADING_MAX_CHARS or question else first[:20] + "…"
    bare = len(rest) <= 40 and not after and not rest.endswith(("；", ";", "：", ":", "，"))
    if kind in ("article", "question", "paren_arabic", "circled") or not bare:
        return heading, bool(rest)
    return heading, False


class _Parser:
    def __init__(self, text: str, max_chars: int):
        self.text = text
        self.max_chars = max_chars
        self.lines = split_lines(text)
        self.stack: list[_Node] = []
        self.box: _Node | None = None
        self.nodes: list[_Node] = []
        self.tables: list[tuple[_Node | None, FlatTable]] = []
        self.preamble = _Node("preamble", 0, "", PREAMBLE, 0, 0, PREAMBLE)
        self.title_seen = False
        self.question_rank: float | None = None  # set by the first question (Q&A documents)

    # -- numbering ------------------------------------------------------------------------
    def current(self) -> _Node:
        if self.box is not None:
            return self.box
        return self.stack[-1] if self.stack else self.preamble

    def rank(self, kind: str) -> float:
        if kind == "question":
            return self.question_rank if self.question_rank is not None else 9.5
        return _RANK[kind]

    def accept(self, marker: Marker, line: Line) -> bool:
        kind = marker.kind if marker.kind != "markdown" else f"md{marker.number}"
        if kind == "md1" and not self.title_seen and not self.nodes:
            self.title_seen = True  # a Markdown document's title
            return False
        if kind == "question" and self.question_rank is None:
            # questions nest inside the parts open at the first one; their answers' numbering inside them
            self.question_rank = max((self.rank(n.kind) for n in self.stack), default=9) + 0.5
        if marker.heading_level:  # ## 第一章 closes unnumbered headings of its level or below (## 效力信息)
            while self.stack and self.stack[-1].kind.startswith("md") and self.stack[-1].md_level >= marker.heading_level:
                self.stack.pop()
        if kind == "box":
            node = _Node("box", marker.number, marker.token, "", line.start, len(self.stack) + 1, marker.token)
            self.box = node
            node.heading, _ = _heading_from_rest(marker.rest, kind)
            self.nodes.append(node)
            return True
        rank = self.rank(kind)
        keep = len(self.stack)
        while keep and self.rank(self.stack[keep - 1].kind) > rank:
            keep -= 1
        number = marker.number
        if keep and self.stack[keep - 1].kind == kind:
            previous = self.stack[keep - 1].number
            if kind == "question" and not number:
                number = previous + 1
            if not previous < number <= previous + MAX_NUMBER_STEP and not (
                    kind == "article" and number > previous and _SPACED_ARTICLE.match(line.text)):
                return False
            keep -= 1
        elif kind == "question" and not number:
            number = 1
        del self.stack[keep:]
        self.box = None
        token = marker.token if kind[:2] != "md" else marker.rest.strip()
        if kind == "question":
            token = f"问{number}"
        path = " ".join([*(n.token for n in self.stack if n.token), token]).strip()
        heading, _ = _heading_from_rest(marker.rest, kind)
        md_level = marker.number if kind[:2] == "md" else marker.heading_level
        node = _Node(kind, number, token, heading, line.start, len(self.stack) + 1, path, md_level)
        self.stack.append(node)
        self.nodes.append(node)
        return True

    # -- main loop ------------------------------------------------------------------------
    def parse(self) -> DocumentStructure:
        tables = self._find_tables()
        i = 0
        while i < len(self.lines):
            line = self.lines[i]
            if i in tables:
                self.tables.append((self.current() if self.current() is not self.preamble else None, tables[i]))
                i = tables[i].last_line + 1
                continue
            if line.text.strip():
                self._line(line, inline=i > 0 and self.lines[i - 1].end == line.start)
            i += 1
        return self._finish()

    def _find_tables(self) -> dict[int, FlatTable]:
        found: dict[int, FlatTable] = {}
        i = 0
        while i < len(self.lines):
            table = find_table(self.lines, i)
            if table:
                found[table.first_line] = table
                i = table.last_line + 1
            else:
                i += 1
        return found

    def _line(self, line: Line, inline: bool) -> None:
        marker = match_marker(line.text)
        stripped_start = line.start + (len(line.text) - len(line.text.lstrip()))
        if marker and self.accept(marker, line):
            node = self.current()
            _, has_body = _heading_from_rest(marker.rest, node.kind)
            if has_body:
                node.units.append((stripped_start, line.end, node.heading))
            return
        node = self.current()
        if inline and node.units:  # a rejected inline marker: the text continues the paragraph
            start, _, lead = node.units[-1]
            node.units[-1] = (start, line.end, lead)
            return
        if marker and marker.kind == "markdown":  # the document title of a Markdown file
            return
        node.units.append((stripped_start, line.end, lead_sentence(line.text)))

    # -- output ---------------------------------------------------------------------------
    def _finish(self) -> DocumentStructure:
        ends = self._section_ends()
        sections = [
            Section(path=n.path, heading=n.heading, kind=n.kind, depth=n.depth, start=n.start, end=ends[id(n)])
            for n in self.nodes
        ]
        clauses: list[Clause] = []
        folded = self._fold_articles()
        for node in [self.preamble, *self.nodes]:
            if id(node) not in folded:
                clauses.extend(self._clauses(node))
            for unit_start, unit_end, lead in node.units:
                if lead and lead.rstrip("。") != node.heading and node.kind != "preamble":
                    sections.append(
                        Section(node.path, lead, "paragraph", node.depth + 1, unit_start, unit_end)
                    )
        for parent, table in self.tables:
            clauses.extend(self._table_clauses(parent, table))
            sections.append(
                Section(self._table_path(parent, table), table.title, "table", (parent.depth if parent else 0) + 1,
                        table.start, table.end)
            )
        clauses.sort(key=lambda c: c.start)
        sections.sort(key=lambda s: (s.start, s.depth))
        return DocumentStructure(sections=sections, clauses=clauses, tables=[t for _, t in self.tables])

    def _fold_articles(self) -> set[int]:
        """Fold the items of an article (第X条 (一)…(八)) into the article's own clauses."""
        folded: set[int] = set()
        for k, node in enumerate(self.nodes):
            if node.kind != "article":
                continue
            for later in self.nodes[k + 1:]:
                if later.depth <= node.depth or later.kind == "box":
                    break
                node.units.extend((s, e, None) for s, e, _ in later.units)
                folded.add(id(later))
            node.units.sort()
        return folded

    def _section_ends(self) -> dict[int, int]:
        ends: dict[int, int] = {}
        for k, node in enumerate(self.nodes):
            end = len(self.text)
            for later in self.nodes[k + 1:]:
                if node.kind == "box" or (later.kind != "box" and later.depth <= node.depth):
                    end = later.start
                    break
            ends[id(node)] = self.text.rstrip().__len__() if end == len(self.text) else end
        return ends

    def _clauses(self, node: _Node) -> list[Clause]:
        clauses: list[Clause] = []
        current: Clause | None = None
        for start, end, lead in node.units:
            labelled = lead is not None and node.kind not in ("preamble", "article")
            if current and not labelled and end - current.start <= self.max_chars:
                current.end = end
                continue
            heading = lead.rstrip("。") if labelled and lead else node.heading
            current = Clause(section=node.path, heading=heading or node.heading, start=start, end=end)
            clauses.append(current)
        return clauses

    @staticmethod
    def _table_path(parent: _Node | None, table: FlatTable) -> str:
        label = "指标表" if "指标" in table.title or any("指标" in h for h in table.header) else "表"
        return f"{parent.path} {label}".strip() if parent else label

    def _table_clauses(self, parent: _Node | None, table: FlatTable) -> list[Clause]:
        path = self._table_path(parent, table)
        clauses = []
        main = _main_column(table)
        for row in table.rows:
            clauses.append(
                Clause(
                    section=f"{path} 序号{row.serial}",
                    heading=row.cells.get(main, "") or table.title,
                    start=row.start,
                    end=row.end,
                    kind="table_row",
                    text=table.statement(row),
                    row=row.cells,
                )
            )
        if table.notes:
            clauses.append(
                Clause(section=f"{path} 注", heading=f"{table.title} 注", start=table.notes[0].start,
                       end=table.notes[-1].end, kind="table_note")
            )
        return clauses


def _main_column(table: FlatTable) -> str:
    """The column naming what a row is about (主要指标, 名称, 项目…)."""
    for name in table.header:
        if re.search(r"指标|名称|项目|内容|事项", name):
            return name
    return table.header[min(1, len(table.header) - 1)]


def parse_structure(text: str, max_chars: int = 450) -> DocumentStructure:
    """Sections and clauses of a cleaned document."""
    return _Parser(text, max_chars).parse()
