"""What every report is made of: the financial quarter, tables of figures, charts, and the drill-down registry.

A report is a list of ``Table``s (rows of ``Cell``s) and ``ChartSpec``s that
draw some of a table's columns. The same table is shown on screen as it is,
and leaves the system (CSV, XLSX, SVG, the CLI) only through ``suppressed``.
A count cell may carry ``drill``: the query arguments of the list of cases
behind it, answered by the function registered under ``drill["figure"]`` in
``DRILLS`` (each returns a SELECT of ``household_id`` and ``reference``), so a
figure and its list come from one definition.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timezone

from markupsafe import Markup
from sqlalchemy import Integer, Select, false, literal, null, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from safehome import UK_TIME
from safehome.errors import FieldProblem, ValidationError
from safehome.services import charts, suppression
from safehome.services.timeliness import today_uk

QUARTER_MONTHS = {1: "April to June", 2: "July to September", 3: "October to December", 4: "January to March"}
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True, order=True)
class Quarter:
    """A quarter of the council's financial year, which runs April to March.

    ``year`` is the calendar year the financial year starts in: 2026 is
    April 2026 to March 2027, so (2026, 1) is April-June 2026 and (2026, 4)
    is January-March 2027. A record is in the quarter when its day, in
    Europe/London, falls from ``start`` to ``end`` inclusive; a timestamp is
    turned into its London day first, so a referral received at 23:30 BST on
    31 March (22:30 UTC) is in the quarter before 1 April, and one at 00:30
    BST on 1 April (23:30 UTC on 31 March) is in the quarter from 1 April.
    """

    year: int
    number: int

    @classmethod
    def checked(cls, year, number) -> Quarter:
        """A quarter from user input, or ValidationError naming ``year`` and ``quarter``."""
        problems = []
        if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
            problems.append(FieldProblem("year", f"give the year the financial year starts in ({FIRST_YEAR}-{LAST_YEAR})"))
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 4:
            problems.append(FieldProblem("quarter", "give a quarter from 1 (April to June) to 4 (January to March)"))
        if problems:
            raise ValidationError("No such quarter.", problems)
        return cls(year, number)

    @classmethod
    def of_day(cls, day: date) -> Quarter:
        """The quarter a day is in."""
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @classmethod
    def current(cls, today: date | None = None) -> Quarter:
        return cls.of_day(today or today_uk())

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def next_start(self) -> date:
        return self.next().start

    @property
    def end(self) -> date:
        """The last day of the quarter."""
        return date.fromordinal(self.next_start.toordinal() - 1)

    @property
    def start_at(self) -> datetime:
        """Midnight in London on the first day, in UTC: timestamps at or after it may be in the quarter."""
        return _london_midnight(self.start)

    @property
    def end_at(self) -> datetime:
        """Midnight in London after the last day, in UTC: timestamps in the quarter are before it."""
        return _london_midnight(self.next_start)

    @property
    def days(self) -> int:
        return (self.next_start - self.start).days

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def recent(self, count: int) -> list[Quarter]:
        """This quarter and the ``count - 1`` before it, oldest first."""
        quarters = [self]
        while len(quarters) < count:
            quarters.insert(0, quarters[0].previous())
        return quarters

    @property
    def short(self) -> str:
        return f"{self.year}/{(self.year + 1) % 100:02d} Q{self.number}"

    @property
    def label(self) -> str:
        year = self.year + 1 if self.number == 4 else self.year
        return f"{self.short} ({QUARTER_MONTHS[self.number]} {year})"

    @property
    def slug(self) -> str:
        return f"{self.year}-q{self.number}"


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, UK_TIME).astimezone(timezone.utc)


# Figures, tables and charts -------------------------------------------------------------

COUNT, PERCENT, DAYS, SCORE, TARGET, TEXT = "count", "percent", "days", "score", "target", "text"
DERIVED_KINDS = frozenset({PERCENT, DAYS, SCORE})  # hidden with the counts of their row


@dataclass(frozen=True)
class Cell:
    """One figure. ``drill`` (counts only): the query arguments of the list of cases behind it."""

    value: int | float | str | None
    kind: str = COUNT
    drill: dict | None = None

    @property
    def text(self) -> str:
        if self.value is None:
            return "–"
        if self.kind in (PERCENT, TARGET) and isinstance(self.value, (int, float)):
            return f"{self.value:g}%"
        if isinstance(self.value, float):
            return f"{self.value:g}"
        return str(self.value)


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell]
    key: str = ""  # the code behind the label, when there is one


@dataclass
class Table:
    """A table of figures. ``row_totals``: each row's last cell is the sum of its other counts;
    ``col_totals``: the last row is the sum of the rows above (suppression protects both)."""

    key: str
    title: str
    row_label: str
    header: list[str]
    rows: list[Row]
    row_totals: bool = False
    col_totals: bool = False
    note: str = ""


@dataclass(frozen=True)
class ChartSpec:
    """A chart of some of a table's columns: categories are its rows (not the totals row)."""

    key: str
    kind: str  # bar, line, histogram
    title: str
    desc: str
    table: str
    columns: tuple[int, ...]
    unit: str = ""


