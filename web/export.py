"""The command centre's exports: the filtered case list and the figures table, as Excel (openpyxl)
or CSV (UTF-8 with a BOM, so that Excel opens the Chinese correctly)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def table(rows: Iterable[Sequence[object]], kind: str, sheet: str) -> tuple[bytes, str]:
    """The rows (the first one the header) as a file of `kind` (xlsx or csv) and its media type;
    another kind is a ValueError."""
    if kind not in ("xlsx", "csv"):
        raise ValueError(kind)
    if kind == "xlsx":
        book = Workbook()
        page = book.active
        page.title = sheet
        for row in rows:
            page.append(list(row))
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), XLSX
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8"), CSV
