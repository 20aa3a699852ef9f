"""Schemas for referrals, households (cases) and housing needs assessments.

Input schemas check shapes and types only; the rules (ranges, codes, ages,
postcodes, the reference pattern) live in ``services/households.py`` and
``services/referrals.py``, so the form and the API apply exactly the same
ones. Output is scoped by role: ``dump_household`` keeps only the fields the
role may see (``services.households.FIELDS_BY_ROLE``); a field a role may not
see is absent, not blank.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from safehome import UK_TIME
from safehome.codes import AssessmentAnswer, CaseStatus, HousingOption, ReferralSource, Risk, Role, Tenure
from safehome.schemas import InputSchema, QuerySchema
from safehome.services import households


def _codes(coded) -> dict:
    return {"enum": coded.codes()}


class MemberIn(InputSchema):
    name = fields.Str(allow_none=True, metadata={"description": "Optional"})
    birth_date = fields.Date(required=True)
    gender = fields.Str(required=True, metadata={"enum": ["female", "male", "other"]})


class AddressIn(InputSchema):
    line1 = fields.Str(allow_none=True)
    line2 = fields.Str(allow_none=True)
    town = fields.Str(allow_none=True)
    postcode = fields.Str(allow_none=True, metadata={"description": "Required unless tenure_at_entry is nfa"})


class AvoidIn(InputSchema):
    label = fields.Str(required=True)
    postcode = fields.Str(allow_none=True, metadata={"description": "A UK postcode; or give lat and lon"})
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    km = fields.Float(required=True, metadata={"description": "Safe distance, 0.5-200 km"})


class PreferIn(AvoidIn):
    weight = fields.Int(strict=True, allow_none=True, metadata={"description": "Importance 1-5 (default 3)"})
    known_to_perpetrator = fields.Bool(metadata={
        "description": "The perpetrator knows this place (default false: a new school or job stays secret). "
                       "Only known places keep a linked perpetrator request away."})


class HouseholdPatchIn(InputSchema):
    """A household's details; every field optional (only those given change)."""

    members = fields.List(fields.Nested(MemberIn), metadata={"description": "The lead person first; replaces all"})
    dash_score = fields.Int(strict=True, allow_none=True, metadata={"description": "0-24; 14+ is high risk"})
    marac = fields.Bool()
    pets = fields.List(fields.Str())
    needs = fields.List(fields.Str())
    languages = fields.List(fields.Str())
    interpreter = fields.Bool()
    unit_types = fields.List(fields.Str(), allow_none=True)
    tenure_at_entry = fields.Str(metadata=_codes(Tenure))
    consent_to_share = fields.Bool()
    equality = fields.Dict(keys=fields.Str(), values=fields.Str(allow_none=True),
                           metadata={"description": "Equality Act 2010 characteristics, all optional; "
                                                    "prefer_not_to_say always allowed"})
    excluded_area_ids = fields.List(fields.Int(strict=True))
    address = fields.Nested(AddressIn, allow_none=True)
    home_known_to_perpetrator = fields.Bool(metadata={
        "description": "The perpetrator knows the home (default true: usually the home they shared or left)"})
    avoid = fields.List(fields.Nested(AvoidIn))
    prefer = fields.List(fields.Nested(PreferIn))


class ReferralIn(HouseholdPatchIn):
    """A referral: the referring service's reference, and the household as referred."""

    reference = fields.Str(required=True, metadata={"description": "2-10 letters, a dash, letters or digits"})
    source = fields.Str(required=True, metadata=_codes(ReferralSource))
    received_at = fields.AwareDateTime(default_timezone=UK_TIME, metadata={
        "description": "Default now; a time without a zone is UK time; not in the future"})
    referrer_agency = fields.Str(allow_none=True)
    referrer_contact = fields.Str(allow_none=True)


class MembersIn(InputSchema):
    members = fields.List(fields.Nested(MemberIn), required=True)


class AssessmentIn(InputSchema):
    safe_to_stay = fields.Str(required=True, metadata=_codes(AssessmentAnswer))
    perpetrator_lives_there = fields.Str(required=True, metadata=_codes(AssessmentAnswer))
    sanctuary_suitable = fields.Str(required=True, metadata=_codes(AssessmentAnswer))
    perpetrator_would_leave = fields.Str(required=True, metadata=_codes(AssessmentAnswer))
    options_considered = fields.List(fields.Str(metadata=_codes(HousingOption)), required=True)
    notes = fields.Str(allow_none=True)


