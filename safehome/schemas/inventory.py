"""Schemas for providers, sites, units, unit status, the vacancy board and CSV import.

Output never carries a location or address unless the API resource opened
it for a role with ADDRESS_VIEW (and audited it): the fields are then
present; for any other role they are absent, not blank.
"""
from marshmallow import Schema, fields, validate
from flask_smorest.fields import Upload

from safehome.codes import Feature, Gender, Language, Pet, SiteKind, UnitStatus, UnitType
from safehome.schemas import InputSchema, QuerySchema
from safehome.services.inventory import CREATE_STATUSES, MAX_BEDSPACES, MAX_ID, MAX_WEEKLY_COST, BoardFilters

_id = {"strict": True, "validate": validate.Range(1, MAX_ID)}


def _codes(coded, **kwargs):
    return fields.List(fields.Str(validate=validate.OneOf(coded.codes())), validate=validate.Length(max=20), **kwargs)


def _text(max_len: int, **kwargs):
    return fields.Str(validate=validate.Length(max=max_len), **kwargs)


# Providers ---------------------------------------------------------------------

class ProviderIn(InputSchema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    phone = _text(40, load_default=None, allow_none=True)
    email = _text(254, load_default=None, allow_none=True)


class ProviderPatch(InputSchema):
    name = fields.Str(validate=validate.Length(min=1, max=120))
    phone = _text(40, allow_none=True)
    email = _text(254, allow_none=True)


class ProviderOut(Schema):
    id = fields.Int(required=True)
    name = fields.Str(required=True)
    phone = fields.Str(allow_none=True)
    email = fields.Str(allow_none=True)
    retired = fields.Function(lambda p: p.retired_at is not None, required=True)


# Sites -------------------------------------------------------------------------

class _SiteFields(InputSchema):
    line1 = _text(120, allow_none=True)
    line2 = _text(120, allow_none=True)
    town = _text(120, allow_none=True)
    lat = fields.Float(allow_none=True, allow_nan=False, metadata={"description": "WGS84; with lon, or neither"})
    lon = fields.Float(allow_none=True, allow_nan=False)
    area = _text(80, allow_none=True, metadata={"description": "Local authority; default: the postcode's"})
    kind = fields.Str(validate=validate.OneOf(SiteKind.codes()), metadata={
        "description": "Whom it houses: victim (default for a new site) or perpetrator, never both; a perpetrator "
                       "site is kept SAFEHOME_SEGREGATION_KM from every site housing victims. Changes only while "
                       "the site has no units."})


class SiteIn(_SiteFields):
    provider_id = fields.Int(required=True, **_id)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    postcode = fields.Str(required=True, validate=validate.Length(min=1, max=16))


class SitePatch(_SiteFields):
    name = fields.Str(validate=validate.Length(min=1, max=120))
    postcode = fields.Str(validate=validate.Length(min=1, max=16))


class SiteQuery(QuerySchema):
    provider_id = fields.Int(validate=validate.Range(1, MAX_ID))
    include_retired = fields.Bool(load_default=False)


class SiteOut(Schema):
    id = fields.Int(required=True)
    provider_id = fields.Int(required=True)
    provider = fields.Function(lambda s: s.provider.name, required=True)
    name = fields.Str(required=True)
    area = fields.Str(required=True)
    district = fields.Str(required=True)
    kind = fields.Function(lambda s: s.kind.value, required=True)
    retired = fields.Function(lambda s: s.retired_at is not None, required=True)


class AddressOut(Schema):
    line1 = fields.Str(allow_none=True)
    line2 = fields.Str(allow_none=True)
    town = fields.Str(allow_none=True)
    postcode = fields.Str(required=True)


class LocationOut(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)


class SiteDetailOut(SiteOut):
    # Present only for ADDRESS_VIEW roles (opened and audited by the resource); absent otherwise.
    address = fields.Nested(AddressOut, attribute="opened_address")
    location = fields.Nested(LocationOut, attribute="opened_location")


# Units -------------------------------------------------------------------------

class _UnitFields(InputSchema):
    bedrooms = fields.Int(strict=True, validate=validate.Range(0, MAX_BEDSPACES))
    max_male_age = fields.Int(strict=True, allow_none=True, validate=validate.Range(0, 120),
                              metadata={"description": "Oldest male member it can take; null = no limit"})
    pets = _codes(Pet)
    features = _codes(Feature)
    languages = _codes(Language)
    weekly_cost = fields.Decimal(allow_nan=False, validate=validate.Range(0, MAX_WEEKLY_COST))
    frees_on = fields.Date(allow_none=True)


class UnitIn(_UnitFields):
    site_id = fields.Int(required=True, **_id)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    type = fields.Str(required=True, validate=validate.OneOf(UnitType.codes()))
    bedspaces = fields.Int(required=True, strict=True, validate=validate.Range(1, MAX_BEDSPACES))
    lead_genders = _codes(Gender, required=True)
    status = fields.Str(validate=validate.OneOf([s.value for s in CREATE_STATUSES]))


class UnitPatch(_UnitFields):
    name = fields.Str(validate=validate.Length(min=1, max=80))
    type = fields.Str(validate=validate.OneOf(UnitType.codes()))
    bedspaces = fields.Int(strict=True, validate=validate.Range(1, MAX_BEDSPACES))
    lead_genders = _codes(Gender)


class UnitQuery(QuerySchema):
    provider_id = fields.Int(validate=validate.Range(1, MAX_ID))
    site_id = fields.Int(validate=validate.Range(1, MAX_ID))
    status = fields.Str(validate=validate.OneOf(UnitStatus.codes()))
    type = fields.Str(validate=validate.OneOf(UnitType.codes()))
    include_retired = fields.Bool(load_default=False)
    page = fields.Int(load_default=1, validate=validate.Range(1, 10**6))
    per_page = fields.Int(load_default=50, validate=validate.Range(1, 200))


class UnitOut(Schema):
    id = fields.Int(required=True)
    site_id = fields.Int(required=True)
    site = fields.Function(lambda u: u.site.name, required=True)
    provider_id = fields.Function(lambda u: u.site.provider_id, required=True)
    provider = fields.Function(lambda u: u.site.provider.name, required=True)
    area = fields.Function(lambda u: u.site.area, required=True)
    district = fields.Function(lambda u: u.site.district, required=True)
    name = fields.Str(required=True)
    type = fields.Function(lambda u: u.type.value, required=True)
    bedspaces = fields.Int(required=True)
    bedrooms = fields.Int(required=True)
    lead_genders = fields.List(fields.Str(), required=True)
    max_male_age = fields.Int(allow_none=True)
    pets = fields.List(fields.Str(), required=True)
    features = fields.List(fields.Str(), required=True)
    languages = fields.List(fields.Str(), required=True)
    weekly_cost = fields.Decimal(as_string=True, required=True)
    status = fields.Function(lambda u: u.status.value, required=True)
    frees_on = fields.Date(allow_none=True)
    retired = fields.Function(lambda u: u.retired_at is not None, required=True)


class UnitDetailOut(UnitOut):
    # The site's point: present only for ADDRESS_VIEW roles (opened and audited), absent otherwise.
    location = fields.Nested(LocationOut, attribute="opened_location")


class UnitPageOut(Schema):
    items = fields.List(fields.Nested(UnitOut), required=True)
    total = fields.Int(required=True)
    page = fields.Int(required=True)
    per_page = fields.Int(required=True)


class StatusIn(InputSchema):
    status = fields.Str(required=True, validate=validate.OneOf(UnitStatus.codes()))
    frees_on = fields.Date(load_default=None, allow_none=True)
    note = _text(200, load_default=None, allow_none=True)


class StatusChangeOut(Schema):
    at = fields.DateTime(required=True)
    from_status = fields.Function(lambda c: c.from_status.value if c.from_status else None, allow_none=True)
    to_status = fields.Function(lambda c: c.to_status.value, required=True)
    by_user_id = fields.Int(allow_none=True)
    note = fields.Str(allow_none=True)


class HistoryOut(Schema):
    void_days = fields.Float(required=True)
    turnarounds = fields.List(fields.Float(), required=True)
    mean_turnaround = fields.Float(allow_none=True)
    changes = fields.List(fields.Nested(StatusChangeOut), required=True)


# The vacancy board -------------------------------------------------------------

class VacancyQuery(QuerySchema):
    type = fields.List(fields.Str(validate=validate.OneOf(UnitType.codes())), load_default=list)
    area = fields.Str(validate=validate.Length(max=80))
    lead_gender = fields.Str(validate=validate.OneOf(Gender.codes()))
    boys_up_to = fields.Int(validate=validate.Range(0, 120))
    pet = fields.List(fields.Str(validate=validate.OneOf(Pet.codes())), load_default=list)
    feature = fields.List(fields.Str(validate=validate.OneOf(Feature.codes())), load_default=list)
    min_bedspaces = fields.Int(validate=validate.Range(1, MAX_BEDSPACES))
    within_days = fields.Int(load_default=14, validate=validate.Range(0, 365))
    page = fields.Int(load_default=1, validate=validate.Range(1, 10**6))
    per_page = fields.Int(load_default=50, validate=validate.Range(1, 200))


def board_filters(data: dict) -> BoardFilters:
    """The board's filters from a parsed query (the API's VacancyQuery, or the page's filter form)."""
    return BoardFilters(types=tuple(data.get("type") or ()), area=data.get("area") or None,
                        lead_gender=data.get("lead_gender") or None, boys_up_to=data.get("boys_up_to"),
                        pets=tuple(data.get("pet") or ()), features=tuple(data.get("feature") or ()),
                        min_bedspaces=data.get("min_bedspaces"),
                        within_days=14 if data.get("within_days") is None else data["within_days"])


class VacancyUnitOut(UnitOut):
    free = fields.Function(lambda u: "now" if u.status == UnitStatus.AVAILABLE else "soon", required=True)


class VacancyOut(Schema):
    items = fields.List(fields.Nested(VacancyUnitOut), required=True)
    total = fields.Int(required=True)
    page = fields.Int(required=True)
    per_page = fields.Int(required=True)
    counts_by_type = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)
    soon_until = fields.Date(required=True)


# CSV import ----------------------------------------------------------------------

class ImportIn(InputSchema):
    file = Upload(required=True, metadata={"description": "CSV, UTF-8, with the export's header"})


class ImportOut(Schema):
    units = fields.Int(required=True)
    sites = fields.Int(required=True)
    providers = fields.Int(required=True)
