"""The owner's CSV export of the tasks (`report.task_json`'s columns, one row per task)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .report import TaskRow, task_json

COLUMNS = ("when", "visitor", "provider", "model", "status", "estimate", "charged", "unit", "seconds", "key")


def tasks_csv(rows: Iterable[TaskRow]) -> str:
    """CSV text with a header row. A cell that a spreadsheet would run as a formula (=, +, -,
    @ first) is prefixed with a quote: a provider or model name is data, never a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = task_json(row)
        writer.writerow([_cell(values[name]) for name in COLUMNS])
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and len(text) > 1 and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
