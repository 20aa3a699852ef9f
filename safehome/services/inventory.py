"""The inventory: providers, their sites and units, unit status, the vacancy board, CSV import and export.

Every write checks all its input first and reports every problem at once,
each naming its field; nothing is written unless the whole input is good.
Record scoping (a provider user sees only its own provider) comes from
``services.access``: reads take the actor and answer 404 outside its scope.

Perpetrator accommodation apart from victims
--------------------------------------------
A site houses victims or perpetrators (``Site.kind``), and the two kinds keep
the segregation distance (``services/segregation.py``). Every way a site or
unit comes into being or changes here checks both: creating, moving or
retyping a site; creating or retyping a unit; the CSV import.

Unit status
-----------
``change_status`` is the one way a unit's status changes. People keep
available, void and out of use true (``MANUAL_TRANSITIONS``); "offered" and
"occupied" belong to the placement workflow, which calls
``change_status(..., by_placement=True)`` and so moves along
``PLACEMENT_TRANSITIONS`` instead. Each change writes a ``UnitStatusChange``
(who, when, from, to); ``unit_history`` turns those rows into void days and
turnaround.
"""
from __future__ import annotations

import csv
import io
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import Text, cast, func, insert, literal, or_, select, union_all, update
from sqlalchemy.orm import Session, contains_eager

from safehome import crypto
from safehome.codes import AuditAction, Feature, Gender, Language, Pet, SiteKind, UnitStatus, UnitType
from safehome.errors import Conflict, FieldProblem, NotFound, TransitionError, ValidationError
from safehome.models import Provider, Site, Unit, UnitStatusChange
from safehome.models.base import utcnow
from safehome.permissions import Permission, can
from safehome.services import Actor, access, audit, geography, segregation
from safehome.services.paging import Page
from safehome.services.timeliness import today_uk

MAX_ID = access.MAX_ID
UK_LAT = (49.8, 60.9)
UK_LON = (-8.7, 1.8)
MAX_BEDSPACES = 50
MAX_WEEKLY_COST = Decimal("99999.99")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A cell starting with one of these runs as a formula when a spreadsheet opens the export.
_FORMULA_START = ("=", "+", "-", "@")
NOT_LOCATED = "enter the point: the postcode could not be located"


def _can_view_address(actor: Actor) -> bool:
    return actor.user is not None and can(actor.user.role, Permission.ADDRESS_VIEW)


# Checking input ----------------------------------------------------------------
# One set of checks for the pages, the API and the CSV import. Each returns the
# cleaned value and appends a FieldProblem naming the field when the value is bad.

