"""Schemas for sanctuary installs, Housing Options, move-on plans, outcome measures and closing cases.

Input schemas check shapes and types; the rules (which step may follow
which, dates in order, codes, what each step needs) live in the services, so
the pages and the API apply the same ones. No output here carries an
address or a location: a household appears as its id and reference only.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from safehome.codes import (
    CloseReason,
    ConsentFrom,
    HousingDuty,
    HousingOptionsKind,
    HousingOptionsState,
    MoveOnBlocker,
    OtherHousingSolution,
    OutcomeMeasureKind,
    OutcomeStage,
    SanctuaryState,
    SanctuaryWorkKind,
    Surveyor,
    Tenure,
)
from safehome.schemas import InputSchema, QuerySchema
from safehome.services import housing_options, sanctuary


def _code(attribute: str, **kwargs):
    """A coded attribute dumped as its code (None stays None)."""
    def dump(obj):
        value = getattr(obj, attribute)
        return value.value if value is not None else None

    return fields.Function(dump, **kwargs)


def _enum(coded) -> dict:
    return {"enum": coded.codes()}


# Sanctuary installs --------------------------------------------------------------

class SanctuaryRequestIn(InputSchema):
    requested_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "Default: today"})


class SanctuaryStepIn(InputSchema):
    to = fields.Str(required=True, metadata=_enum(SanctuaryState))
    on = fields.Date(required=True)
    consent_from = fields.Str(allow_none=True, metadata={**_enum(ConsentFrom), "description": "For consent"})
    surveyed_by = fields.Str(allow_none=True, metadata={**_enum(Surveyor), "description": "For surveyed"})
    fire_checked_by = fields.Str(allow_none=True, validate=validate.Length(max=120),
                                 metadata={"description": "For fire_safety_checked"})
    equipment_working = fields.Bool(allow_none=True, metadata={"description": "For the reviews"})
    equipment_removed = fields.Bool(allow_none=True, metadata={"description": "For ended: must be true"})


class SanctuaryWorkIn(InputSchema):
    kind = fields.Str(required=True, metadata=_enum(SanctuaryWorkKind))
    contractor = fields.Str(required=True, validate=validate.Length(max=120))
    ordered_on = fields.Date(required=True)
    fitted_on = fields.Date(load_default=None, allow_none=True)
    cost = fields.Decimal(required=True, places=2, as_string=True, validate=validate.Range(0, 9999999.99))


class SanctuaryWorkOut(Schema):
    id = fields.Int(required=True)
    kind = _code("kind", required=True)
    contractor = fields.Str(required=True)
    ordered_on = fields.Date(required=True)
    fitted_on = fields.Date(allow_none=True)
    cost = fields.Decimal(as_string=True, required=True)


class SanctuaryReviewOut(Schema):
    stage = _code("stage", required=True)
    due_on = fields.Date(required=True)
    done_on = fields.Date(allow_none=True)
    equipment_working = fields.Bool(allow_none=True)


class SanctuaryInstallOut(Schema):
    id = fields.Int(required=True)
    household_id = fields.Int(required=True)
    state = _code("state", required=True)
    requested_on = fields.Date(required=True)
    risk_checked_on = fields.Date(allow_none=True)
    risk_dash_score = fields.Int(allow_none=True)
    consent_from = _code("consent_from", allow_none=True)
    consent_on = fields.Date(allow_none=True)
    surveyed_by = _code("surveyed_by", allow_none=True)
    surveyed_on = fields.Date(allow_none=True)
    works_ordered_on = fields.Date(allow_none=True)
    installed_on = fields.Date(allow_none=True)
    fire_checked_on = fields.Date(allow_none=True)
    fire_checked_by = fields.Str(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    equipment_removed = fields.Bool(required=True)
    withdrawn_on = fields.Date(allow_none=True)
    own_home_secured = fields.Function(sanctuary.is_own_home_secured)
    total_cost = fields.Decimal(as_string=True)
    works = fields.List(fields.Nested(SanctuaryWorkOut))
    reviews = fields.List(fields.Nested(SanctuaryReviewOut))


# Housing Options -----------------------------------------------------------------

class HousingOptionsRequestIn(InputSchema):
    kind = fields.Str(required=True, metadata=_enum(HousingOptionsKind))
    other_solution = fields.Str(allow_none=True, metadata={**_enum(OtherHousingSolution),
                                                           "description": "Required for kind=other"})
    other_detail = fields.Str(allow_none=True, validate=validate.Length(max=200),
                              metadata={"description": "The worker's own words, for the case only; required for "
                                                       "other_solution=other"})
    note = fields.Str(allow_none=True, validate=validate.Length(max=2000))


class HousingOptionsAnswerIn(InputSchema):
    outcome = fields.Str(required=True, validate=validate.OneOf(["confirmed", "refused"]))
    other_solution = fields.Str(allow_none=True, metadata={
        **_enum(OtherHousingSolution),
        "description": "Confirming kind=other: the solution secured, where it differs from the one asked for"})
    on = fields.Date(required=True)
    reason = fields.Str(allow_none=True, validate=validate.Length(max=2000),
                        metadata={"description": "Required when refusing"})


class HousingOptionsDecisionIn(InputSchema):
    decision = fields.Str(required=True, metadata=_enum(HousingDuty))
    decided_on = fields.Date(required=True)
    note = fields.Str(allow_none=True, validate=validate.Length(max=2000))


class HousingOptionsQuery(QuerySchema):
    state = fields.Str(load_default="requested", validate=validate.OneOf(HousingOptionsState.codes() + ["all"]))
    page = fields.Int(load_default=1, validate=validate.Range(1, 10**6))
    per_page = fields.Int(load_default=100, validate=validate.Range(1, 200))


class HousingOptionsDecisionOut(Schema):
    id = fields.Int(required=True)
    decision = _code("decision", required=True)
    decided_on = fields.Date(required=True)
    note = fields.Str(allow_none=True)


class HousingOptionsRequestOut(Schema):
    id = fields.Int(required=True)
    household_id = fields.Int(required=True)
    reference = fields.Function(lambda r: r.household.reference, required=True)
    kind = _code("kind", required=True)
    other_solution = _code("other_solution", allow_none=True)
    other_detail = fields.Str(allow_none=True)
    state = _code("state", required=True)
    requested_at = fields.DateTime(required=True)
    note = fields.Str(allow_none=True)
    answered_on = fields.Date(allow_none=True)
    answer_reason = fields.Str(allow_none=True)
    days_to_answer = fields.Function(housing_options.days_to_answer, allow_none=True,
                                     metadata={"description": "London calendar days from sending to the answer"})
    decisions = fields.List(fields.Nested(HousingOptionsDecisionOut))


# Move-on -------------------------------------------------------------------------

class HousingOptionsQueueOut(Schema):
    items = fields.List(fields.Nested(HousingOptionsRequestOut), required=True)
    total = fields.Int(required=True)
    page = fields.Int(required=True)
    per_page = fields.Int(required=True)


class MoveOnPlanIn(InputSchema):
    target_on = fields.Date(required=True)
    ready_on = fields.Date(load_default=None, allow_none=True)


class MoveOnBlockIn(InputSchema):
    reason = fields.Str(required=True, metadata=_enum(MoveOnBlocker))
    since = fields.Date(required=True)
    detail = fields.Str(allow_none=True, validate=validate.Length(max=200),
                        metadata={"description": "Required for reason=other"})


class MoveOnClearIn(InputSchema):
    cleared_on = fields.Date(required=True)


class MovedOnIn(InputSchema):
    moved_on_on = fields.Date(required=True)
    destination = fields.Str(required=True, validate=validate.Length(max=200),
                             metadata={"description": "The kind of place and area, never an address"})
    tenure_at_exit = fields.Str(required=True, metadata=_enum(Tenure))
    planned = fields.Bool(required=True)
    note = fields.Str(allow_none=True, validate=validate.Length(max=2000))


class MoveOnBlockOut(Schema):
    id = fields.Int(required=True)
    reason = _code("reason", required=True)
    detail = fields.Str(allow_none=True)
    since = fields.Date(required=True)
    cleared_on = fields.Date(allow_none=True)


class MoveOnPlanOut(Schema):
    id = fields.Int(required=True)
    household_id = fields.Int(required=True)
    placement_id = fields.Int(required=True)
    unit_type = fields.Function(lambda p: p.placement.unit.type.value, required=True)
    moved_in_on = fields.Date(required=True)
    target_on = fields.Date(required=True)
    ready_on = fields.Date(allow_none=True)
    moved_on_on = fields.Date(allow_none=True)
    destination = fields.Function(lambda p: p.placement.destination if p.moved_on_on else None)
    tenure_at_exit = fields.Function(lambda p: p.placement.exit_tenure.value if p.placement.exit_tenure else None)
    planned = fields.Function(lambda p: p.placement.move_out_planned if p.moved_on_on else None)
    blockers = fields.List(fields.Nested(MoveOnBlockOut))


class StayOut(Schema):
    plan_id = fields.Function(lambda s: s.plan.id, required=True)
    household_id = fields.Function(lambda s: s.household.id, required=True)
    reference = fields.Function(lambda s: s.household.reference, required=True)
    unit_type = fields.Function(lambda s: s.unit_type.value, required=True)
    moved_in_on = fields.Date(required=True)
    target_on = fields.Function(lambda s: s.plan.target_on.isoformat(), required=True)
    target_days = fields.Int(required=True)
    days = fields.Int(required=True)
    days_over = fields.Int(required=True)


class TypeTimelinessOut(Schema):
    unit_type = fields.Function(lambda t: t.unit_type.value, required=True)
    moved_on = fields.Int(required=True)
    on_time = fields.Int(required=True)
    on_time_percent = fields.Int(allow_none=True)
    mean_days = fields.Float(allow_none=True)
    mean_target_days = fields.Float(allow_none=True)
    still_waiting = fields.Int(required=True)
    waiting_over_target = fields.Int(required=True)


class TimelinessOut(Schema):
    by_unit_type = fields.List(fields.Nested(TypeTimelinessOut), required=True)
    over_target = fields.List(fields.Nested(StayOut), required=True)


# Outcomes and closing -------------------------------------------------------------

class OutcomesIn(InputSchema):
    stage = fields.Str(required=True, metadata=_enum(OutcomeStage))
    measured_on = fields.Date(required=True)
    answers = fields.Dict(keys=fields.Str(validate=validate.OneOf(OutcomeMeasureKind.codes())),
                          values=fields.Raw(allow_none=True), required=True,
                          metadata={"description": "feels_safe, confidence, satisfaction: 1-5; "
                                                   "maintained_independent, moved_on_independent: true/false"})


class OutcomeOut(Schema):
    id = fields.Int(required=True)
    stage = _code("stage", required=True)
    kind = _code("kind", required=True)
    score = fields.Int(allow_none=True)
    achieved = fields.Bool(allow_none=True)
    measured_on = fields.Date(required=True)
    recorded_by_id = fields.Int(allow_none=True)
    recorded_at = fields.DateTime(required=True)


class CloseIn(InputSchema):
    reason = fields.Str(required=True, metadata=_enum(CloseReason))
    note = fields.Str(allow_none=True, validate=validate.Length(max=2000))


class ReopenIn(InputSchema):
    note = fields.Str(allow_none=True, validate=validate.Length(max=2000))


class CaseStatusOut(Schema):
    id = fields.Int(required=True)
    reference = fields.Str(required=True)
    status = _code("status", required=True)
    closed_at = fields.DateTime(allow_none=True)
    close_reason = _code("close_reason", allow_none=True)
    reopened_at = fields.DateTime(allow_none=True)
