"""Schemas for placements, suggestions, batch match runs and work lists."""
from marshmallow import Schema, fields, validate

from safehome.codes import DecisionBy, DeclineReason, PlacementState, Tenure
from safehome.schemas import InputSchema, QuerySchema

_ID = validate.Range(min=1, max=2**31 - 1)
_NOTE = validate.Length(max=2000)


def _code(attr: str):
    return fields.Function(lambda obj: getattr(obj, attr).value if getattr(obj, attr) is not None else None,
                           allow_none=True)


class OfferIn(InputSchema):
    household_id = fields.Int(required=True, strict=True, validate=_ID)
    unit_id = fields.Int(required=True, strict=True, validate=_ID)


class OverrideOfferIn(OfferIn):
    override_reason = fields.Str(required=True, validate=validate.Length(min=1, max=2000))


class PlacementNoteIn(InputSchema):
    note = fields.Str(load_default=None, allow_none=True, validate=_NOTE)


class OfferDeclineIn(PlacementNoteIn):
    reason = fields.Str(required=True, validate=validate.OneOf(DeclineReason.codes()))
    decision_by = fields.Str(required=True, validate=validate.OneOf(DecisionBy.codes()))


class PlacementMoveInIn(PlacementNoteIn):
    moved_in_on = fields.Date(required=True)


class PlacementMoveOutIn(PlacementNoteIn):
    moved_out_on = fields.Date(required=True)
    planned = fields.Bool(required=True, truthy={True}, falsy={False})
    exit_tenure = fields.Str(required=True, validate=validate.OneOf(Tenure.codes()))
    destination = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=200))


class PlacementQuery(QuerySchema):
    household_id = fields.Int(validate=_ID)
    unit_id = fields.Int(validate=_ID)
    state = fields.Str(validate=validate.OneOf(PlacementState.codes()))
    limit = fields.Int(load_default=100, validate=validate.Range(1, 1000))
    offset = fields.Int(load_default=0, validate=validate.Range(0, 10**9))


class PlacementEventOut(Schema):
    id = fields.Int(required=True)
    at = fields.DateTime(required=True)
    by_user_id = fields.Int(allow_none=True)
    from_state = _code("from_state")
    to_state = _code("to_state")
    note = fields.Str(allow_none=True)


class _PlacementLife(Schema):
    """A placement's state and days: what every reader of a placement may see."""

    id = fields.Int(required=True)
    household_id = fields.Int(required=True)
    state = _code("state")
    offered_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    moved_in_on = fields.Date(allow_none=True)
    moved_out_on = fields.Date(allow_none=True)


class _PlacementAnswers(Schema):
    """How the offer came and went, in codes (and where the household went next)."""

    source = _code("source")
    decision_by = _code("decision_by")
    decline_reason = _code("decline_reason")
    move_out_planned = fields.Bool(allow_none=True)
    destination = fields.Str(allow_none=True)
    exit_tenure = _code("exit_tenure")


class PlacementOut(_PlacementLife):
    """What a provider may see of a placement in its unit: the unit's side, no notes or reasons of the case."""

    unit_id = fields.Int(required=True)


class PlacementStaffOut(PlacementOut, _PlacementAnswers):
    """The whole placement, for the service's own staff."""

    match_run_id = fields.Int(allow_none=True)
    fit = fields.Float(allow_none=True)
    why = fields.List(fields.Str())
    decline_note = fields.Str(allow_none=True)
    override_reason = fields.Str(allow_none=True)


class PlacementDetailOut(PlacementStaffOut):
    """One placement with its life: every event in order."""

    events = fields.List(fields.Nested(PlacementEventOut))


class PlacementEventCouncilOut(Schema):
    at = fields.DateTime(required=True)
    from_state = _code("from_state")
    to_state = _code("to_state")