def _text(problems: list, name: str, value, *, max_len: int, required: bool = True,
          formula_safe: bool = False) -> str | None:
    """``formula_safe``: a name exported to CSV may not start like a spreadsheet formula."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(FieldProblem(name, "is required"))
        return None
    if not isinstance(value, str):
        problems.append(FieldProblem(name, "must be text"))
        return None
    value = value.strip()
    if len(value) > max_len:
        problems.append(FieldProblem(name, f"must be at most {max_len} characters"))
    elif _CONTROL.search(value):
        problems.append(FieldProblem(name, "must not contain control characters"))
    elif formula_safe and value.startswith(_FORMULA_START):
        problems.append(FieldProblem(name, "must not start with = + - or @"))
    else:
        return value
    return None


def _int(problems: list, name: str, value, *, low: int, high: int, required: bool = True) -> int | None:
    if value is None:
        if required:
            problems.append(FieldProblem(name, "is required"))
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(FieldProblem(name, "must be a whole number"))
        return None
    if not low <= value <= high:
        problems.append(FieldProblem(name, f"must be between {low} and {high}"))
        return None
    return value


def _codes(problems: list, name: str, value, allowed: tuple[str, ...], *,
           at_least_one: bool = False) -> list[str] | None:
    if value is None:
        value = []
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        problems.append(FieldProblem(name, "must be a list of codes"))
        return None
    unknown = sorted({v for v in value if v not in allowed})
    if unknown:
        problems.append(FieldProblem(name, f"must be chosen from {', '.join(allowed)}"))
        return None
    if at_least_one and not value:
        problems.append(FieldProblem(name, "choose at least one"))
        return None
    return [code for code in allowed if code in value]  # the list's own order, no duplicates


def _day(problems: list, name: str, value, *, earliest: date = FIRST_DAY) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        problems.append(FieldProblem(name, "must be a date (YYYY-MM-DD)"))
        return None
    if not earliest <= value <= LAST_DAY:
        problems.append(FieldProblem(name, f"must be between {earliest.isoformat()} and {LAST_DAY.isoformat()}"))
        return None
    return value


def _money(problems: list, name: str, value) -> Decimal | None:
    if value is None:
        return Decimal("0")
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        problems.append(FieldProblem(name, "must be an amount in pounds"))
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or not Decimal("0") <= amount <= MAX_WEEKLY_COST:
        problems.append(FieldProblem(name, f"must be between 0 and {MAX_WEEKLY_COST}"))
        return None
    if amount != amount.quantize(Decimal("0.01")):
        problems.append(FieldProblem(name, "must have at most two decimal places"))
        return None
    return amount.quantize(Decimal("0.01"))


def _coordinate(problems: list, name: str, value, bounds: tuple[float, float]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or not math.isfinite(float(value)):
        problems.append(FieldProblem(name, "must be a number (decimal degrees)"))
        return None
    if not bounds[0] <= float(value) <= bounds[1]:
        problems.append(FieldProblem(name, f"must be between {bounds[0]} and {bounds[1]} (in the UK)"))
        return None
    return float(value)


# The coded lists, read once: an import checks them tens of thousands of times.
_CODES = {coded: tuple(coded.codes()) for coded in (UnitType, Gender, Pet, Feature, Language, SiteKind)}
UNIT_FIELDS = ("name", "type", "bedspaces", "bedrooms", "lead_genders", "max_male_age", "pets", "features",
               "languages", "weekly_cost", "frees_on")


def check_unit(data: dict, *, partial: bool = False) -> tuple[dict, list[FieldProblem]]:
    """The cleaned unit attributes in ``data`` and every problem with them.

    ``partial`` checks only the keys present (an edit); otherwise every
    required attribute must be there.
    """
    problems: list[FieldProblem] = []
    clean: dict = {}

    def wanted(key: str) -> bool:
        return key in data or not partial

    if wanted("name"):
        clean["name"] = _text(problems, "name", data.get("name"), max_len=80, formula_safe=True)
    if wanted("type"):
        value = data.get("type")
        if value not in _CODES[UnitType]:
            problems.append(FieldProblem("type", f"must be one of {', '.join(_CODES[UnitType])}"))
        else:
            clean["type"] = UnitType(value)
    if wanted("bedspaces"):
        clean["bedspaces"] = _int(problems, "bedspaces", data.get("bedspaces"), low=1, high=MAX_BEDSPACES)
    if wanted("bedrooms"):
        bedrooms = data.get("bedrooms")
        clean["bedrooms"] = _int(problems, "bedrooms", 1 if bedrooms is None else bedrooms, low=0, high=MAX_BEDSPACES)
    if wanted("lead_genders"):
        clean["lead_genders"] = _codes(problems, "lead_genders", data.get("lead_genders"), _CODES[Gender],
                                       at_least_one=True)
    if wanted("max_male_age"):
        clean["max_male_age"] = _int(problems, "max_male_age", data.get("max_male_age"), low=0, high=120,
                                     required=False)
    for key, coded in (("pets", Pet), ("features", Feature), ("languages", Language)):
        if wanted(key):
            clean[key] = _codes(problems, key, data.get(key), _CODES[coded])
    if wanted("weekly_cost"):
        clean["weekly_cost"] = _money(problems, "weekly_cost", data.get("weekly_cost"))
    if wanted("frees_on"):
        clean["frees_on"] = _day(problems, "frees_on", data.get("frees_on"))
    return clean, problems


@dataclass(frozen=True)
class SiteInput:
    """What a site form or API call gives: address lines, postcode, an optional point and area, and whom it houses
    (``kind``: victim, the default for a new site, or perpetrator)."""

    name: str | None = None
    postcode: str | None = None
    line1: str | None = None
    line2: str | None = None
    town: str | None = None
    lat: float | None = None
    lon: float | None = None
    area: str | None = None
    kind: str | None = None


def _locate(problems: list, postcode: str | None, lat, lon, area, *, geocoder: str) -> dict | None:
    """Postcode (required), point and area checked and completed: ``{"postcode", "lat", "lon", "source", "area", "district"}``.

    With no point given, the postcode is located (offline table, or the
    geocoder when a setting names one); when that fails the person is asked
    to enter the point, on ``lat``. A geocoder failure never raises.
    """
    start = len(problems)
    normal = None
    if postcode is None or (isinstance(postcode, str) and not postcode.strip()):
        problems.append(FieldProblem("postcode", "is required"))
    else:
        normal = geography.normalise_postcode(postcode) if isinstance(postcode, str) and len(postcode) <= 16 else None
        if normal is None:
            problems.append(FieldProblem("postcode", "must be a UK postcode"))
    lat = _coordinate(problems, "lat", lat, UK_LAT)
    lon = _coordinate(problems, "lon", lon, UK_LON)
    area = _text(problems, "area", area, max_len=80, required=False, formula_safe=True)
    if len(problems) > start:
        return None
    source = "entered"
    if (lat is None) != (lon is None):
        problems.append(FieldProblem("lon" if lon is None else "lat", "give both lat and lon, or neither"))
        return None
    if lat is None:
        found = geography.locate_postcode(normal, geocoder=geocoder)
        if found is None:
            problems.append(FieldProblem("lat", NOT_LOCATED))
            return None
        lat, lon, source = found.lat, found.lon, found.source
        if not (UK_LAT[0] <= lat <= UK_LAT[1] and UK_LON[0] <= lon <= UK_LON[1]):
            problems.append(FieldProblem("lat", NOT_LOCATED))
            return None
    area = area or geography.local_authority_of(normal)
    if not area:
        problems.append(FieldProblem("area", "is required: the postcode's local authority is not known"))
        return None
    return {"postcode": normal, "lat": round(lat, 6), "lon": round(lon, 6), "source": source, "area": area,
            "district": geography.postcode_district(normal) or ""}


# Reading, scoped --------------------------------------------------------------

def _check_id(record_id) -> int:
    if isinstance(record_id, bool) or not isinstance(record_id, int) or not 1 <= record_id <= MAX_ID:
        raise NotFound("No such record.")
    return record_id


def get_provider(session: Session, actor: Actor, provider_id: int) -> Provider:
    """A provider the actor may see, or NotFound."""
    provider = session.get(Provider, _check_id(provider_id))
    if provider is None:
        raise NotFound("No such provider.")
    access.check_provider_visible(actor.user, provider.id)
    return provider


def get_site(session: Session, actor: Actor, site_id: int) -> Site:
    """A site the actor may see (with its provider), or NotFound."""
    site = session.scalar(select(Site).join(Site.provider).options(contains_eager(Site.provider))
                          .where(Site.id == _check_id(site_id)))
    if site is None:
        raise NotFound("No such site.")
    access.check_site_visible(actor.user, site)
    return site


def get_unit(session: Session, actor: Actor, unit_id: int) -> Unit:
    """A unit the actor may see (with its site and provider), or NotFound."""
    unit = session.scalar(_units_with_sites().where(Unit.id == _check_id(unit_id)))
    if unit is None:
        raise NotFound("No such unit.")
    access.check_site_visible(actor.user, unit.site)
    return unit


def _units_with_sites():
    """Units with their site and provider loaded in the same query (no query per row)."""
    return (select(Unit).join(Unit.site).join(Site.provider)
            .options(contains_eager(Unit.site).contains_eager(Site.provider)))


def list_providers(session: Session, actor: Actor, *, include_retired: bool = False) -> list[Provider]:
    """The providers the actor may see, by name."""
    query = select(Provider).order_by(Provider.name)
    scope = access.provider_scope(actor.user)
    if scope is not None:
        query = query.where(Provider.id == scope)
    if not include_retired:
        query = query.where(Provider.retired_at.is_(None))
    return list(session.scalars(query))


def list_sites(session: Session, actor: Actor, *, provider_id: int | None = None,
               include_retired: bool = False) -> list[Site]:
    """The sites the actor may see, by provider and name."""
    query = access.scope_sites(select(Site).join(Site.provider).options(contains_eager(Site.provider))
                               .order_by(Provider.name, Site.name), actor.user)
    if provider_id is not None:
        query = query.where(Site.provider_id == provider_id)
    if not include_retired:
        query = query.where(Site.retired_at.is_(None))
    return list(session.scalars(query))


# Provider, site and unit name. Across providers the copies of the names on the unit serve it from one index
# (ix_units_list); within one provider the unique (provider, site name) and (site, unit name) indexes do.
# A site's name is unique within its provider and (site_id, name) is unique, so both orders are the same.
_LIST_ORDER = (Unit.provider_name, Unit.site_name, Unit.site_id, Unit.name)
_ONE_PROVIDER_ORDER = (Site.name, Unit.name)


# The inventory's version: what the matching engine's unit pool and the lists' counts are kept by.

# Units changed this long before the newest change still count as recent, so a change committed a
# little after a later one (its updated_at older) still changes the version and is read by a patch.
PATCH_OVERLAP = timedelta(seconds=120)


def inventory_version(session: Session) -> tuple:
    """A cheap fingerprint of the inventory: it changes whenever a unit changes or a site is added.

    (highest unit id, latest ``updated_at``, units changed within ``PATCH_OVERLAP`` of it, highest
    site id): the third catches a change committed after a later one. Every change of a unit goes
    through this service and bumps its ``updated_at`` (an ORM or Core UPDATE of ``Unit`` does), and
    retiring a site or provider retires its units first, so that changes them too. A site that moves
    or is renamed changes no unit's status, so what is kept by this version also has a maximum age.
    Each part is one index lookup: a SELECT of several max() would scan the table instead.
    """
    def highest(column):
        return select(func.max(column)).scalar_subquery()

    top, latest, sites = session.execute(select(highest(Unit.id), highest(Unit.updated_at), highest(Site.id))).one()
    recent = session.scalar(select(func.count(Unit.id)).where(Unit.updated_at >= latest - PATCH_OVERLAP)) \
        if latest is not None else 0
    return (top, latest, recent, sites)


KEPT_MAX_AGE_SECONDS = 60.0
KEPT_ENTRIES = 256  # reads kept per process (counts, areas: each a few dozen values at most)
_kept: OrderedDict[tuple, tuple[float, object]] = OrderedDict()
_kept_lock = threading.Lock()


def forget_kept() -> None:
    """Drop every kept read (tests that rebuild a database at the same URL with the same timestamps)."""
    with _kept_lock:
        _kept.clear()


def _kept_for_version(session: Session, actor: Actor, key: tuple, compute):
    """``compute()``, kept in this process for the inventory's version, the viewer's scope and ``key``.

    For the lists' counts that cost more than the version does. Any change to a
    unit or a new site makes a new version; nothing kept is used after
    ``KEPT_MAX_AGE_SECONDS``, which bounds what the version does not see (a site
    renamed, or retired with no units).
    """
    key = (str(session.get_bind().url), access.provider_scope(actor.user), inventory_version(session), *key)
    with _kept_lock:
        kept = _kept.get(key)
        if kept is not None and time.monotonic() - kept[0] < KEPT_MAX_AGE_SECONDS:
            _kept.move_to_end(key)
            return kept[1]
    value = compute()
    with _kept_lock:
        _kept[key] = (time.monotonic(), value)
        while len(_kept) > KEPT_ENTRIES:
            _kept.popitem(last=False)
    return value


def list_units(session: Session, actor: Actor, *, provider_id: int | None = None, site_id: int | None = None,
               status: str | None = None, unit_type: str | None = None, include_retired: bool = False,
               page: int = 1, per_page: int = 50) -> Page:
    """The units the actor may see, by provider, site and name, a page at a time.

    The order is an index's (see ``_LIST_ORDER``), so a page reads only its
    rows; the total is counted on units alone, or from one provider's sites, and
    kept for the inventory's version (``_kept_for_version``).
    """
    criteria = []
    if site_id is not None:
        criteria.append(Unit.site_id == site_id)
    if status:
        criteria.append(Unit.status == UnitStatus(status))
    if unit_type:
        criteria.append(Unit.type == UnitType(unit_type))
    if not include_retired:
        criteria.append(Unit.retired_at.is_(None))
    one_provider = provider_id is not None or access.provider_scope(actor.user) is not None
    counted = select(func.count(Unit.id))
    query = access.scope_sites(_units_with_sites(), actor.user).where(*criteria)
    if one_provider:
        counted = access.scope_sites(counted.join(Unit.site), actor.user)
        if provider_id is not None:
            counted = counted.where(Site.provider_id == provider_id)
            query = query.where(Site.provider_id == provider_id)
    total = _kept_for_version(session, actor, ("units", provider_id, site_id, status, unit_type, include_retired),
                              lambda: session.scalar(counted.where(*criteria)) or 0)
    query = query.order_by(*(_ONE_PROVIDER_ORDER if one_provider else _LIST_ORDER))
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


# Providers ---------------------------------------------------------------------

def _provider_problems(session: Session, data: dict, *, partial: bool, provider_id: int | None = None):
    problems: list[FieldProblem] = []
    clean: dict = {}
    if "name" in data or not partial:
        clean["name"] = _text(problems, "name", data.get("name"), max_len=120, formula_safe=True)
        if clean["name"]:
            clash = session.scalar(select(Provider.id).where(func.lower(Provider.name) == clean["name"].lower()))
            if clash is not None and clash != provider_id:
                problems.append(FieldProblem("name", "another provider has this name"))
    if "phone" in data or not partial:
        clean["phone"] = _text(problems, "phone", data.get("phone"), max_len=40, required=False)
    if "email" in data or not partial:
        clean["email"] = _text(problems, "email", data.get("email"), max_len=254, required=False)
        if clean["email"] and not EMAIL_RE.match(clean["email"]):
            problems.append(FieldProblem("email", "must be an email address"))
    return clean, problems


def create_provider(session: Session, actor: Actor, data: dict) -> Provider:
    """A new provider (name, phone, email)."""
    clean, problems = _provider_problems(session, data, partial=False)
    if problems:
        raise ValidationError("The provider was not saved.", problems)
    provider = Provider(**clean)
    session.add(provider)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "provider", provider.id)
    return provider


def update_provider(session: Session, actor: Actor, provider: Provider, data: dict) -> Provider:
    """Change a provider's name, phone or email (only the keys given)."""
    _refuse_retired(provider)
    clean, problems = _provider_problems(session, data, partial=True, provider_id=provider.id)
    if problems:
        raise ValidationError("The provider was not saved.", problems)
    _apply(session, actor, provider, "provider", clean)
    if "name" in clean:
        # The units keep a copy for the units list's order (see models.inventory.Unit).
        site_ids = select(Site.id).where(Site.provider_id == provider.id).scalar_subquery()
        session.execute(update(Unit).where(Unit.site_id.in_(site_ids)).values(provider_name=provider.name)
                        .execution_options(synchronize_session="fetch"))
    return provider


