"""Schemas for perpetrator-accommodation requests.

Two separate output families: ``*ServiceOut`` for the perpetrator service (its own
request, its state and the unit offered to its client, never anything about the
victim: no case id, distance, place, note or engine reason) and ``*HousingOut`` for
the housing side (managers, the victim's housing worker).
"""
from marshmallow import Schema, fields, validate

from safehome.codes import (LIVE_PERPETRATOR_STATES, Feature, Gender, Language, MappaLevel, PerpetratorState,
                            PerpetratorStopReason, Pet)
from safehome.schemas import InputSchema, QuerySchema
from safehome.services import perpetrator

_ID = validate.Range(min=1, max=2**31 - 1)
_NOTE = validate.Length(max=2000)


def _code(attr: str):
    return fields.Function(lambda obj: getattr(obj, attr).value if getattr(obj, attr) is not None else None,
                           allow_none=True)


# Input -------------------------------------------------------------------------------------------

class GeometryIn(InputSchema):
    type = fields.Str(required=True, validate=validate.OneOf(["Polygon", "MultiPolygon"]))
    coordinates = fields.List(fields.Raw(), required=True, metadata={"description": "GeoJSON, longitude first"})


class RequestIn(InputSchema):
    victim_reference = fields.Str(required=True, validate=validate.Length(max=40),
                                  metadata={"description": "The victim's unique reference code, shared across services"})
    client_reference = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    birth_date = fields.Date(required=True)
    gender = fields.Str(required=True, validate=validate.OneOf(Gender.codes()))
    needs = fields.List(fields.Str(validate=validate.OneOf(Feature.codes())), load_default=list)
    pets = fields.List(fields.Str(validate=validate.OneOf(Pet.codes())), load_default=list)
    languages = fields.List(fields.Str(validate=validate.OneOf(Language.codes())), load_default=list)
    marac = fields.Bool(load_default=False, truthy={True}, falsy={False})
    under_probation = fields.Bool(load_default=False, truthy={True}, falsy={False})
    mappa_level = fields.Str(load_default=MappaLevel.NONE.value, validate=validate.OneOf(MappaLevel.codes()))
    court_conditions = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    excluded_area_ids = fields.List(fields.Int(strict=True, validate=_ID), load_default=list)
    exclusion_zones = fields.List(fields.Nested(GeometryIn), load_default=list)
    needed_from = fields.Date(required=True)


class MatchIn(InputSchema):
    unit_id = fields.Int(required=True, strict=True, validate=_ID)


class SafeDistanceIn(InputSchema):
    safe_km = fields.Float(required=True, allow_nan=False,
                           metadata={"description": "Raise only: from the default 10 km up to 200 km"})


class MoveInIn(InputSchema):
    moved_in_on = fields.Date(required=True)


class MoveOutIn(InputSchema):
    moved_out_on = fields.Date(required=True)
    note = fields.Str(load_default=None, allow_none=True, validate=_NOTE)


class FlagUnsafeIn(InputSchema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=2000))


class CloseRequestIn(InputSchema):
    reason = fields.Str(required=True, validate=validate.OneOf(PerpetratorStopReason.codes()),
                        metadata={"description": "Why the service closes it (never shown to the perpetrator service)"})
    note = fields.Str(load_default=None, allow_none=True, validate=_NOTE,
                      metadata={"description": "Required when the reason is other"})


class QueueQuery(QuerySchema):
    state = fields.Str(validate=validate.OneOf(PerpetratorState.codes()))
    limit = fields.Int(load_default=200, validate=validate.Range(1, 1000))
    offset = fields.Int(load_default=0, validate=validate.Range(0, 10**9))


class SuggestQuery(QuerySchema):
    top = fields.Int(load_default=10, validate=validate.Range(1, 100))


# Output: the perpetrator service ---------------------------------------------------------------------

class OfferedUnitOut(Schema):
    """The perpetrator unit offered to the client: what it is and roughly where (the address on request)."""

    name = fields.Str()
    type = fields.Function(lambda u: u.type.value)
    area = fields.Function(lambda u: u.site.area)


class ServiceEventOut(Schema):
    """A step in the request's life: when and to what state (no notes: they are the housing side's words)."""

    at = fields.DateTime()
    state = _code("to_state")


