"""The managers' reports: the quarterly return, equality, tenure, timeliness, occupancy, offers, the dashboard.

This module is what views, the API and the command line call. The figures
are defined in ``reports_return`` (the council's outputs and outcomes),
``reports_equality`` and ``reports_housing``; ``reports_base`` holds the
quarter, the table shapes and the drill-down registry; ``reports_export``
makes the files (always suppressed: ``suppression``). docs/reports.md lists
every definition.

Who may see what: every report needs ``Permission.REPORTS``; the list of
cases behind a figure also needs ``Permission.CASE_READ``, and shows only
references and links. Figures on screen are not suppressed (managers may
see small numbers); every export is, and is audited (``AuditAction.EXPORT``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safehome.codes import AuditAction
from safehome.errors import FieldProblem, Forbidden, NotFound, ValidationError
from safehome.permissions import Permission, can
from safehome.services import SYSTEM, Actor, audit, reports_equality, reports_export, reports_housing, reports_return
from safehome.services.reports_base import DRILLS, ChartSpec, Quarter, Report, Table, chart_svg, suppressed_report

REPORTS: dict[str, tuple[str, Callable[[Session, Quarter], Report]]] = {
    "quarterly": ("Quarterly performance return", reports_return.quarterly_return),
    "equality": ("Equality report", reports_equality.equality_report),
    "tenure": ("Tenure at entry and exit", reports_housing.tenure_report),
    "timeliness": ("Move-on timeliness", reports_housing.timeliness_report),
    "occupancy": ("Occupancy and voids", reports_housing.occupancy_report),
    "offers": ("Offers", reports_housing.offers_report),
}
DRILL_LIMIT = 1000  # references listed behind one figure; the total is always given


def _require(actor: Actor, *permissions: Permission) -> None:
    """Forbidden unless the actor's role has every permission (the command line, ``SYSTEM``, has all)."""
    if actor == SYSTEM:
        return
    user = actor.user
    if user is None or not all(can(user.role, p) for p in permissions):
        raise Forbidden("Reports are for managers.")


def _report_key(key: str) -> str:
    if key not in REPORTS:
        raise NotFound("No such report.")
    return key


def build(session: Session, actor: Actor, key: str, quarter: Quarter) -> Report:
    """One report for one quarter, unsuppressed (for managers' screens and the API)."""
    _require(actor, Permission.REPORTS)
    return REPORTS[_report_key(key)][1](session, quarter)


def for_api(session: Session, actor: Actor, key: str, quarter: Quarter) -> Report:
    """A report as it leaves through the API: suppressed like any export, and audited as one."""
    report = suppressed_report(build(session, actor, key, quarter))
    _audit_export(session, actor, key, quarter, "json")
    return report


def _audit_export(session: Session, actor: Actor, key: str, quarter: Quarter, fmt: str, chart: str | None = None):
    audit.record(session, actor, AuditAction.EXPORT, "report", None,
                 f"report={key} quarter={quarter.slug} format={fmt}" + (f" chart={chart}" if chart else ""))


def charts_of(report: Report) -> list[tuple[ChartSpec, Markup, Table]]:
    """Each chart of a report drawn on screen (unsuppressed), with the table that holds its figures."""
    return [(spec, chart_svg(spec, report.table(spec.table)), report.table(spec.table)) for spec in report.charts]


@dataclass(frozen=True)
class CaseList:
    """The cases behind one figure: references and ids only."""

    quarter: Quarter
    args: dict
    total: int
    cases: list[tuple[int | None, str]]  # (household id, reference)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.cases)


def cases_behind(session: Session, actor: Actor, quarter: Quarter, args: dict) -> CaseList:
    """The distinct cases behind a figure (``args["figure"]`` and its own arguments), by reference."""
    _require(actor, Permission.REPORTS, Permission.CASE_READ)
    figure = args.get("figure")
    if figure not in DRILLS:
        raise ValidationError("No such figure.", [FieldProblem("figure", "is not a figure of any report")])
    clean = {k: str(v)[:200] for k, v in args.items() if v not in (None, "")}
    rows = DRILLS[figure](quarter, clean).subquery()
    total = session.scalar(select(func.count()).select_from(rows)) or 0
    cases = [(household_id, reference) for household_id, reference in session.execute(
        select(rows.c.household_id, rows.c.reference).order_by(rows.c.reference, rows.c.household_id)
        .limit(DRILL_LIMIT))]
    audit.record(session, actor, AuditAction.VIEW_CASE, "report_figure", None,
                 f"figure={figure} quarter={quarter.slug} cases={total}")
    return CaseList(quarter, clean, total, cases)


@dataclass(frozen=True)
class Dashboard:
    quarter: Quarter
    headlines: Table
    trend: Table
    trend_chart: Markup
    outcomes: Table
    outcomes_chart: Markup


def dashboard(session: Session, actor: Actor, quarter: Quarter) -> Dashboard:
    """The managers' dashboard: this quarter's outputs, the last five quarters, outcomes against targets."""
    _require(actor, Permission.REPORTS)
    quarterly = reports_return.quarterly_return(session, quarter)
    trend = reports_return.trend(session, quarter)
    trend_spec = ChartSpec("trend", "line", f"{quarter.short} against the four quarters before",
                           "Referrals, cases opened, cases closed, placements secured and own homes secured in "
                           "each of the last five quarters; the table below gives the same figures.",
                           "trend", tuple(range(len(trend.header))))
    outcomes_spec = next(spec for spec in quarterly.charts if spec.key == "outcomes")
    return Dashboard(quarter, quarterly.table("outputs"), trend, chart_svg(trend_spec, trend),
                     quarterly.table("outcomes"), chart_svg(outcomes_spec, quarterly.table("outcomes")))


def export(session: Session, actor: Actor, key: str, quarter: Quarter, fmt: str,
           chart: str | None = None) -> reports_export.Export:
    """A report as CSV, XLSX, or one of its charts as SVG: suppressed, and audited."""
    report = build(session, actor, key, quarter)
    if fmt == "csv":
        result = reports_export.to_csv(report)
    elif fmt == "xlsx":
        result = reports_export.to_xlsx(report)
    elif fmt == "svg" and any(spec.key == chart for spec in report.charts):
        result = reports_export.to_svg(report, chart)
    elif fmt == "svg":
        raise NotFound("No such chart.")
    else:
        raise ValidationError("Unknown format.", [FieldProblem("format", "choose csv, xlsx or svg")])
    _audit_export(session, actor, key, quarter, fmt, chart)
    return result


def export_charts(session: Session, actor: Actor, key: str, quarter: Quarter) -> list[reports_export.Export]:
    """Every chart of a report as an SVG file (suppressed, audited)."""
    report = build(session, actor, key, quarter)
    return [export(session, actor, key, quarter, "svg", spec.key) for spec in report.charts]