def _apply(session: Session, actor: Actor, record, record_type: str, clean: dict):
    """Set the checked values on the record and audit which fields changed (names only, never values)."""
    for key, value in clean.items():
        setattr(record, key, value)
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, record_type, record.id, "fields=" + ",".join(sorted(clean)))
    return record


def _refuse_retired(record) -> None:
    if record.retired_at is not None:
        raise Conflict("This record is retired and can no longer be changed.")


def _refuse_if_in_use(session: Session, unit_filter) -> None:
    """Conflict if any unit matched is offered or occupied: a household depends on it."""
    busy = session.scalar(select(func.count()).select_from(Unit).where(
        unit_filter, Unit.retired_at.is_(None), Unit.status.in_([UnitStatus.OFFERED, UnitStatus.OCCUPIED])))
    if busy:
        raise Conflict(f"{busy} unit(s) are offered or occupied: move the household on first.")


def _retire_units(session: Session, unit_filter, now: datetime) -> None:
    session.execute(update(Unit).where(unit_filter, Unit.retired_at.is_(None)).values(retired_at=now)
                    .execution_options(synchronize_session="fetch"))


def retire_provider(session: Session, actor: Actor, provider: Provider) -> Provider:
    """Retire a provider with its sites and units. Refused while any unit is offered or occupied."""
    _refuse_retired(provider)
    site_ids = select(Site.id).where(Site.provider_id == provider.id).scalar_subquery()
    _refuse_if_in_use(session, Unit.site_id.in_(site_ids))
    now = utcnow()
    _retire_units(session, Unit.site_id.in_(site_ids), now)
    session.execute(update(Site).where(Site.provider_id == provider.id, Site.retired_at.is_(None))
                    .values(retired_at=now).execution_options(synchronize_session="fetch"))
    provider.retired_at = now
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "provider", provider.id, "retired")
    return provider


# Sites -------------------------------------------------------------------------

