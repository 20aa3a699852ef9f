"""Reports on their way out of the system: CSV, XLSX and SVG, always with small numbers suppressed.

- CSV: one file per report; each table is a title line, a header line, its
  rows and its note, with a blank line between tables.
- XLSX (openpyxl): an "About" sheet (report, quarter, the suppression rule),
  then one sheet per table, and each chart of the report as a native Excel
  chart drawn from the suppressed table beside it (a hidden count is text
  there, so Excel draws no bar for it). openpyxl cannot embed SVG, so the SVG
  charts are separate downloads (``chart_svg``) and, from the command line,
  files written alongside (``--charts DIR``).
- SVG: the chart drawn from the suppressed table: a hidden count is no bar,
  with its mark written instead.

A text cell that a spreadsheet would run as a formula (starting with
``= + - @``) is prefixed with an apostrophe.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from safehome.services import suppression
from safehome.services.reports_base import PERCENT, TARGET, Report, Table, chart_svg, suppressed_report

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "svg": "image/svg+xml"}
_FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Export:
    filename: str
    mimetype: str
    content: bytes


def _safe_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _value(cell):
    """A cell's value for a file: numbers stay numbers, percentages get their sign, text is made safe."""
    if cell.value is None:
        return ""
    if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
        return f"{cell.value:g}%" if cell.kind in (PERCENT, TARGET) else cell.value
    return _safe_text(str(cell.value))


def filename(report: Report, extension: str, suffix: str = "") -> str:
    return f"safehome-{report.key}{suffix}-{report.quarter.slug}.{extension}"


def to_csv(report: Report) -> Export:
    """The report as CSV, suppressed."""
    out = suppressed_report(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([out.title, out.quarter.label])
    writer.writerow([suppression.NOTE])
    for table in out.tables:
        writer.writerow([])
        writer.writerow([_safe_text(table.title)])
        writer.writerow([table.row_label, *table.header])
        for row in table.rows:
            writer.writerow([_safe_text(row.label), *(_value(c) for c in row.cells)])
        if table.note:
            writer.writerow([_safe_text(table.note)])
    return Export(filename(report, "csv"), FORMATS["csv"], buffer.getvalue().encode("utf-8-sig"))


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or "Table"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name.lower())
    return name


def to_xlsx(report: Report) -> Export:
    """The report as an XLSX workbook, suppressed, with its charts as native Excel charts."""
    out = suppressed_report(report)
    book = Workbook()
    about = book.active
    about.title = "About"
    about.append([out.title])
    about["A1"].font = Font(bold=True, size=14)
    about.append(["Quarter", out.quarter.label])
    about.append(["Small numbers", suppression.NOTE])
    for note in out.notes:
        about.append([_safe_text(note)])
    used = {"about"}
    sheets = {}
    for table in out.tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        sheets[table.key] = sheet
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append([table.row_label, *table.header])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_safe_text(row.label), *(_value(c) for c in row.cells)])
        if table.note:
            sheet.append([])
            sheet.append([_safe_text(table.note)])
        sheet.column_dimensions["A"].width = 48
    for spec in out.charts:
        _add_chart(sheets[spec.table], spec, out.table(spec.table))
    buffer = io.BytesIO()
    book.save(buffer)
    return Export(filename(report, "xlsx"), FORMATS["xlsx"], buffer.getvalue())


def _add_chart(sheet, spec, table: Table) -> None:
    chart = LineChart() if spec.kind == "line" else BarChart()
    chart.title = spec.title
    chart.width, chart.height = 22, 10
    if spec.kind == "histogram":
        chart.gapWidth = 0
    last_row = 2 + len(table.rows) - (1 if table.col_totals else 0)
    for col in spec.columns:
        data = Reference(sheet, min_col=col + 2, min_row=2, max_row=last_row)
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=last_row))
    sheet.add_chart(chart, f"{get_column_letter(len(table.header) + 3)}2")


def to_svg(report: Report, chart_key: str) -> Export:
    """One chart of the report as an SVG file, drawn from the suppressed table."""
    out = suppressed_report(report)
    spec = next(c for c in out.charts if c.key == chart_key)
    svg = str(chart_svg(spec, out.table(spec.table)))
    return Export(filename(report, "svg", f"-{chart_key}"), FORMATS["svg"],
                  ('<?xml version="1.0" encoding="UTF-8"?>\n' + svg).encode("utf-8"))
