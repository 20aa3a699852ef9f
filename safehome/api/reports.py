"""The reports as JSON: the quarterly return and every other report, and the cases behind a figure.

A report leaves through the API as it leaves in any export: small numbers
suppressed, and the fetch audited (``AuditAction.EXPORT``). The cases behind
a figure need case access as well as reports, and carry references and ids only.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from safehome.auth_session import current_actor
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.schemas.reports import CaseListOut, DrillQuery, ReportListOut, ReportOut
from safehome.services import reports
from safehome.services.reports_base import Quarter

blp = Blueprint("api_reports", __name__, url_prefix="/api/v1",
                description="The quarterly return and the managers' reports (suppressed), and the cases behind a figure")


@blp.route("/reports")
class ReportList(MethodView):
    @requires(Permission.REPORTS)
    @blp.response(200, ReportListOut(many=True))
    def get(self):
        """The reports there are."""
        return [{"key": key, "title": title} for key, (title, _builder) in reports.REPORTS.items()]


@blp.route("/reports/<key>/<int:year>/<int:quarter>")
class ReportResource(MethodView):
    @requires(Permission.REPORTS)
    @blp.response(200, ReportOut)
    def get(self, key: str, year: int, quarter: int):
        """One report for a quarter of the financial year (``year`` is the year it starts in; 1 = April to June)."""
        return reports.for_api(db.session, current_actor(), key, Quarter.checked(year, quarter))


@blp.route("/reports/<int:year>/<int:quarter>/cases")
class FigureCases(MethodView):
    @requires(Permission.REPORTS)
    @blp.arguments(DrillQuery, location="query")
    @blp.response(200, CaseListOut)
    def get(self, args: dict, year: int, quarter: int):
        """The cases behind a figure: ``figure`` and its arguments, as in a report page's links."""
        return reports.cases_behind(db.session, current_actor(), Quarter.checked(year, quarter), args)