def _site_problems(session: Session, data: SiteInput, *, provider_id: int, site: Site | None,
                   partial: bool, geocoder: str, current_address: dict | None = None):
    """The checked changes to a site (``site`` None: a new one) and every problem with them.

    A site's kind changes only while it has no units (the database refuses it otherwise). A new,
    moved or retyped site must keep the segregation distance from every site of the other kind;
    that is checked last, once everything else is good.
    """
    problems: list[FieldProblem] = []
    clean: dict = {}
    site_id = site.id if site is not None else None
    if data.name is not None or not partial:
        clean["name"] = _text(problems, "name", data.name, max_len=120, formula_safe=True)
        if clean["name"]:
            clash = session.scalar(select(Site.id).where(Site.provider_id == provider_id,
                                                         func.lower(Site.name) == clean["name"].lower()))
            if clash is not None and clash != site_id:
                problems.append(FieldProblem("name", "this provider already has a site with this name"))
    kind = site.kind if site is not None else SiteKind.VICTIM
    if data.kind is not None and data.kind not in _CODES[SiteKind]:
        problems.append(FieldProblem("kind", f"must be one of {', '.join(_CODES[SiteKind])}"))
    elif data.kind is not None and data.kind != kind:
        kind = clean["kind"] = SiteKind(data.kind)
        if site is not None and session.scalar(select(Unit.id).where(Unit.site_id == site.id).limit(1)):
            problems.append(FieldProblem("kind", "cannot change while the site has units (retired ones too): "
                                                 "a site houses victims or perpetrators, never both"))
    if site is None:
        clean["kind"] = kind
    lines = {key: _text(problems, key, getattr(data, key), max_len=120, required=False)
             for key in ("line1", "line2", "town")}
    merged = {**(current_address or {}), **{k: v for k, v in lines.items() if v is not None or not partial}}
    place, place_field = None, "kind"
    if not partial or data.postcode is not None or data.lat is not None or data.lon is not None:
        # A new site, a new postcode or a new point: locate it again (and default the area again).
        postcode = data.postcode if data.postcode is not None or current_address is None else current_address["postcode"]
        place = _locate(problems, postcode, data.lat, data.lon, data.area, geocoder=geocoder)
        if place is not None:
            clean["address"], clean["location"] = _seal_place(merged, place)
            clean["area"] = place["area"]
            clean["district"] = place["district"]
            place_field = "lat" if data.lat is not None else "postcode"
    else:
        # Only address lines, the area or the kind: the point stays where it is (it may have been entered by hand).
        if data.area is not None:
            clean["area"] = _text(problems, "area", data.area, max_len=80, formula_safe=True)
        if any(getattr(data, key) is not None for key in ("line1", "line2", "town")):
            clean["address"] = crypto.seal({**merged, "postcode": current_address["postcode"]}, "site.address")
        if "kind" in clean:
            place = segregation.point_of(site)
    moved = place is not None and (site is None or "kind" in clean or any(
        place[k] != segregation.point_of(site)[k] for k in ("lat", "lon")))
    if moved and not problems:
        too_close = segregation.apart_problem(session, kind, place, site_id)
        if too_close:
            problems.append(FieldProblem(place_field, too_close))
    return clean, problems


def _seal_place(lines: dict, place: dict) -> tuple[crypto.Sealed, crypto.Sealed]:
    """The site's address and point, sealed now, so that even in this session they are never plain."""
    address = {"line1": lines.get("line1"), "line2": lines.get("line2"), "town": lines.get("town"),
               "postcode": place["postcode"]}
    location = {"lat": place["lat"], "lon": place["lon"], "source": place["source"]}
    return crypto.seal(address, "site.address"), crypto.seal(location, "site.location")


def create_site(session: Session, actor: Actor, provider: Provider, data: SiteInput, *, geocoder: str = "") -> Site:
    """A new site of a provider, located from its postcode unless a point is given.

    It houses victims unless ``kind`` says perpetrators, and must be the segregation distance
    from every live site of the other kind (``services/segregation.py``). ``geocoder`` is the
    ``GEOCODER`` setting (see ``geography.locate_postcode``).
    """
    _refuse_retired(provider)
    clean, problems = _site_problems(session, data, provider_id=provider.id, site=None, partial=False,
                                     geocoder=geocoder)
    if problems:
        raise ValidationError("The site was not saved.", problems)
    site = Site(provider_id=provider.id, **clean)
    session.add(site)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "site", site.id)
    return site


def update_site(session: Session, actor: Actor, site: Site, data: SiteInput, *, geocoder: str = "") -> Site:
    """Change a site: only what is given. A new postcode without a point is located again.

    Moved or retyped, it must keep the segregation distance; its kind changes only while it has no units.
    """
    _refuse_retired(site)
    current = crypto.unseal(site.address)  # merged with the change, never shown: not a view
    clean, problems = _site_problems(session, data, provider_id=site.provider_id, site=site, partial=True,
                                     geocoder=geocoder, current_address=current)
    if problems:
        raise ValidationError("The site was not saved.", problems)
    _apply(session, actor, site, "site", clean)
    if "area" in clean or "name" in clean:
        # The units keep a copy for the vacancy board's order (see models.inventory.Unit).
        session.execute(update(Unit).where(Unit.site_id == site.id).values(site_area=site.area, site_name=site.name)
                        .execution_options(synchronize_session="fetch"))
    return site


def retire_site(session: Session, actor: Actor, site: Site) -> Site:
    """Retire a site and its units. Refused while any unit is offered or occupied."""
    _refuse_retired(site)
    _refuse_if_in_use(session, Unit.site_id == site.id)
    now = utcnow()
    _retire_units(session, Unit.site_id == site.id, now)
    site.retired_at = now
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "site", site.id, "retired")
    return site


def open_site_address(session: Session, actor: Actor, site: Site) -> dict:
    """The site's address and point, for a person who asked to see them: always audited.

    Refused (NotFound, as if absent) for a role without ADDRESS_VIEW.
    """
    if not _can_view_address(actor):
        raise NotFound("No such record.")
    audit.record(session, actor, AuditAction.VIEW_ADDRESS, "site", site.id)
    return {**crypto.unseal(site.address), **{k: v for k, v in crypto.unseal(site.location).items()
                                             if k in ("lat", "lon")}}


# Units -------------------------------------------------------------------------

UNIT_DEFAULTS = {"bedrooms": 1, "lead_genders": [], "max_male_age": None, "pets": [], "features": [],
                 "languages": [], "weekly_cost": Decimal("0"), "frees_on": None}
CREATE_STATUSES = (UnitStatus.AVAILABLE, UnitStatus.VOID, UnitStatus.OUT_OF_USE, UnitStatus.OCCUPIED)


def _unit_name_taken(session: Session, site_id: int, name: str, unit_id: int | None) -> bool:
    clash = session.scalar(select(Unit.id).where(Unit.site_id == site_id, Unit.name == name))
    return clash is not None and clash != unit_id


def _kind_problems(site: Site, clean: dict) -> list[FieldProblem]:
    """A unit's type must suit its site's kind: perpetrator units only on sites housing perpetrators."""
    problem = segregation.kind_problem(clean["type"], site.kind) if "type" in clean else None
    return [FieldProblem("type", problem)] if problem else []


def _site_apart_problems(session: Session, site: Site) -> list[FieldProblem]:
    """A unit added to a site that is (already) too near a site of the other kind: refused, on ``site_id``."""
    too_close = segregation.apart_problem(session, site.kind, segregation.point_of(site), site.id)
    return [FieldProblem("site_id", too_close)] if too_close else []


