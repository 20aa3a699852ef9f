"""The managers' reports: the dashboard, each report for any quarter, exports, charts, and the cases behind a figure.

URLs take the financial year (the calendar year it starts in) and the quarter
(1 = April to June): ``/reports/quarterly/2026/2`` is July-September 2026.
Figures on these pages are unsuppressed (managers may see small numbers);
the CSV, XLSX and SVG downloads are suppressed and audited.
"""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from marshmallow import ValidationError as SchemaError

from safehome.auth_session import current_actor
from safehome.errors import FieldProblem, ValidationError
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.schemas.reports import DrillQuery
from safehome.services import reports
from safehome.services.reports_base import Quarter

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _quarter(year: int, quarter: int) -> Quarter:
    return Quarter.checked(year, quarter)


@bp.context_processor
def report_helpers():
    def drill_url(quarter: Quarter, drill: dict) -> str:
        args = dict(drill)
        year, number = args.pop("year", quarter.year), args.pop("quarter", quarter.number)
        return url_for("reports.cases", year=year, quarter=number, **args)

    return {"drill_url": drill_url, "report_titles": {key: title for key, (title, _b) in reports.REPORTS.items()}}


def _picked_quarter() -> Quarter:
    """The quarter asked for in the query string (the quarter picker), or the current one."""
    year, number = request.args.get("year", type=int), request.args.get("quarter", type=int)
    if year is None and number is None:
        return Quarter.current()
    return _quarter(year, number)


@bp.route("/")
@requires(Permission.REPORTS)
def dashboard():
    board = reports.dashboard(db.session, current_actor(), _picked_quarter())
    return render_template("reports/dashboard.html", board=board, quarter=board.quarter, report_key=None)


@bp.route("/<key>")
@requires(Permission.REPORTS)
def latest(key: str):
    """A report for the quarter picked (or the current one), at its own address."""
    quarter = _picked_quarter()
    return redirect(url_for("reports.report", key=key, year=quarter.year, quarter=quarter.number))


@bp.route("/<key>/<int:year>/<int:quarter>")
@requires(Permission.REPORTS)
def report(key: str, year: int, quarter: int):
    built = reports.build(db.session, current_actor(), key, _quarter(year, quarter))
    return render_template("reports/report.html", report=built, quarter=built.quarter, report_key=key,
                           charts=reports.charts_of(built))


@bp.route("/<key>/<int:year>/<int:quarter>/export.<fmt>")
@requires(Permission.REPORTS)
def export(key: str, year: int, quarter: int, fmt: str):
    result = reports.export(db.session, current_actor(), key, _quarter(year, quarter), fmt)
    return _download(result)


@bp.route("/<key>/<int:year>/<int:quarter>/charts/<chart>.svg")
@requires(Permission.REPORTS)
def chart(key: str, year: int, quarter: int, chart: str):
    result = reports.export(db.session, current_actor(), key, _quarter(year, quarter), "svg", chart)
    return _download(result)


def _download(result) -> Response:
    return Response(result.content, mimetype=result.mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{result.filename}"'})


@bp.route("/<int:year>/<int:quarter>/cases")
@requires(Permission.REPORTS)
def cases(year: int, quarter: int):
    try:
        args = DrillQuery().load(request.args)
    except SchemaError as exc:
        raise ValidationError("No such figure.", [FieldProblem(field, " ".join(messages))
                                                  for field, messages in exc.messages.items()]) from exc
    found = reports.cases_behind(db.session, current_actor(), _quarter(year, quarter), args)
    return render_template("reports/cases.html", found=found, quarter=found.quarter, report_key=None)