@dataclass
class Report:
    key: str
    title: str
    quarter: Quarter
    tables: list[Table]
    charts: list[ChartSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def suppressed(table: Table) -> Table:
    """The table as it may leave the system: small counts hidden, and whatever would reveal them."""
    counts = [[cell.value if cell.kind == COUNT and isinstance(cell.value, int) else None for cell in row.cells]
              for row in table.rows]
    if not counts:
        return table
    marks = suppression.suppress_grid(counts, row_totals=table.row_totals, col_totals=table.col_totals)
    rows = []
    for row, row_marks in zip(table.rows, marks):
        any_hidden = any(mark != suppression.Mark.SHOWN for mark in row_marks)
        cells = []
        for cell, mark in zip(row.cells, row_marks):
            if cell.kind == COUNT and mark != suppression.Mark.SHOWN:
                cell = replace(cell, value=suppression.shown(cell.value, mark), kind=TEXT, drill=None)
            elif cell.kind in DERIVED_KINDS and any_hidden and cell.value is not None:
                cell = replace(cell, value=suppression.SECONDARY_MARK, kind=TEXT)
            cells.append(replace(cell, drill=None))
        rows.append(replace(row, cells=cells))
    return replace(table, rows=rows, note=" ".join(filter(None, [table.note, suppression.NOTE])))


def suppressed_report(report: Report) -> Report:
    return replace(report, tables=[suppressed(t) for t in report.tables])


def chart_svg(spec: ChartSpec, table: Table) -> Markup:
    """Draw a chart from its table (suppressed tables draw their marks instead of small bars)."""
    rows = table.rows[:-1] if table.col_totals else table.rows
    categories = [row.label for row in rows]
    series = [charts.Series(table.header[col], [row.cells[col].value for row in rows]) for col in spec.columns]
    if spec.kind == "line":
        return charts.line_chart(spec.title, spec.desc, categories, series, unit=spec.unit)
    if spec.kind == "histogram":
        return charts.histogram(spec.title, spec.desc, categories, series[0].values, name=series[0].name)
    return charts.bar_chart(spec.title, spec.desc, categories, series, unit=spec.unit)


# Drill-down: the list of cases behind a figure -----------------------------------------

DrillRows = Callable[[Quarter, dict], Select]
DRILLS: dict[str, DrillRows] = {}


def drill(figure: str):
    """Register the query behind a figure: ``(quarter, args) -> SELECT household_id, reference``."""
    def register(func: DrillRows) -> DrillRows:
        DRILLS[figure] = func
        return func
    return register


def no_cases() -> Select:
    """The rows of a figure that counts nothing (yet)."""
    return select(null().label("household_id"), literal("").label("reference")).where(false())


def drill_args(figure: str, **args) -> dict:
    return {"figure": figure, **{k: v for k, v in args.items() if v is not None}}


class days_between(FunctionElement):  # noqa: N801 (used like a SQL function)
    """Whole days from one date column to another, on SQLite and PostgreSQL alike."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"({compiler.process(end, **kw)} - {compiler.process(start, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"CAST(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}) AS INTEGER)"