def create_unit(session: Session, actor: Actor, site: Site, data: dict) -> Unit:
    """A new unit on a site. ``status`` may be available (default), void, out of use or occupied.

    "Offered" comes only from the placement workflow. A unit created
    occupied holds a household placed before SafeHome knew of it. Its type
    must suit the site's kind, and the site must keep the segregation distance
    (``services/segregation.py``): a breach that exists is never added to.
    """
    _refuse_retired(site)
    clean, problems = check_unit(data)
    status = data.get("status") or UnitStatus.AVAILABLE.value
    if status not in [s.value for s in CREATE_STATUSES]:
        problems.append(FieldProblem("status", f"must be one of {', '.join(s.value for s in CREATE_STATUSES)}"))
    if clean.get("name") and _unit_name_taken(session, site.id, clean["name"], None):
        problems.append(FieldProblem("name", "this site already has a unit with this name"))
    problems += _kind_problems(site, clean)
    if not problems:
        problems += _site_apart_problems(session, site)
    if problems:
        raise ValidationError("The unit was not saved.", problems)
    unit = Unit(site_id=site.id, site_kind=site.kind, status=UnitStatus(status), **clean)
    if unit.status == UnitStatus.AVAILABLE:
        unit.frees_on = None  # free now: there is no day it frees
    unit.status_changes.append(UnitStatusChange(from_status=None, to_status=unit.status, by_user_id=actor.user_id))
    session.add(unit)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "unit", unit.id)
    return unit


def update_unit(session: Session, actor: Actor, unit: Unit, data: dict) -> Unit:
    """Change a unit's attributes (only the keys given). Status has its own function.

    A new type must suit the site's kind (a refuge room never becomes a perpetrator unit).
    """
    _refuse_retired(unit)
    problems = [FieldProblem(key, "is not a unit attribute that can be edited here")
                for key in data if key not in UNIT_FIELDS]
    clean, more = check_unit({k: v for k, v in data.items() if k in UNIT_FIELDS}, partial=True)
    problems += more
    if clean.get("name") and _unit_name_taken(session, unit.site_id, clean["name"], unit.id):
        problems.append(FieldProblem("name", "this site already has a unit with this name"))
    problems += _kind_problems(unit.site, clean)
    if problems:
        raise ValidationError("The unit was not saved.", problems)
    if unit.status == UnitStatus.AVAILABLE:
        clean.pop("frees_on", None)
    return _apply(session, actor, unit, "unit", clean)


def retire_unit(session: Session, actor: Actor, unit: Unit) -> Unit:
    """Take a unit out of the inventory for good. Refused while it is offered or occupied."""
    _refuse_retired(unit)
    _refuse_if_in_use(session, Unit.id == unit.id)
    unit.retired_at = utcnow()
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "unit", unit.id, "retired")
    return unit


# Status -----------------------------------------------------------------------

S = UnitStatus
# What people (providers, housing workers) may do by hand.
MANUAL_TRANSITIONS: dict[UnitStatus, frozenset[UnitStatus]] = {
    S.AVAILABLE: frozenset({S.VOID, S.OUT_OF_USE}),
    S.VOID: frozenset({S.AVAILABLE, S.OUT_OF_USE}),
    S.OUT_OF_USE: frozenset({S.AVAILABLE, S.VOID}),
    S.OCCUPIED: frozenset({S.VOID}),  # the household has left: the room is being made ready
    S.OFFERED: frozenset(),           # an offer is out: only the placement workflow settles it
}
# What the placement workflow does: offer, the offer declined or lapsed, move in, move out.
PLACEMENT_TRANSITIONS: dict[UnitStatus, frozenset[UnitStatus]] = {
    S.AVAILABLE: frozenset({S.OFFERED, S.OCCUPIED}),
    S.OFFERED: frozenset({S.AVAILABLE, S.OCCUPIED}),
    S.OCCUPIED: frozenset({S.VOID, S.AVAILABLE}),
    S.VOID: frozenset(),
    S.OUT_OF_USE: frozenset(),
}


def allowed_moves(unit: Unit) -> list[UnitStatus]:
    """The statuses a person may move this unit to by hand, in the list's order."""
    return [s for s in UnitStatus if s in MANUAL_TRANSITIONS[unit.status]]


def change_status(session: Session, actor: Actor, unit: Unit, new_status: str | UnitStatus,
                  frees_on: date | None = None, note: str | None = None, *, by_placement: bool = False,
                  today: date | None = None) -> Unit:
    """Move a unit to a new status, recording who and when; or, with the same status, set only the day it frees.

    ``by_placement=True`` is for services/placements.py: it allows the
    offered / occupied moves of ``PLACEMENT_TRANSITIONS`` (and only those).
    ``frees_on`` is the day a void, occupied or out-of-use unit is expected
    free (today or later); it is cleared when the unit becomes available.
    The change is a compare-and-set on the status read, so two people
    changing one unit at once cannot both succeed: the second gets Conflict.

    Raises ValidationError (bad status, date or note), TransitionError (a
    move the table does not allow), Conflict (retired, or changed meanwhile).
    """
    today = today or today_uk()
    problems: list[FieldProblem] = []
    if isinstance(new_status, str) and new_status not in UnitStatus.codes():
        problems.append(FieldProblem("status", f"must be one of {', '.join(UnitStatus.codes())}"))
    frees_on = _day(problems, "frees_on", frees_on, earliest=today)
    note = _text(problems, "note", note, max_len=200, required=False)
    if problems:
        raise ValidationError("The status was not changed.", problems)
    new_status = UnitStatus(new_status)
    _refuse_retired(unit)
    old = unit.status
    if new_status == UnitStatus.AVAILABLE:
        frees_on = None
    if new_status == old:
        if new_status != UnitStatus.AVAILABLE and frees_on != unit.frees_on:
            unit.frees_on = frees_on
            session.flush()
            audit.record(session, actor, AuditAction.UPDATE, "unit", unit.id, "frees_on")
        return unit
    table = PLACEMENT_TRANSITIONS if by_placement else MANUAL_TRANSITIONS
    if new_status not in table[old]:
        who = "the placement workflow" if by_placement else "hand"
        hint = "" if by_placement else " (offered and occupied are set by the placement workflow)"
        raise TransitionError(f"A unit cannot go from {old.value} to {new_status.value} by {who}{hint}.",
                              [FieldProblem("status", f"cannot go from {old.value} to {new_status.value}")])
    moved = session.execute(
        update(Unit).where(Unit.id == unit.id, Unit.status == old)
        .values(status=new_status, frees_on=frees_on, updated_at=utcnow())
        .execution_options(synchronize_session="fetch"))
    if moved.rowcount != 1:
        session.refresh(unit)
        raise Conflict("Someone changed this unit's status at the same moment. Reload and try again.")
    session.add(UnitStatusChange(unit_id=unit.id, from_status=old, to_status=new_status, by_user_id=actor.user_id,
                                 note=note))
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "unit", unit.id, f"status {old.value}->{new_status.value}"
                 + (" by placement" if by_placement else ""))
    return unit


@dataclass(frozen=True)
class UnitHistory:
    """A unit's status changes, and what they add up to.

    ``void_days``: every day the unit spent void (to now, if void now).
    ``turnarounds``: for each household moving out (occupied -> void), the
    days until the unit was available again.
    """

    changes: list[UnitStatusChange]
    void_days: float
    turnarounds: list[float] = field(default_factory=list)

    @property
    def mean_turnaround(self) -> float | None:
        return round(sum(self.turnarounds) / len(self.turnarounds), 1) if self.turnarounds else None


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def unit_history(session: Session, unit: Unit, *, now: datetime | None = None) -> UnitHistory:
    """The unit's status changes, oldest first, with its void days and turnarounds."""
    now = now or utcnow()
    changes = list(session.scalars(select(UnitStatusChange).where(UnitStatusChange.unit_id == unit.id)
                                   .order_by(UnitStatusChange.at, UnitStatusChange.id)))
    void_days = 0.0
    turnarounds: list[float] = []
    status, since, moved_out = None, None, None
    for change in changes:
        if status == UnitStatus.VOID:
            void_days += _days(change.at - since)
        if change.from_status == UnitStatus.OCCUPIED and change.to_status == UnitStatus.VOID:
            moved_out = change.at
        elif change.to_status == UnitStatus.AVAILABLE and moved_out is not None:
            turnarounds.append(round(_days(change.at - moved_out), 1))
            moved_out = None
        elif change.to_status in (UnitStatus.OFFERED, UnitStatus.OCCUPIED):
            moved_out = None
        status, since = change.to_status, change.at
    if status == UnitStatus.VOID:
        void_days += _days(now - since)
    return UnitHistory(changes, round(void_days, 1), turnarounds)


