"""Rebuilding tables that web captures flattened to one cell per line.

A flattened table looks like: an optional title line, the header cells (序号, 类别, …) one per
line, then each row as its serial number followed by its cells.  Empty cells vanish in the
capture and merged cells (a category spanning several rows) appear only in their first row, so a
row may have fewer cells than the header.  Cells are aligned to columns by type (numeric or text,
learned from the complete rows) with a small dynamic programme; missing leading text columns are
carried down from the row above (merged cells), other missing cells stay empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.ingest.numbering import match_marker

_HEADER_START = re.compile(r"^\s*(序号|编号|序)\s*$")
_NUMERIC = re.compile(r"^[≥≤<>＞＜约~～+\-]*\s*[【\[]?[\d.,，]+[】\]]?\s*[%％‰]?[以上下内]*$|^[-—–/／]+$")
_NOTE = re.compile(r"^\s*(注|说明|备注)\s*[:：]")


@dataclass(frozen=True)
class Line:
    text: str
    start: int
    end: int


@dataclass
class TableRow:
    serial: int
    cells: dict[str, str]
    start: int
    end: int


@dataclass
class FlatTable:
    title: str
    header: list[str]
    rows: list[TableRow]
    notes: list[Line] = field(default_factory=list)
    first_line: int = 0  # index of the first line the table occupies (title or header)
    last_line: int = 0  # index of the last line it occupies (last cell or last note)
    start: int = 0
    end: int = 0

    def statement(self, row: TableRow) -> str:
        """A row as a complete sentence-like statement, e.g. for embedding and display."""
        parts = [f"{name}：{row.cells.get(name) or '（空）'}" for name in self.header]
        return f"{self.title}　" + "；".join(parts)


def is_numeric_cell(text: str) -> bool:
    return bool(_NUMERIC.match(text.strip()))


def _non_empty(lines: list[Line], i: int) -> int:
    while i < len(lines) and not lines[i].text.strip():
        i += 1
    return i


def _is_serial(text: str, expected: int) -> bool:
    return text.strip() == str(expected)


def _ends_table(line: Line) -> bool:
    text = line.text.strip()
    if len(text) > 80 or _NOTE.match(text):
        return True
    marker = match_marker(text)
    return bool(marker and marker.kind in ("cn_item", "paren_cn", "box", "chapter", "article", "markdown"))


def find_table(lines: list[Line], index: int) -> FlatTable | None:
    """Parse a flattened table whose header starts at ``lines[index]`` (a 序号 line)."""
    if not _HEADER_START.match(lines[index].text):
        return None
    header: list[str] = []
    i = index
    while i < len(lines):
        i = _non_empty(lines, i)
        if i >= len(lines):
            return None
        text = lines[i].text.strip()
        if _is_serial(text, 1):
            break
        if len(text) > 24 or "。" in text or len(header) > 12:
            return None
        header.append(text)
        i += 1
    if len(header) < 3:
        return None
    raw_rows: list[tuple[int, Line, list[Line]]] = []
    last = i
    serial = 1
    while i < len(lines):
        i = _non_empty(lines, i)
        if i >= len(lines) or not _is_serial(lines[i].text, serial):
            break
        cells: list[Line] = []
        last = i
        j = i + 1
        while True:
            j = _non_empty(lines, j)
            if j >= len(lines) or _ends_table(lines[j]):
                break
            if _is_serial(lines[j].text, serial + 1) and len(cells) >= 2:
                break
            if len(cells) > 2 * len(header):
                break
            cells.append(lines[j])
            last = j
            j += 1
        raw_rows.append((serial, lines[i], cells))
        serial += 1
        i = j
    if len(raw_rows) < 2:
        return None
    title_index = _title_index(lines, index)
    table = FlatTable(
        title=lines[title_index].text.strip() if title_index is not None else "表",
        header=header,
        rows=[],
        first_line=title_index if title_index is not None else index,
    )
    _fill_rows(table, raw_rows)
    table.last_line = last
    notes_end = _notes(lines, last + 1, table)
    if notes_end is not None:
        table.last_line = notes_end
    table.start = lines[table.first_line].start
    table.end = lines[table.last_line].end
    return table


def _title_index(lines: list[Line], header_index: int) -> int | None:
    j = header_index - 1
    while j >= 0 and not lines[j].text.strip():
        j -= 1
    if j < 0:
        return None
    text = lines[j].text.strip()
    if len(text) <= 50 and not re.search(r"[。，,；;]", text) and not match_marker(text):
        return j
    return None


def _notes(lines: list[Line], i: int, table: FlatTable) -> int | None:
    """Attach a 注: block (its first line and the numbered lines continuing it) to the table."""
    i = _non_empty(lines, i)
    if i >= len(lines) or not _NOTE.match(lines[i].text):
        return None
    table.notes.append(lines[i])
    last = i
    first = match_marker(re.sub(r"^\s*(注|说明|备注)\s*[:：]\s*", "", lines[i].text))
    expected = first.number + 1 if first and first.kind == "arabic" else None
    j = i + 1
    while expected is not None:
        j = _non_empty(lines, j)
        marker = match_marker(lines[j].text) if j < len(lines) else None
        if not marker or marker.kind != "arabic" or marker.number != expected:
            break
        table.notes.append(lines[j])
        last = j
        expected += 1
        j += 1
    return last


def _column_types(header: list[str], complete: list[list[str]]) -> list[str]:
    types = []
    for col in range(len(header)):
        values = [row[col] for row in complete]
        numeric = sum(is_numeric_cell(v) for v in values)
        types.append("num" if values and numeric * 2 >= len(values) else "text")
    if not complete:  # no complete row to learn from: guess from the header names
        types = ["num" if re.search(r"值|数|量|率|额|序号|\d{4}", h) and "指标" not in h else "text" for h in header]
    return types


def _align(cells: list[str], types: list[str], known: list[set[str]]) -> list[int]:
    """Monotone assignment of cells to columns maximising type agreement; returns column per cell."""
    n, m = len(types), len(cells)
    neg = float("-inf")
    best = [[neg] * (n + 1) for _ in range(m + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (n + 1) for _ in range(m + 1)]
    for c in range(n + 1):
        best[0][c] = 0.0
    for k in range(1, m + 1):
        cell = cells[k - 1]
        for c in range(1, n + 1):
            col = c - 1
            score = 3.0 if cell in known[col] else 0.0
            same = is_numeric_cell(cell) == (types[col] == "num")
            score += 2.0 if same else -5.0
            # tie-breaks: numbers fill from the left, text prefers the later (more specific) column
            score += -0.01 * col if types[col] == "num" else 0.01 * col
            for prev in range(c):
                if best[k - 1][prev] > neg and best[k - 1][prev] + score > best[k][c]:
                    best[k][c] = best[k - 1][prev] + score
                    back[k][c] = (k - 1, prev)
    end = max(range(1, n + 1), key=lambda c: best[m][c]) if m else 0
    columns = []
    k, c = m, end
    while k > 0:
        columns.append(c - 1)
        prev = back[k][c]
        assert prev is not None
        k, c = prev
    return columns[::-1]


def _fill_rows(table: FlatTable, raw_rows: list[tuple[int, Line, list[Line]]]) -> None:
    header = table.header
    data_cols = len(header) - 1  # the serial column is given
    complete = [[str(s)] + [c.text.strip() for c in cells] for s, _, cells in raw_rows if len(cells) == data_cols]
    types = _column_types(header, complete)
    known = [set() for _ in header]
    for row in complete:
        for col, value in enumerate(row):
            if types[col] == "text" and sum(r[col] == value for r in complete) > 1:
                known[col].add(value)  # categorical values such as 预期性 / 约束性
    previous: dict[str, str] = {}
    for serial, serial_line, cells in raw_rows:
        texts = [c.text.strip() for c in cells][:data_cols]
        columns = _align(texts, types[1:], known[1:]) if texts else []
        values = {name: "" for name in header}
        values[header[0]] = str(serial)
        for text, col in zip(texts, columns):
            values[header[col + 1]] = text
        first_filled = min(columns) + 1 if columns else len(header)
        for col in range(1, first_filled):  # merged cells: leading text columns carry down
            if types[col] == "text" and not values[header[col]]:
                values[header[col]] = previous.get(header[col], "")
        previous = values
        end = cells[-1].end if cells else serial_line.end
        table.rows.append(TableRow(serial=serial, cells=values, start=serial_line.start, end=end))

