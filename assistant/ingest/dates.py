"""Dates as Chinese documents write them: 2022年5月1日, 2022-05-01, 2022/5/1, 20220501."""

from __future__ import annotations

import re
from datetime import date

CN_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
ISO_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
PACKED_DATE = re.compile(r"^\s*((?:19|20)\d{2})(\d{2})(\d{2})\s*$")
# one date in any of the written forms, for use inside larger patterns
ANY_DATE = r"(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2})"


def valid_date(year: str | int, month: str | int, day: str | int) -> str | None:
    """ISO date, or None for an impossible one (2021年2月30日)."""
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def dates_in(text: str) -> list[str]:
    """Every valid date written in ``text``, as ISO strings, in pattern order (Chinese first)."""
    values = []
    for pattern in (CN_DATE, ISO_DATE, PACKED_DATE):
        for found in pattern.finditer(text):
            if value := valid_date(*found.groups()):
                values.append(value)
    return values


def first_date(text: str) -> str | None:
    found = dates_in(text)
    return found[0] if found else None


def add_years(iso: str, years: int) -> str:
    """The day before the same date ``years`` later: the last day of an N-year validity."""
    start = date.fromisoformat(iso)
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28)
    return date.fromordinal(end.toordinal() - 1).isoformat()