# The vacancy board ---------------------------------------------------------------

SOON_STATUSES = (UnitStatus.VOID, UnitStatus.OCCUPIED, UnitStatus.OUT_OF_USE)


@dataclass(frozen=True)
class BoardFilters:
    """What the vacancy board is asked for. Empty means "any"."""

    types: tuple[str, ...] = ()
    area: str | None = None
    lead_gender: str | None = None        # the lead person's gender must be accepted
    boys_up_to: int | None = None         # a boy of this age must be accepted
    pets: tuple[str, ...] = ()            # every one accepted
    features: tuple[str, ...] = ()        # wheelchair, step-free, NRPF: every one offered
    min_bedspaces: int | None = None
    within_days: int = 14                 # "soon": frees within this many days


@dataclass(frozen=True)
class Board:
    units: Page
    counts_by_type: dict[str, int]
    today: date
    soon_until: date


def _json_list_has(column, code: str):
    """The JSON list column holds this code. Codes are checked against their list before they get here;
    a quoted match cannot hit a longer code."""
    return cast(column, Text).like(f'%"{code}"%')


def _board_criteria(filters: BoardFilters, *, with_types: bool = True) -> list:
    """The conditions on ``Unit`` for these filters, but for the status and day (see ``_board_groups``).

    A live unit is always on a live site (retiring a site or provider retires its
    units first), so the site is not read to leave retired ones out; the area is
    the site's, kept on the unit.
    """
    criteria = [Unit.retired_at.is_(None)]
    if with_types and filters.types:
        criteria.append(Unit.type.in_([UnitType(t) for t in filters.types]))
    if filters.area:
        criteria.append(Unit.site_area == filters.area)
    if filters.lead_gender:
        criteria.append(_json_list_has(Unit.lead_genders, Gender(filters.lead_gender).value))
    if filters.boys_up_to is not None:
        criteria.append(or_(Unit.max_male_age.is_(None), Unit.max_male_age >= filters.boys_up_to))
    criteria += [_json_list_has(Unit.pets, Pet(pet).value) for pet in filters.pets]
    criteria += [_json_list_has(Unit.features, Feature(f).value) for f in filters.features]
    if filters.min_bedspaces is not None:
        criteria.append(Unit.bedspaces >= filters.min_bedspaces)
    return criteria


def _board_groups(filters: BoardFilters, today: date) -> tuple[list, list]:
    """The board's two groups, in the order it shows them: free now, and freeing soon (with a day)."""
    soon_until = today + timedelta(days=filters.within_days)
    return ([Unit.status == UnitStatus.AVAILABLE],
            [Unit.status.in_(SOON_STATUSES), Unit.frees_on.is_not(None), Unit.frees_on <= soon_until])


# Each group's order is an index's (ix_units_board_now, ix_units_board_soon), so a page reads its rows alone.
# (site_id, name) is unique: no id is needed to make the order total.
_NOW_ORDER = (Unit.site_area, Unit.site_name, Unit.site_id, Unit.name)
_SOON_ORDER = (Unit.frees_on, *_NOW_ORDER)


def _scoped_units(query, actor: Actor):
    """``query`` on units alone, limited to the sites the actor may see.

    A provider user's sites are a list the database makes once, so counts still
    read units from an index alone (site_id is in it) rather than each unit's site.
    """
    if access.provider_scope(actor.user) is None:
        return query
    return query.where(Unit.site_id.in_(access.scope_sites(select(Site.id), actor.user).scalar_subquery()))


def _board_count_rows(session: Session, actor: Actor, filters: BoardFilters, today: date) -> list[tuple]:
    """(type, group, units) for the board's two groups under these filters but the type filter.

    One statement counts both groups by type. A filtered count reads every free
    unit (a gender, pet or feature filter is a text match), so the rows are kept
    for the inventory's version (``_kept_for_version``) and the day.
    """
    def count() -> list[tuple]:
        criteria = _board_criteria(filters, with_types=False)
        counted = [_scoped_units(select(Unit.type, literal(group), func.count()), actor)
                   .where(*criteria, *conditions).group_by(Unit.type)
                   for group, conditions in enumerate(_board_groups(filters, today))]
        return [tuple(row) for row in session.execute(union_all(*counted))]

    return _kept_for_version(session, actor, ("counts", replace(filters, types=()), today), count)


def vacancy_board(session: Session, actor: Actor, filters: BoardFilters, *, page: int = 1, per_page: int = 50,
                  today: date | None = None) -> Board:
    """What is free now (available) and soon (frees within ``within_days``), filtered, with counts by type.

    Free now first (by area, site and unit name), then by the day they free.
    Counts by type ignore the type filter, so they say what choosing another
    type would show (``_board_count_rows``, from an index or kept). The page
    then reads only its own rows, in its group's index order (a second
    statement only for the page where free now ends and soon begins). Sites and
    providers load with the units; nothing here opens a location.
    """
    today = today or today_uk()
    now, soon = _board_groups(filters, today)
    counts: dict[str, int] = dict.fromkeys(UnitType.codes(), 0)
    shown = [0, 0]  # units in each group that the type filter keeps
    for unit_type, group, n in _board_count_rows(session, actor, filters, today):
        counts[unit_type.value] += n
        if not filters.types or unit_type.value in filters.types:
            shown[group] += n
    items: list[Unit] = []
    offset = (page - 1) * per_page
    rows = access.scope_sites(_units_with_sites(), actor.user).where(*_board_criteria(filters))
    for conditions, order, in_group in ((now, _NOW_ORDER, shown[0]), (soon, _SOON_ORDER, shown[1])):
        if offset < in_group and len(items) < per_page:
            items += session.scalars(rows.where(*conditions).order_by(*order)
                                     .limit(per_page - len(items)).offset(offset))
        offset = max(0, offset - in_group)
    return Board(Page(items, sum(shown), page, per_page), counts, today,
                 today + timedelta(days=filters.within_days))


def board_areas(session: Session, actor: Actor) -> tuple[str, ...]:
    """The areas (local authorities) that have live sites the actor may see, for the board's filter."""
    query = access.scope_sites(select(Site.area).distinct().where(Site.retired_at.is_(None)), actor.user)
    return _kept_for_version(session, actor, ("areas",), lambda: tuple(sorted(session.scalars(query))))


# CSV import and export --------------------------------------------------------------

CSV_COLUMNS = ("provider", "site", "site_postcode", "site_lat", "site_lon", "area", "unit_name", "type", "bedspaces",
               "bedrooms", "lead_genders", "max_male_age", "pets", "features", "languages", "weekly_cost", "status",
               "frees_on")