class HouseholdQuery(QuerySchema):
    reference = fields.Str(validate=validate.Length(max=40))
    risk = fields.Str(validate=validate.OneOf(Risk.codes()))
    status = fields.Str(validate=validate.OneOf(CaseStatus.codes()))
    repeat = fields.Bool()
    mine = fields.Bool(load_default=False)
    page = fields.Int(load_default=1, validate=validate.Range(1, households.MAX_PAGE))
    per_page = fields.Int(load_default=25, validate=validate.Range(1, households.MAX_PER_PAGE))


class HouseholdGetQuery(QuerySchema):
    include = fields.Str(validate=validate.OneOf(["places"]), metadata={
        "description": "places: the sealed address and places (ADDRESS_VIEW only; audited)"})


# Output ------------------------------------------------------------------------------------------

def _code(attribute: str):
    """A coded attribute as its code (None stays None)."""
    return fields.Function(lambda obj: getattr(obj, attribute).value if getattr(obj, attribute) else None)


class MemberOut(Schema):
    position = fields.Int()
    name = fields.Str(allow_none=True)
    birth_date = fields.Date()
    age = fields.Function(lambda m: m.age_on(households.today_uk()))
    gender = _code("gender")


class ReferralOut(Schema):
    id = fields.Int()
    household_id = fields.Int()
    reference = fields.Str()
    source = _code("source")
    received_at = fields.DateTime()
    referrer_agency = fields.Str(allow_none=True)
    referrer_contact = fields.Str(allow_none=True)
    is_repeat = fields.Bool()


class AssessmentOut(Schema):
    id = fields.Int()
    household_id = fields.Int()
    safe_to_stay = _code("safe_to_stay")
    perpetrator_lives_there = _code("perpetrator_lives_there")
    sanctuary_suitable = _code("sanctuary_suitable")
    perpetrator_would_leave = _code("perpetrator_would_leave")
    options_considered = fields.List(fields.Str())
    notes = fields.Str(allow_none=True)
    assessed_at = fields.DateTime()
    assessed_by_id = fields.Int(allow_none=True)


class AreaOut(Schema):
    id = fields.Int()
    name = fields.Str()


class PlacesOut(Schema):
    address = fields.Dict(allow_none=True)
    home = fields.Dict(allow_none=True)
    avoid = fields.List(fields.Dict())
    prefer = fields.List(fields.Dict())


class HouseholdOut(Schema):
    """Every field a case may show; each role gets only its share (``dump_household``)."""

    id = fields.Int()
    reference = fields.Str()
    status = _code("status")
    opened_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    close_reason = _code("close_reason")
    worker_id = fields.Int(allow_none=True)
    risk = _code("risk")
    dash_score = fields.Int(allow_none=True)
    marac = fields.Bool()
    is_repeat = fields.Bool()
    member_count = fields.Function(lambda h: len(h.members))
    members = fields.List(fields.Nested(MemberOut))
    pets = fields.List(fields.Str())
    needs = fields.List(fields.Str())
    languages = fields.List(fields.Str())
    interpreter = fields.Bool()
    unit_types = fields.List(fields.Str(), allow_none=True)
    tenure_at_entry = _code("tenure_at_entry")
    consent_to_share = fields.Bool()
    waiting_since = fields.Date(allow_none=True)
    equality = fields.Dict()
    excluded_areas = fields.List(fields.Nested(AreaOut))
    home_known_to_perpetrator = fields.Bool()
    referrals = fields.List(fields.Nested(ReferralOut))
    assessments = fields.List(fields.Nested(AssessmentOut))
    updated_at = fields.DateTime()
    places = fields.Nested(PlacesOut, metadata={"description": "Only with ?include=places and ADDRESS_VIEW"})


class HouseholdPageOut(Schema):
    items = fields.List(fields.Nested(HouseholdOut))
    total = fields.Int()
    page = fields.Int()
    per_page = fields.Int()


class IntakeOut(Schema):
    referral = fields.Nested(ReferralOut)
    household = fields.Nested(HouseholdOut)
    joined_open_case = fields.Bool()


def _only(role: Role) -> tuple[str, ...]:
    return tuple(sorted(households.visible_fields(role)))


def dump_household(household, role: Role, places: dict | None = None) -> dict:
    """A case as JSON for one role: only the fields the role may see (and the places, when opened)."""
    data = HouseholdOut(only=_only(role)).dump(household)
    if places is not None:
        data["places"] = PlacesOut().dump(places)
    return data


def dump_households(items, role: Role) -> list[dict]:
    return HouseholdOut(many=True, only=_only(role)).dump(items)