class PlacementCouncilOut(_PlacementLife, _PlacementAnswers):
    """What Housing Options may see of a placement (``placements.CouncilPlacement``): the kind of place and
    its council, never which one, how far from the household's places, or the workers' notes."""

    unit = fields.Str(attribute="place", required=True, metadata={"description": 'e.g. "a refuge place in Leicester"'})
    unit_type = _code("unit_type")
    area = fields.Str(required=True, metadata={"description": "the council the unit is in"})
    events = fields.List(fields.Nested(PlacementEventCouncilOut))


class HouseholdSuggestedUnitOut(Schema):
    unit_id = fields.Function(lambda s: s.unit.id, required=True)
    unit_name = fields.Function(lambda s: s.unit.name)
    site_name = fields.Function(lambda s: s.unit.site.name)
    area = fields.Function(lambda s: s.unit.site.area)
    type = fields.Function(lambda s: s.unit.type.value)
    bedspaces = fields.Function(lambda s: s.unit.bedspaces)
    fit = fields.Float(required=True)
    why = fields.List(fields.Str())


class HouseholdSuggestionsOut(Schema):
    household_id = fields.Int(required=True)
    feasible = fields.Int(required=True)
    considered = fields.Int(required=True)
    suggestions = fields.List(fields.Nested(HouseholdSuggestedUnitOut), attribute="items")
    ruled_out = fields.List(fields.Str(), attribute="summary")
    ruled_out_counts = fields.Dict(keys=fields.Str(), values=fields.Int(), attribute="counts")
    seconds = fields.Float()


class HouseholdSuggestQuery(QuerySchema):
    top = fields.Int(load_default=10, validate=validate.Range(1, 100))


class MatchRunOut(Schema):
    id = fields.Int(required=True)
    status = _code("status")
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    started_by_id = fields.Int(allow_none=True)
    households = fields.Int()
    units = fields.Int()
    solver_status = fields.Str(allow_none=True)
    objective = fields.Dict(allow_none=True)
    seconds = fields.Float(allow_none=True)
    proposals = fields.List(fields.Dict())
    unplaced = fields.Dict()
    perpetrator_proposals = fields.List(fields.Dict(), metadata={
        "description": "Filed perpetrator-accommodation requests matched in this run: request_id, unit_id, fit, why."})
    perpetrator_unplaced = fields.Dict(metadata={"description": "Requests not matched, by request id."})
    error = fields.Str(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)


class MatchRunApproveIn(InputSchema):
    household_ids = fields.List(fields.Int(strict=True, validate=_ID), load_default=None, allow_none=True,
                                metadata={"description": "Household proposals to approve; with request_ids also "
                                                         "absent or null, approves every proposal of the run."})
    request_ids = fields.List(fields.Int(strict=True, validate=_ID), load_default=None, allow_none=True,
                              metadata={"description": "Perpetrator-request proposals to approve (matched now)."})


class MatchRunApprovalOut(Schema):
    offers = fields.List(fields.Nested(PlacementStaffOut))
    refused = fields.Function(lambda a: [{"household_id": h, "message": m} for h, m in a.refused])
    matched = fields.Function(lambda a: [{"request_id": r.id, "unit_id": r.unit_id} for r in a.matched])
    refused_requests = fields.Function(lambda a: [{"request_id": r, "message": m} for r, m in a.refused_requests])


class WorkListsOut(Schema):
    lapsing = fields.List(fields.Nested(PlacementOut))
    moves_due = fields.List(fields.Nested(PlacementOut))
    waiting_longest = fields.Function(lambda w: [h.id for h in w.waiting_longest])
    high_risk_unplaced = fields.Function(lambda w: [h.id for h in w.high_risk_unplaced])
    counts = fields.Dict(keys=fields.Str(), values=fields.Int())


class UnitOccupancyOut(Schema):
    unit_id = fields.Function(lambda o: o.unit.id)
    void_days = fields.Function(lambda o: o.history.void_days)
    turnarounds = fields.Function(lambda o: o.history.turnarounds)
    mean_turnaround = fields.Function(lambda o: o.history.mean_turnaround)
    placements = fields.List(fields.Nested(PlacementOut))