CSV_REQUIRED_COLUMNS = ("provider", "site", "unit_name", "type", "bedspaces", "lead_genders")
CSV_LOCATION_COLUMNS = ("site_postcode", "site_lat", "site_lon")
CSV_LIST_COLUMNS = ("lead_genders", "pets", "features", "languages")
MAX_CSV_ROWS = 20_000
MAX_CSV_FIELD = 500
# A unit attribute's problem is reported on its CSV column.
_COLUMN_OF = {"name": "unit_name", "postcode": "site_postcode", "lat": "site_lat", "lon": "site_lon"}


@dataclass(frozen=True)
class CsvProblem:
    row: int       # the file's row, the header being row 1 (as a spreadsheet numbers it)
    column: str
    message: str


class CsvImportError(ValidationError):
    """The file was not imported: every problem, each with its row and column."""

    def __init__(self, problems: list[CsvProblem]):
        super().__init__(f"The file was not imported: {len(problems)} problem(s). Nothing was saved.",
                         [FieldProblem(f"row {p.row}/{p.column}", p.message) for p in problems])
        self.rows = problems


@dataclass(frozen=True)
class ImportResult:
    units: int
    sites: int
    providers: int


_BAD = object()  # a cell that did not parse: already reported, skip its further checks


def _csv_cell(problems: list, row: int, column: str, raw: str):
    """A CSV cell as the value the checks expect (int, Decimal, date, list, None); '' is None."""
    raw = raw.strip()
    if column in CSV_LIST_COLUMNS:
        return [part.strip().lower() for part in raw.split(";") if part.strip()]
    if raw == "":
        return None
    try:
        if column in ("bedspaces", "bedrooms", "max_male_age"):
            return int(raw)
        if column == "weekly_cost":
            return Decimal(raw.lstrip("£"))
        if column in ("site_lat", "site_lon"):
            return float(raw)
        if column == "frees_on":
            return date.fromisoformat(raw)
    except (ValueError, InvalidOperation):
        kind = {"weekly_cost": "an amount", "frees_on": "a date (YYYY-MM-DD)"}.get(
            column, "a number" if column.startswith("site_") else "a whole number")
        problems.append(CsvProblem(row, column, f"must be {kind}"))
        return _BAD
    return raw


