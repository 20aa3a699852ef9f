"""Schemas for the reports: the figure whose cases are asked for, and reports as JSON.

A report leaves the API suppressed (small counts as "<5", "*" for figures
hidden to protect them), like every export; a cell's ``value`` is then a
number, a mark, or null. The list of cases behind a figure carries
references and ids only.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from safehome.codes import (
    DecisionBy,
    DeclineReason,
    EqualityField,
    HousingOptionsKind,
    OtherHousingSolution,
    OutcomeMeasureKind,
    Tenure,
    UnitType,
)
from safehome.schemas import QuerySchema
from safehome.services import reports_equality, reports_housing

_ARG = {"load_default": None, "validate": validate.Length(max=200)}


def _one_of(*choices) -> dict:
    return {"load_default": None, "validate": validate.OneOf([c for group in choices for c in group])}


class DrillQuery(QuerySchema):
    """Which figure's cases: ``figure`` and that figure's own arguments (unknown ones are ignored)."""

    figure = fields.String(required=True, validate=validate.Length(min=1, max=40))
    outcome = fields.String(**_one_of(OutcomeMeasureKind.codes(), ["timely_move_on", "declined"],
                                      reports_housing.OFFER_OUTCOMES))
    which = fields.String(**_one_of(["achieved"]))
    field = fields.String(**_one_of(EqualityField.codes()))
    answer = fields.String(**_ARG)
    group = fields.String(**_one_of(reports_equality.GROUPS))
    entry = fields.String(**_one_of(Tenure.codes()))
    exit = fields.String(**_one_of(Tenure.codes()))
    unit_type = fields.String(**_one_of(UnitType.codes()))
    target = fields.String(**_one_of(["by", "after"]))
    bin = fields.String(**_one_of([str(i) for i in range(len(reports_housing.BINS))]))
    reason = fields.String(**_one_of(DeclineReason.codes()))
    by = fields.String(**_one_of(DecisionBy.codes()))
    solution = fields.String(**_one_of(OtherHousingSolution.codes()))
    kind = fields.String(**_one_of(HousingOptionsKind.codes()))
    state = fields.String(**_one_of(sorted(state.value for state in reports_housing.ANSWERED)))


class QuarterOut(Schema):
    year = fields.Integer()
    quarter = fields.Integer(attribute="number")
    label = fields.String()
    start = fields.Date()
    end = fields.Date()


class CellOut(Schema):
    value = fields.Raw(allow_none=True)
    kind = fields.String()


class RowOut(Schema):
    label = fields.String()
    key = fields.String()
    cells = fields.List(fields.Nested(CellOut))


class TableOut(Schema):
    key = fields.String()
    title = fields.String()
    row_label = fields.String()
    header = fields.List(fields.String())
    rows = fields.List(fields.Nested(RowOut))
    note = fields.String()


class ChartOut(Schema):
    key = fields.String()
    kind = fields.String()
    title = fields.String()
    table = fields.String()
    columns = fields.List(fields.Integer())


class ReportOut(Schema):
    key = fields.String()
    title = fields.String()
    quarter = fields.Nested(QuarterOut)
    tables = fields.List(fields.Nested(TableOut))
    charts = fields.List(fields.Nested(ChartOut))


class ReportListOut(Schema):
    key = fields.String()
    title = fields.String()


class CaseListOut(Schema):
    quarter = fields.Nested(QuarterOut)
    figure = fields.Function(lambda obj: obj.args.get("figure"))
    total = fields.Integer()
    truncated = fields.Boolean()
    cases = fields.Function(lambda obj: [{"household_id": h, "reference": r} for h, r in obj.cases])