def _offered_unit(request):
    if request.unit is None or request.state not in (*LIVE_PERPETRATOR_STATES, PerpetratorState.MOVED_OUT):
        return None
    return OfferedUnitOut().dump(request.unit)


class RequestServiceOut(Schema):
    id = fields.Int(required=True)
    victim_reference = fields.Str()
    client_reference = fields.Str(allow_none=True)
    birth_date = fields.Date()
    gender = _code("gender")
    needs = fields.List(fields.Str())
    pets = fields.List(fields.Str())
    languages = fields.List(fields.Str())
    marac = fields.Bool()
    under_probation = fields.Bool()
    mappa_level = _code("mappa_level")
    court_conditions = fields.Str(allow_none=True)
    excluded_areas = fields.Function(lambda r: [a.name for a in r.excluded_areas])
    has_exclusion_zones = fields.Function(lambda r: r.exclusion_zones is not None)
    needed_from = fields.Date()
    filed_at = fields.DateTime()
    state = _code("state")
    unit = fields.Function(_offered_unit, allow_none=True)
    moved_in_on = fields.Date(allow_none=True)
    moved_out_on = fields.Date(allow_none=True)


class RequestServiceDetailOut(RequestServiceOut):
    events = fields.List(fields.Nested(ServiceEventOut))


class UnitAddressOut(Schema):
    request_id = fields.Int()
    line1 = fields.Str(allow_none=True)
    line2 = fields.Str(allow_none=True)
    town = fields.Str(allow_none=True)
    postcode = fields.Str(allow_none=True)


# Output: the housing side ---------------------------------------------------------------------------

class HousingEventOut(Schema):
    id = fields.Int()
    at = fields.DateTime()
    by_user_id = fields.Int(allow_none=True)
    from_state = _code("from_state")
    to_state = _code("to_state")
    unit_id = fields.Int(allow_none=True)
    note = fields.Str(allow_none=True)


class RequestHousingOut(RequestServiceOut):
    """The whole request, for managers and the victim's housing worker."""

    filed_by_id = fields.Int()
    household_id = fields.Int(allow_none=True)
    unit_id = fields.Int(allow_none=True)
    unit = fields.Function(lambda r: None if r.unit is None else {
        "id": r.unit.id, "name": r.unit.name, "type": r.unit.type.value, "site_name": r.unit.site.name,
        "area": r.unit.site.area})
    safe_km = fields.Function(perpetrator.safe_km, metadata={"description": "km kept from the victim's places"})
    matched_at = fields.DateTime(allow_none=True)
    matched_by_id = fields.Int(allow_none=True)
    stopped_at = fields.DateTime(allow_none=True)
    stopped_by_id = fields.Int(allow_none=True)
    stop_reason = _code("stop_reason")
    stop_note = fields.Str(allow_none=True)


class RequestHousingDetailOut(RequestHousingOut):
    events = fields.List(fields.Nested(HousingEventOut))


class SuggestedUnitOut(Schema):
    unit_id = fields.Function(lambda s: s.unit.id, required=True)
    unit_name = fields.Function(lambda s: s.unit.name)
    site_name = fields.Function(lambda s: s.unit.site.name)
    area = fields.Function(lambda s: s.unit.site.area)
    lead_genders = fields.Function(lambda s: list(s.unit.lead_genders))
    fit = fields.Float(required=True)
    why = fields.List(fields.Str())


class SuggestionsOut(Schema):
    request_id = fields.Int(required=True, attribute="household_id")
    feasible = fields.Int(required=True)
    considered = fields.Int(required=True)
    suggestions = fields.List(fields.Nested(SuggestedUnitOut), attribute="items")
    ruled_out = fields.List(fields.Str(), attribute="summary")
    ruled_out_counts = fields.Dict(keys=fields.Str(), values=fields.Int(), attribute="counts")
    seconds = fields.Float()


class PatternRequestOut(Schema):
    id = fields.Int()
    victim_reference = fields.Str()
    client_reference = fields.Str(allow_none=True)
    filed_by_id = fields.Int()
    filed_at = fields.DateTime()
    state = _code("state")


class PatternFlagOut(Schema):
    """A pattern of requests that looks like probing for a victim's case (managers only)."""

    pattern = _code("pattern")
    label = fields.Function(lambda flag: flag.pattern.label)
    references = fields.List(fields.Str())
    requests = fields.List(fields.Nested(PatternRequestOut))