def _read_csv(text: str | bytes) -> tuple[list[str], list[tuple[int, dict]], list[CsvProblem]]:
    """The header and the non-blank rows as (row number, {column: text}), or the problems with the file's shape."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [], [CsvProblem(1, "file", "must be UTF-8 text (save it as 'CSV UTF-8')")]
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[CsvProblem] = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        unknown = [h for h in header if h not in CSV_COLUMNS]
        problems += [CsvProblem(1, h or "(blank)", "is not a known column") for h in unknown]
        problems += [CsvProblem(1, c, "column is missing") for c in CSV_REQUIRED_COLUMNS if c not in header]
        if len(set(header)) != len(header):
            problems.append(CsvProblem(1, "file", "a column appears twice"))
        if problems:
            return header, [], problems
        rows: list[tuple[int, dict]] = []
        for cells in reader:
            number = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                problems.append(CsvProblem(number, "file", f"has more than {MAX_CSV_ROWS} rows: split it"))
                break
            if len(cells) != len(header):
                problems.append(CsvProblem(number, "file", f"has {len(cells)} cells, the header has {len(header)}"))
                continue
            long = [h for h, c in zip(header, cells) if len(c) > MAX_CSV_FIELD]
            problems += [CsvProblem(number, h, f"must be at most {MAX_CSV_FIELD} characters") for h in long]
            if not long:
                rows.append((number, dict(zip(header, cells))))
    except csv.Error:
        problems.append(CsvProblem(reader.line_num or 1, "file", "is not valid CSV"))
        return header, [], problems
    if not rows and not problems:
        problems.append(CsvProblem(2, "file", "has no rows"))
    return header, rows, problems


def import_units_csv(session: Session, actor: Actor, text: str | bytes, *, geocoder: str = "",
                     today: date | None = None) -> ImportResult:
    """Create units (and their providers and sites, found or created by name) from a CSV file.

    Columns are ``CSV_COLUMNS`` (the export's header); lists are separated by
    semicolons. A new site needs ``site_postcode`` (and is located from it
    unless ``site_lat``/``site_lon`` are given); an existing site keeps its
    address and point. A new site houses perpetrators when its units are
    perpetrator units, else victims (a mix is refused); a unit must suit an
    existing site's kind; and every site the file puts units on must keep the
    segregation distance (``services/segregation.py``), from the database's
    sites and the file's. Every row is checked before anything is written; any
    problem raises ``CsvImportError`` listing (row, column, message) for
    every one, and nothing is saved.
    """
    today = today or today_uk()
    header, rows, problems = _read_csv(text)
    if problems:
        raise CsvImportError(problems)

    providers = {p.name.lower(): p for p in session.scalars(select(Provider))}
    sites = {(s.provider_id, s.name.lower()): s for s in session.scalars(select(Site))}
    taken = {(site_id, name) for site_id, name in session.execute(select(Unit.site_id, Unit.name))}

    new_providers: dict[str, str] = {}                 # lower name -> name as written
    new_sites: dict[tuple[str, str], dict] = {}        # (provider, site) lower -> site attributes
    planned: list[tuple[tuple, dict]] = []             # (site key, unit attributes)
    seen_units: dict[tuple, int] = {}
    new_kinds: dict[tuple, tuple[SiteKind, int]] = {}  # new site -> its kind, from its first typed row (number)
    first_rows: dict[tuple, tuple[int, Site | None, str]] = {}  # site -> (first row, existing site, location column)
    for number, raw in rows:
        row_problems: list[CsvProblem] = []

        def note(problem: FieldProblem, number=number, row_problems=row_problems):
            row_problems.append(CsvProblem(number, _COLUMN_OF.get(problem.field, problem.field), problem.message))

        cells = {column: _csv_cell(row_problems, number, column, raw.get(column, "")) for column in header}
        text_problems: list[FieldProblem] = []
        provider_name = _text(text_problems, "provider", cells.get("provider"), max_len=120, formula_safe=True)
        site_name = _text(text_problems, "site", cells.get("site"), max_len=120, formula_safe=True)
        for problem in text_problems:
            note(problem)
        unit_data = {key: cells.get(_COLUMN_OF.get(key, key)) for key in UNIT_FIELDS
                     if _COLUMN_OF.get(key, key) in header and cells.get(_COLUMN_OF.get(key, key)) is not _BAD}
        clean, unit_problems = check_unit(unit_data, partial=True)
        missing_required = [FieldProblem(k, "is required") for k in ("name", "type", "bedspaces")
                            if k not in unit_data]
        for problem in unit_problems + missing_required:
            if cells.get(_COLUMN_OF.get(problem.field, problem.field)) is not _BAD:
                note(problem)
        status = cells.get("status") or UnitStatus.AVAILABLE.value
        if status not in [s.value for s in CREATE_STATUSES]:
            note(FieldProblem("status", f"must be one of {', '.join(s.value for s in CREATE_STATUSES)}"))

        site_key = None
        if provider_name and site_name:
            provider = providers.get(provider_name.lower())
            site_key = (provider_name.lower(), site_name.lower())
            site = sites.get((provider.id, site_name.lower())) if provider is not None else None
            if provider is not None and provider.retired_at is not None:
                note(FieldProblem("provider", "is retired"))
            elif site is not None and site.retired_at is not None:
                note(FieldProblem("site", "is retired"))
            elif site is None and site_key not in new_sites:
                if "site_postcode" not in header:
                    note(FieldProblem("site_postcode", "is required for a new site (the column is missing)"))
                else:
                    place_problems: list[FieldProblem] = []
                    place = _locate(place_problems, cells.get("site_postcode"), cells.get("site_lat"),
                                    cells.get("site_lon"), cells.get("area"), geocoder=geocoder)
                    for problem in place_problems:
                        if cells.get(_COLUMN_OF.get(problem.field, problem.field)) is not _BAD:
                            note(problem)
                    if place is not None:
                        new_sites[site_key] = {"name": site_name, **place}
                        if provider is None:
                            new_providers.setdefault(provider_name.lower(), provider_name)
            if "type" in clean:
                # A site houses victims or perpetrators: an existing site's kind, a new one's from its first unit.
                if site is not None:
                    wrong = segregation.kind_problem(clean["type"], site.kind)
                else:
                    kind, first = new_kinds.setdefault(site_key, (SiteKind.of(clean["type"]), number))
                    wrong = None if SiteKind.of(clean["type"]) == kind else (
                        f"this new site's units mix victim and perpetrator accommodation (row {first} is "
                        f"{kind.label.lower()}): a site houses victims or perpetrators, never both")
                if wrong:
                    note(FieldProblem("type", wrong))
            first_rows.setdefault(site_key, (number, site, "site_lat" if cells.get("site_lat") else "site_postcode"))
            unit_key = (site_key, clean.get("name"))
            if clean.get("name"):
                if site is not None and (site.id, clean["name"]) in taken:
                    note(FieldProblem("name", "this site already has a unit with this name"))
                elif unit_key in seen_units:
                    note(FieldProblem("name", f"appears twice for this site (row {seen_units[unit_key]})"))
                else:
                    seen_units[unit_key] = number
        problems += row_problems
        if not row_problems:
            clean["status"] = UnitStatus(status)
            if clean["status"] == UnitStatus.AVAILABLE:
                clean["frees_on"] = None
            planned.append((site_key, clean))
    if problems:
        raise CsvImportError(problems)
    for key, (kind, _first) in new_kinds.items():
        new_sites[key]["kind"] = kind
    problems = _import_apart_problems(session, first_rows, new_sites)
    if problems:
        raise CsvImportError(problems)
    return _write_import(session, actor, providers, sites, new_providers, new_sites, planned)


def _import_apart_problems(session: Session, first_rows: dict, new_sites: dict) -> list[CsvProblem]:
    """The segregation distance for every site an import puts units on, new or existing, checked at once:
    against the database's sites of the other kind and the file's. Each breach on the site's first row."""
    places, where = [], []
    for key, (number, site, location_column) in first_rows.items():
        if site is not None:
            kind, point, column = site.kind, segregation.point_of(site), "site"
        else:
            kind, point, column = new_sites[key]["kind"], new_sites[key], location_column
        places.append(segregation.Place(kind, point["lat"], point["lon"], site.id if site is not None else None))
        where.append((number, column))
    return [CsvProblem(*where[i], segregation.too_close_message(places[i].kind))
            for i in sorted(segregation.too_close(session, places))]


def _write_import(session: Session, actor: Actor, providers: dict, sites: dict, new_providers: dict,
                  new_sites: dict, planned: list) -> ImportResult:
    """Insert a checked import: new providers, new sites, then the units and their first status rows in bulk."""
    for lower, name in new_providers.items():
        providers[lower] = Provider(name=name)
        session.add(providers[lower])
    session.flush()
    for (provider_lower, site_lower), place in new_sites.items():
        provider = providers[provider_lower]
        address, location = _seal_place({}, place)
        site = Site(provider_id=provider.id, name=place["name"], area=place["area"], district=place["district"],
                    address=address, location=location, kind=place["kind"])
        sites[(provider.id, site_lower)] = site
        session.add(site)
    session.flush()
    now = utcnow()
    values = []
    for (provider_lower, site_lower), clean in planned:
        site = sites[(providers[provider_lower].id, site_lower)]
        values.append({**UNIT_DEFAULTS, **clean, "site_id": site.id, "site_area": site.area, "site_name": site.name,
                       "site_kind": site.kind, "provider_name": providers[provider_lower].name,
                       "created_at": now, "updated_at": now})
    # Core executemany, without RETURNING: several times faster than the ORM's bulk insert.
    # The new ids are read back by (site, name), which is unique.
    session.execute(insert(Unit.__table__), values)
    site_ids = sorted({value["site_id"] for value in values})
    ids: dict[tuple[int, str], int] = {}
    for start in range(0, len(site_ids), 500):
        ids.update(((site_id, name), unit_id) for site_id, name, unit_id in session.execute(
            select(Unit.site_id, Unit.name, Unit.id).where(Unit.site_id.in_(site_ids[start:start + 500]))))
    unit_ids = [ids[(value["site_id"], value["name"])] for value in values]
    session.execute(insert(UnitStatusChange.__table__), [
        {"unit_id": unit_id, "from_status": None, "to_status": value["status"],
         "at": now, "by_user_id": actor.user_id} for unit_id, value in zip(unit_ids, values)])
    audit.record(session, actor, AuditAction.CREATE, "unit", None,
                 f"csv import units={len(unit_ids)} sites={len(new_sites)} providers={len(new_providers)}")
    return ImportResult(len(unit_ids), len(new_sites), len(new_providers))


def export_units_csv(session: Session, actor: Actor) -> str:
    """Every live unit the actor may see, as CSV in the import's columns; audited.

    The location columns (postcode, lat, lon) are there only for a role with
    ADDRESS_VIEW; for any other role they are left out of the header
    altogether. An export with locations is also audited as an address view.
    """
    with_location = _can_view_address(actor)
    columns = [c for c in CSV_COLUMNS if with_location or c not in CSV_LOCATION_COLUMNS]
    query = access.scope_sites(_units_with_sites(), actor.user).where(Unit.retired_at.is_(None)).order_by(
        Provider.name, Site.name, Unit.name, Unit.id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    places: dict[int, dict] = {}
    count = 0
    for unit in session.scalars(query):
        site = unit.site
        row = {"provider": site.provider.name, "site": site.name, "area": site.area, "unit_name": unit.name,
               "type": unit.type.value, "bedspaces": unit.bedspaces, "bedrooms": unit.bedrooms,
               "lead_genders": ";".join(unit.lead_genders), "max_male_age": unit.max_male_age,
               "pets": ";".join(unit.pets), "features": ";".join(unit.features),
               "languages": ";".join(unit.languages), "weekly_cost": unit.weekly_cost, "status": unit.status.value,
               "frees_on": unit.frees_on.isoformat() if unit.frees_on else ""}
        if with_location:
            if site.id not in places:
                point = crypto.unseal(site.location)
                places[site.id] = {"site_postcode": crypto.unseal(site.address)["postcode"],
                                   "site_lat": point["lat"], "site_lon": point["lon"]}
            row.update(places[site.id])
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
        count += 1
    audit.record(session, actor, AuditAction.EXPORT, "unit", None,
                 f"csv units={count} location={'yes' if with_location else 'no'}")
    if with_location:
        audit.record(session, actor, AuditAction.VIEW_ADDRESS, "site", None, f"csv export sites={len(places)}")
    return out.getvalue()
