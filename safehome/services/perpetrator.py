"""Perpetrator accommodation: the perpetrator leaves, the victim stays, and neither side learns where the other is.

Who does what
-------------
- The perpetrator service (``PERP_REQUEST``) files requests, follows only its own
  (``filed_by``; anyone else's answers 404), records its client's acceptance of an
  offer, withdraws a request before the client moves in, and opens the address of
  the unit offered to its client (audited: ``AuditAction.VIEW_ADDRESS``).
- Managers (``MATCH_BATCH``) work the queue: ask the engine for perpetrator units,
  match one (the offer), and record the client's acceptance, moving in and out.
- The victim's housing worker (and managers: ``PERP_LINKED``) see the requests
  linked to a victim's case, may raise the safe distance, and may flag a request
  unsafe, which stops it and frees its unit.

The state machine
-----------------
``TRANSITIONS`` is the one list of allowed moves (``codes.PerpetratorState``)::

    filed    -> matched | withdrawn | stopped
    matched  -> accepted | withdrawn | stopped
    accepted -> moved_in | stopped
    moved_in -> moved_out | stopped

Any other move raises ``TransitionError`` (409). Each move writes a
``PerpetratorRequestEvent``; the unit's status follows through
``inventory.change_status(..., by_placement=True)``: offered when matched,
occupied on moving in, void on moving out (or when stopped after moving in),
available again when a matched or accepted request is withdrawn or stopped.

Safety kept by the server
-------------------------
The reference the perpetrator service gives links, on the server, to the
victim's case(s) of that reference (``household_id`` keeps the case found when
filing; cases referred later are found by the reference). The unit must be at
least ``safe_km`` (default ``DEFAULT_SAFE_KM`` = 10 km; the housing side may
raise it up to 200 km per request) from every place of every linked case: the
home, the places the victim goes (``prefer``: school, work, support network)
and the unit of any live placement. Both ways: ``avoid_places_for_victims``
gives the engine, for any later suggestion, offer or batch for the victim, the
unit of every live request linked to them, at the same distance. A batch run
matches the filed requests beside the waiting victims (``waiting_for_batch``),
with an engine ``apart`` entry between each request and its victims, so a
victim and a perpetrator both placed in one run are also kept apart.

None of this reaches the perpetrator service: its views carry no victim id,
name, place, distance, count or engine reason, and a reference that links to
no case gives exactly the same answers as one that does.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from shapely.geometry import shape
from sqlalchemy import Select, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from safehome import crypto
from safehome.codes import (
    LIVE_PERPETRATOR_STATES,
    LIVE_PLACEMENT_STATES,
    AuditAction,
    CaseStatus,
    Feature,
    Gender,
    Language,
    MappaLevel,
    PerpetratorState,
    Pet,
    Role,
    UnitStatus,
    UnitType,
)
from safehome.errors import Conflict, FieldProblem, Forbidden, NotFound, TransitionError, ValidationError
from safehome.models import Household, PerpetratorRequest, PerpetratorRequestEvent, Placement, Site, Unit
from safehome.models.base import utcnow
from safehome.permissions import Permission, can
from safehome.services import Actor, access, audit, households, inventory, matching
from safehome.services.referrals import REFERENCE_HELP
from safehome.services.timeliness import today_uk
from safehome.services.reports_base import Quarter
from safehome.services.reports_return import output

DEFAULT_SAFE_KM = 10.0
MAX_SAFE_KM = 200.0
NOTE_MAX = 2000
COURT_CONDITIONS_MAX = 4000
MAX_ZONES = 20
MAX_ZONE_POINTS = 2000
NEEDED_FROM_EARLIEST = date(2000, 1, 1)
NEEDED_FROM_AHEAD_DAYS = 366

# A reference as the services write it (letters, digits and dashes): looser than a new referral's
# (services/referrals.py), so every reference a case holds, older forms included, can be given.
REFERENCE_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")

S = PerpetratorState
TRANSITIONS: dict[PerpetratorState, frozenset[PerpetratorState]] = {
    S.FILED: frozenset({S.MATCHED, S.WITHDRAWN, S.STOPPED}),
    S.MATCHED: frozenset({S.ACCEPTED, S.WITHDRAWN, S.STOPPED}),
    S.ACCEPTED: frozenset({S.MOVED_IN, S.STOPPED}),
    S.MOVED_IN: frozenset({S.MOVED_OUT, S.STOPPED}),
    S.MOVED_OUT: frozenset(),
    S.STOPPED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
OPEN_STATES = (S.FILED, *LIVE_PERPETRATOR_STATES)
VERB = {S.MATCHED: "matched", S.ACCEPTED: "accepted", S.MOVED_IN: "moved in", S.MOVED_OUT: "moved out",
        S.STOPPED: "stopped", S.WITHDRAWN: "withdrawn"}

# The labels the engine's reasons use for the places (managers see them; the perpetrator service never does).
VICTIM_HOME = "the victim's home"
VICTIM_PLACE = "a place the victim goes"
VICTIM_PLACED = "where the victim is placed"
PERPETRATOR_UNIT = "the perpetrator's accommodation"


def _unit_follows(old: PerpetratorState, new: PerpetratorState) -> UnitStatus | None:
    """The unit's status after a move, or None when the unit is untouched."""
    if new == S.MATCHED:
        return UnitStatus.OFFERED
    if new == S.MOVED_IN:
        return UnitStatus.OCCUPIED
    if new in (S.MOVED_OUT, S.STOPPED) and old == S.MOVED_IN:
        return UnitStatus.VOID  # the person has left: the unit is made ready
    if new in (S.WITHDRAWN, S.STOPPED) and old in (S.MATCHED, S.ACCEPTED):
        return UnitStatus.AVAILABLE
    return None


# Scoping ----------------------------------------------------------------------------------------

def _scope(query, user):
    """Limit a query on ``PerpetratorRequest`` to what the user may see.

    The perpetrator service: its own requests. Managers: every request. Housing workers: the
    requests linked to a case they may see. Anyone else: none.
    """
    if user is None:
        return query.where(false())
    if user.role == Role.PERPETRATOR_SERVICE:
        return query.where(PerpetratorRequest.filed_by_id == user.id)
    if can(user.role, Permission.MATCH_BATCH):
        return query.where(true())
    if can(user.role, Permission.PERP_LINKED):
        visible = select(Household.id).where(access.household_scope(user))
        references = select(Household.reference).where(access.household_scope(user))
        return query.where(or_(PerpetratorRequest.household_id.in_(visible),
                               PerpetratorRequest.victim_reference.in_(references)))
    return query.where(false())


def get_request(session: Session, actor: Actor, request_id: int) -> PerpetratorRequest:
    """A request the actor may see, or NotFound (another service's request looks absent)."""
    found = None
    if isinstance(request_id, int) and not isinstance(request_id, bool) and 1 <= request_id <= access.MAX_ID:
        found = session.scalar(_scope(select(PerpetratorRequest).where(PerpetratorRequest.id == request_id),
                                      actor.user))
    if found is None:
        raise NotFound("No such request.")
    return found


def _require(actor: Actor, permission: Permission) -> None:
    if actor.user is None or not can(actor.user.role, permission):
        raise Forbidden("You may not do this.")


# Linking a request to the victim's case(s) ---------------------------------------------------------

def _case_for_reference(session: Session, reference: str) -> int | None:
    """The open case of the reference, else its latest case, else None."""
    return session.scalar(select(Household.id).where(Household.reference == reference)
                          .order_by((Household.status == CaseStatus.OPEN).desc(), Household.opened_at.desc(),
                                    Household.id.desc()).limit(1))


def linked_households(session: Session, request: PerpetratorRequest) -> list[Household]:
    """Every victim case of the request's reference, and the case linked when filing."""
    return list(session.scalars(
        select(Household).where(or_(Household.reference == request.victim_reference,
                                    Household.id == (request.household_id or 0)))
        .order_by(Household.id)))


def safe_km(request: PerpetratorRequest) -> float:
    return request.safe_km if request.safe_km is not None else DEFAULT_SAFE_KM


def _site_point(site: Site) -> dict:
    return crypto.unseal(site.location)


def victim_places(session: Session, request: PerpetratorRequest) -> list[dict]:
    """The places the perpetrator's unit must be kept ``safe_km`` from, as engine ``avoid`` entries.

    A machine use (not audited per place): the match itself is audited.
    """
    km = safe_km(request)
    places: list[dict] = []
    linked = linked_households(session, request)
    for household in linked:
        opened = households.household_places(household)
        if opened["home"]:
            places.append({"label": VICTIM_HOME, "lat": opened["home"]["lat"], "lon": opened["home"]["lon"], "km": km})
        places += [{"label": VICTIM_PLACE, "lat": p["lat"], "lon": p["lon"], "km": km} for p in opened["prefer"]]
    if linked:
        placed = session.scalars(
            select(Site).join(Unit, Unit.site_id == Site.id).join(Placement, Placement.unit_id == Unit.id)
            .where(Placement.household_id.in_([h.id for h in linked]),
                   Placement.state.in_(LIVE_PLACEMENT_STATES)))
        for site in placed:
            point = _site_point(site)
            places.append({"label": VICTIM_PLACED, "lat": point["lat"], "lon": point["lon"], "km": km})
    return places


def avoid_places_for_victims(session: Session, victims: list[Household]) -> dict[int, list[dict]]:
    """The units of live perpetrator requests linked to each victim, as engine ``avoid`` entries by case id.

    ``services/matching.py`` adds these to the victim's places, so every later suggestion, offer
    (by hand or from a batch) and batch run keeps the victim ``safe_km`` from the perpetrator.
    One query for any number of victims: a batch run asks for every waiting case at once.
    """
    by_reference: dict[str, list[int]] = {}
    for household in victims:
        by_reference.setdefault(household.reference, []).append(household.id)
    ids = {household.id for household in victims}
    query = (select(PerpetratorRequest.household_id, PerpetratorRequest.victim_reference, PerpetratorRequest.safe_km,
                    Site.location)
             .join(Unit, Unit.id == PerpetratorRequest.unit_id).join(Site, Site.id == Unit.site_id)
             .where(PerpetratorRequest.state.in_(LIVE_PERPETRATOR_STATES)))
    if len(victims) <= 500:  # a few cases: filter in SQL; a batch run reads the (few) live requests whole
        query = query.where(or_(PerpetratorRequest.household_id.in_(ids),
                                PerpetratorRequest.victim_reference.in_(list(by_reference))))
    places: dict[int, list[dict]] = {}
    for household_id, reference, km, location in session.execute(query):
        point = crypto.unseal(location)
        place = {"label": PERPETRATOR_UNIT, "lat": point["lat"], "lon": point["lon"],
                 "km": km if km is not None else DEFAULT_SAFE_KM}
        for victim in {*by_reference.get(reference, ()), *({household_id} & ids)}:
            places.setdefault(victim, []).append(place)
    return places


def exclusion_zones(request: PerpetratorRequest) -> list[dict]:
    """The request's hand-drawn exclusion zones (GeoJSON), opened for the engine."""
    return crypto.unseal(request.exclusion_zones) or []


# Filing -----------------------------------------------------------------------------------------

REQUEST_FIELDS = ("victim_reference", "client_reference", "birth_date", "gender", "needs", "pets", "languages",
                  "marac", "under_probation", "mappa_level", "court_conditions", "excluded_area_ids",
                  "exclusion_zones", "needed_from")


def _zones(check: households.Checker, values) -> list[dict]:
    """Hand-drawn exclusion zones: GeoJSON polygons (lon, lat) in the UK, each a valid shape."""
    clean = []
    for i, zone in check.items("exclusion_zones", values, MAX_ZONES):
        where = f"exclusion_zones/{i}"
        if zone.get("type") not in ("Polygon", "MultiPolygon") or not isinstance(zone.get("coordinates"), list):
            check.fail(where, "must be a GeoJSON Polygon or MultiPolygon")
            continue
        try:
            geometry = shape(zone)
            points = list(_points(zone["coordinates"]))
        except (TypeError, ValueError, IndexError, AttributeError):
            check.fail(where, "is not a valid polygon")
            continue
        if len(points) > MAX_ZONE_POINTS:
            check.fail(where, f"at most {MAX_ZONE_POINTS} points")
        elif not all(households.UK_LON[0] <= lon <= households.UK_LON[1]
                     and households.UK_LAT[0] <= lat <= households.UK_LAT[1] for lon, lat in points):
            check.fail(where, "must lie in the United Kingdom (longitude, latitude order)")
        elif geometry.is_empty or not geometry.is_valid:
            check.fail(where, "is not a valid polygon (it crosses itself or has too few points)")
        else:
            clean.append({"type": zone["type"], "coordinates": zone["coordinates"]})
    return clean


def _points(coordinates):
    """Every (lon, lat) pair in nested GeoJSON coordinates; raises on anything else."""
    if coordinates and isinstance(coordinates[0], (int, float)) and not isinstance(coordinates[0], bool):
        lon, lat = coordinates[:2]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (lon, lat)):
            raise ValueError("not a number")
        yield float(lon), float(lat)
        return
    for part in coordinates:
        if not isinstance(part, list):
            raise ValueError("not a list")
        yield from _points(part)


def check_request(session: Session, data: dict, *, today: date) -> tuple[dict, list, list[FieldProblem]]:
    """Check a new request; returns (clean values, named areas, every problem found)."""
    check = households.Checker(session, today, "")
    for key in sorted(set(data) - set(REQUEST_FIELDS)):
        check.fail(str(key)[:40], "is not a field of a request")
    raw_reference = data.get("victim_reference")
    reference = raw_reference.strip().upper() if isinstance(raw_reference, str) else None
    if reference is None or len(reference) > 40 or not REFERENCE_RE.match(reference):
        reference = None
        check.fail("victim_reference", "is required" if not raw_reference else f"must look like: {REFERENCE_HELP}")
    clean = {
        "victim_reference": reference,
        "client_reference": check.text("client_reference", data.get("client_reference"), 40),
        "birth_date": check.birth_date("birth_date", data.get("birth_date"), lead=True),
        "gender": check.code("gender", data.get("gender"), Gender.codes()),
        "needs": check.codes("needs", data.get("needs"), Feature.codes()),
        "pets": check.codes("pets", data.get("pets"), Pet.codes()),
        "languages": check.codes("languages", data.get("languages"), Language.codes()),
        "marac": check.boolean("marac", data.get("marac", False)),
        "under_probation": check.boolean("under_probation", data.get("under_probation", False)),
        "mappa_level": check.code("mappa_level", data.get("mappa_level") or MappaLevel.NONE.value,
                                  MappaLevel.codes()),
        "court_conditions": check.text("court_conditions", data.get("court_conditions"), COURT_CONDITIONS_MAX),
        "exclusion_zones": _zones(check, data.get("exclusion_zones")),
    }
    areas = check.areas(data.get("excluded_area_ids"))
    needed_from = data.get("needed_from")
    if needed_from is None:
        check.fail("needed_from", "is required")
    elif not isinstance(needed_from, date) or isinstance(needed_from, datetime):
        check.fail("needed_from", "must be a date")
    elif not NEEDED_FROM_EARLIEST <= needed_from <= date.fromordinal(today.toordinal() + NEEDED_FROM_AHEAD_DAYS):
        check.fail("needed_from", "must be within the next year")
    clean["needed_from"] = needed_from
    return clean, areas, check.problems


def file_request(session: Session, actor: Actor, data: dict, *, now: datetime | None = None) -> PerpetratorRequest:
    """File a request for alternative accommodation; every problem named at once, nothing written.

    The reference links to the victim's case on the server; whether it does changes nothing
    the perpetrator service sees (no message, no field, no count).
    """
    _require(actor, Permission.PERP_REQUEST)
    now = now or utcnow()
    clean, areas, problems = check_request(session, data, today=today_uk(now))
    if problems:
        raise ValidationError("The request was not filed.", problems)
    zones = clean.pop("exclusion_zones")
    request = PerpetratorRequest(
        filed_by_id=actor.user_id, filed_at=now, household_id=_case_for_reference(session, clean["victim_reference"]),
        exclusion_zones=zones or None, state=S.FILED,
        **{**clean, "gender": Gender(clean["gender"]), "mappa_level": MappaLevel(clean["mappa_level"])})
    request.excluded_areas = areas
    session.add(request)
    session.flush()
    session.add(PerpetratorRequestEvent(request_id=request.id, at=now, by_user_id=actor.user_id, from_state=None,
                                        to_state=S.FILED))
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "perpetrator_request", request.id)
    return request


# The one place a request moves -------------------------------------------------------------------

def _check_move(request: PerpetratorRequest, to: PerpetratorState) -> None:
    """TransitionError unless TRANSITIONS allows the move."""
    if to not in TRANSITIONS[request.state]:
        old = request.state
        raise TransitionError(f"This request is {old.label.lower()}: it cannot be {VERB.get(to, to.value)} now.",
                              [FieldProblem("state", f"cannot go from {old.value} to {to.value}")])


def _move(session: Session, actor: Actor, request: PerpetratorRequest, to: PerpetratorState, *,
          note: str | None = None, now: datetime | None = None) -> None:
    """Move a request along TRANSITIONS, write its event, and let the unit's status follow."""
    now = now or utcnow()
    old = request.state
    _check_move(request, to)
    follows = _unit_follows(old, to)
    if follows is not None and request.unit is not None:
        inventory.change_status(session, actor, request.unit, follows, note=f"perpetrator request {to.value}",
                                by_placement=True, today=today_uk(now))
    request.state = to
    session.add(PerpetratorRequestEvent(request_id=request.id, at=now, by_user_id=actor.user_id, from_state=old,
                                        to_state=to, unit_id=request.unit_id, note=note))
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "perpetrator_request", request.id, f"{old.value}->{to.value}")


def _note(problems: list[FieldProblem], note, name: str = "note", *, required: bool = False) -> str | None:
    if note is not None and not isinstance(note, str):
        problems.append(FieldProblem(name, "must be text"))
        return None
    note = (note or "").strip() or None
    if note is None and required:
        problems.append(FieldProblem(name, "is required"))
    elif note is not None and len(note) > NOTE_MAX:
        problems.append(FieldProblem(name, f"must be at most {NOTE_MAX} characters"))
    return note


def withdraw(session: Session, actor: Actor, request_id: int, *, now: datetime | None = None) -> PerpetratorRequest:
    """The perpetrator service withdraws its request (before the client moves in); a held unit is freed."""
    _require(actor, Permission.PERP_REQUEST)
    request = get_request(session, actor, request_id)
    _move(session, actor, request, S.WITHDRAWN, now=now)
    return request


def accept(session: Session, actor: Actor, request_id: int, *, now: datetime | None = None) -> PerpetratorRequest:
    """The client accepts the unit offered (recorded by its perpetrator service or a manager)."""
    if actor.user is None or not (can(actor.user.role, Permission.PERP_REQUEST)
                                  or can(actor.user.role, Permission.MATCH_BATCH)):
        raise Forbidden("You may not do this.")
    request = get_request(session, actor, request_id)
    _move(session, actor, request, S.ACCEPTED, now=now)
    return request


def _day(problems: list[FieldProblem], name: str, value, earliest: date | None, today: date) -> date | None:
    if not isinstance(value, date) or isinstance(value, datetime):
        problems.append(FieldProblem(name, "must be a date"))
        return None
    if value > today:
        problems.append(FieldProblem(name, "is in the future"))
    elif earliest is not None and value < earliest:
        problems.append(FieldProblem(name, f"must be on or after {earliest.isoformat()}"))
    return value


def move_in(session: Session, actor: Actor, request_id: int, moved_in_on, *,
            now: datetime | None = None) -> PerpetratorRequest:
    """A manager records the client moving into the matched unit; the unit becomes occupied."""
    _require(actor, Permission.MATCH_BATCH)
    request = get_request(session, actor, request_id)
    problems: list[FieldProblem] = []
    day = _day(problems, "moved_in_on", moved_in_on, request.matched_at.date() if request.matched_at else None,
               today_uk(now))
    if problems:
        raise ValidationError("The move-in was not recorded.", problems)
    _move(session, actor, request, S.MOVED_IN, now=now)
    request.moved_in_on = day
    session.flush()
    return request


def move_out(session: Session, actor: Actor, request_id: int, moved_out_on, *, note=None,
             now: datetime | None = None) -> PerpetratorRequest:
    """A manager records the client leaving the unit; it goes void while it is made ready."""
    _require(actor, Permission.MATCH_BATCH)
    request = get_request(session, actor, request_id)
    problems: list[FieldProblem] = []
    day = _day(problems, "moved_out_on", moved_out_on, request.moved_in_on, today_uk(now))
    note = _note(problems, note)
    if problems:
        raise ValidationError("The move-out was not recorded.", problems)
    _move(session, actor, request, S.MOVED_OUT, note=note, now=now)
    request.moved_out_on = day
    session.flush()
    return request


def flag_unsafe(session: Session, actor: Actor, request_id: int, reason, *,
                now: datetime | None = None) -> PerpetratorRequest:
    """The victim's housing worker flags the request unsafe: it stops, and its unit is freed (audited)."""
    _require(actor, Permission.PERP_LINKED)
    now = now or utcnow()
    problems: list[FieldProblem] = []
    reason = _note(problems, reason, "reason", required=True)
    if problems:
        raise ValidationError("The request was not stopped.", problems)
    request = get_request(session, actor, request_id)
    _move(session, actor, request, S.STOPPED, note=reason, now=now)
    request.stopped_at = now
    request.stopped_by_id = actor.user_id
    request.stop_reason = reason
    session.flush()
    return request


def set_safe_km(session: Session, actor: Actor, request_id: int, km) -> PerpetratorRequest:
    """The housing side raises the distance to keep between the perpetrator and the victim (audited).

    Only upwards from the default (``DEFAULT_SAFE_KM``), up to ``MAX_SAFE_KM``; applies to the
    next match, and both ways to the victim's later suggestions and offers.
    """
    _require(actor, Permission.PERP_LINKED)
    check = households.Checker(session, today_uk(), "")
    km = check.number("safe_km", km, DEFAULT_SAFE_KM, MAX_SAFE_KM)
    if check.problems:
        raise ValidationError("The distance was not changed.", check.problems)
    request = get_request(session, actor, request_id)
    if request.state not in OPEN_STATES:
        raise Conflict("This request is finished: its distance can no longer change.")
    request.safe_km = float(km)
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "perpetrator_request", request.id, "safe_km")
    return request


# Matching (managers) -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestSuggestions:
    request: PerpetratorRequest
    suggestions: matching.SuggestionList


def _relink(session: Session, request: PerpetratorRequest) -> None:
    """A victim referred after the request was filed is linked now."""
    if request.household_id is None:
        request.household_id = _case_for_reference(session, request.victim_reference)


def suggest_units(session: Session, actor: Actor, request_id: int, top: int = 10,
                  now: datetime | None = None) -> RequestSuggestions:
    """Free perpetrator units for a request, best first, kept from the victim's places; the run is audited."""
    _require(actor, Permission.MATCH_BATCH)
    request = get_request(session, actor, request_id)
    _relink(session, request)
    answer = matching.suggest_perpetrator(session, request, victim_places(session, request),
                                          exclusion_zones(request), top=top, as_of=today_uk(now))
    audit.record(session, actor, AuditAction.MATCH_RUN, "perpetrator_request", request.id,
                 f"suggestions feasible={answer.feasible} of {answer.considered}")
    return RequestSuggestions(request, answer)


def waiting_for_batch(session: Session) -> list[matching.PerpetratorInput]:
    """The filed (not yet matched) requests, as a batch run needs them: a manager's run matches them
    beside the waiting victims, so the engine's ``apart`` rule keeps each request's unit ``safe_km``
    from its victim's proposed unit, both placed in the same run. A machine use: the run is audited."""
    requests = list(session.scalars(select(PerpetratorRequest).where(PerpetratorRequest.state == S.FILED)
                                    .options(selectinload(PerpetratorRequest.excluded_areas))
                                    .order_by(PerpetratorRequest.id)))
    inputs = []
    for request in requests:
        _relink(session, request)
        inputs.append(matching.PerpetratorInput(
            request, tuple(victim_places(session, request)), tuple(exclusion_zones(request)),
            frozenset(h.id for h in linked_households(session, request)), safe_km(request)))
    return inputs


def match(session: Session, actor: Actor, request_id: int, unit_id, *, now: datetime | None = None
          ) -> PerpetratorRequest:
    """A manager approves a match: the unit is offered to the request's client.

    Only a free unit of type perpetrator that keeps every engine rule for this request (kept
    ``safe_km`` from each of the victim's places, the unit's lead genders, needs, pets, areas)
    is accepted; a breach is a ValidationError naming the rule.
    """
    _require(actor, Permission.MATCH_BATCH)
    now = now or utcnow()
    request = get_request(session, actor, request_id)
    if isinstance(unit_id, bool) or not isinstance(unit_id, int) or not 1 <= unit_id <= access.MAX_ID:
        raise ValidationError.one("unit_id", "no such unit")
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise ValidationError.one("unit_id", "no such unit")
    if unit.type != UnitType.PERPETRATOR:
        raise ValidationError.one("unit_id", "only a perpetrator unit can be offered to a perpetrator request")
    _check_move(request, S.MATCHED)
    if unit.retired_at is not None or unit.status != UnitStatus.AVAILABLE:
        raise Conflict(f"This unit is not free (it is {unit.status.label.lower()}).",
                       [FieldProblem("unit_id", "is not available")])
    _relink(session, request)
    breaches = matching.check_perpetrator_unit(session, request, victim_places(session, request),
                                               exclusion_zones(request), unit, as_of=today_uk(now))
    if breaches:
        raise ValidationError("This unit breaks the rules for this request: " + "; ".join(breaches) + ".",
                              [FieldProblem("unit_id", message) for message in breaches])
    request.unit_id = unit.id
    request.unit = unit
    _move(session, actor, request, S.MATCHED, now=now)
    request.matched_at = now
    request.matched_by_id = actor.user_id
    session.flush()
    return request


# Reading -------------------------------------------------------------------------------------------

def _with_unit(query):
    return query.options(selectinload(PerpetratorRequest.unit).selectinload(Unit.site),
                         selectinload(PerpetratorRequest.excluded_areas))


def own_requests(session: Session, actor: Actor) -> list[PerpetratorRequest]:
    """The perpetrator service's own requests, newest first."""
    _require(actor, Permission.PERP_REQUEST)
    return list(session.scalars(_with_unit(_scope(select(PerpetratorRequest), actor.user))
                                .order_by(PerpetratorRequest.filed_at.desc(), PerpetratorRequest.id.desc())))


def own_request(session: Session, actor: Actor, request_id: int) -> PerpetratorRequest:
    """One of the perpetrator service's own requests (another's is NotFound)."""
    _require(actor, Permission.PERP_REQUEST)
    return get_request(session, actor, request_id)


def queue(session: Session, actor: Actor, *, state: str | None = None, limit: int = 200,
          offset: int = 0) -> list[PerpetratorRequest]:
    """The requests for managers: open ones first (waiting longest first), then the rest, newest first."""
    _require(actor, Permission.MATCH_BATCH)
    query = _with_unit(_scope(select(PerpetratorRequest), actor.user))
    if state:
        if state not in PerpetratorState.codes():
            raise ValidationError.one("state", f"must be one of {', '.join(PerpetratorState.codes())}")
        query = query.where(PerpetratorRequest.state == S(state))
    is_open = PerpetratorRequest.state.in_(OPEN_STATES)
    return list(session.scalars(query.order_by(is_open.desc(), PerpetratorRequest.filed_at,
                                               PerpetratorRequest.id).limit(limit).offset(offset)))


def housing_view(session: Session, actor: Actor, request_id: int) -> PerpetratorRequest:
    """A request as the housing side sees it (managers; the linked victim's housing worker); audited."""
    _require(actor, Permission.PERP_LINKED)
    request = get_request(session, actor, request_id)
    audit.record(session, actor, AuditAction.VIEW_CASE, "perpetrator_request", request.id)
    return request


def linked_to_case(session: Session, actor: Actor, household_id: int) -> list[PerpetratorRequest]:
    """The requests linked to a victim's case (by the case, or by its reference), newest first."""
    _require(actor, Permission.PERP_LINKED)
    household = access.get_household_for(session, actor.user, household_id)
    return list(session.scalars(_with_unit(_scope(select(PerpetratorRequest), actor.user)).where(
        or_(PerpetratorRequest.household_id == household.id,
            PerpetratorRequest.victim_reference == household.reference))
        .order_by(PerpetratorRequest.filed_at.desc(), PerpetratorRequest.id.desc())))


# States in which the client is going to, or is at, the unit: its address may be opened.
ADDRESS_STATES = LIVE_PERPETRATOR_STATES


def unit_address(session: Session, actor: Actor, request_id: int) -> tuple[PerpetratorRequest, dict]:
    """The address of the unit offered to one's client, to take them there (audited VIEW_ADDRESS)."""
    request = own_request(session, actor, request_id)
    if request.state not in ADDRESS_STATES or request.unit is None:
        raise NotFound("No unit is offered on this request.")
    audit.record(session, actor, AuditAction.VIEW_ADDRESS, "site", request.unit.site_id,
                 f"perpetrator_request={request.id}")
    return request, crypto.unseal(request.unit.site.address)


# Counts -----------------------------------------------------------------------------------------------

def count_own_open(session: Session, user) -> int:
    """How many of the user's own requests are open (filed, matched, accepted or moved in)."""
    return session.scalar(select(func.count()).select_from(PerpetratorRequest).where(
        PerpetratorRequest.filed_by_id == user.id, PerpetratorRequest.state.in_(OPEN_STATES))) or 0


def count_waiting(session: Session) -> int:
    """How many requests wait for a match (managers' queue)."""
    return session.scalar(select(func.count()).select_from(PerpetratorRequest).where(
        PerpetratorRequest.state == S.FILED)) or 0


def count_found_accommodation(session: Session, start: date, end: date) -> int:
    """"Perpetrators found alternative accommodation": requests whose client moved in between start and end (inclusive)."""
    return session.scalar(select(func.count()).select_from(PerpetratorRequest).where(
        PerpetratorRequest.moved_in_on.is_not(None), PerpetratorRequest.moved_in_on >= start,
        PerpetratorRequest.moved_in_on <= end)) or 0


@output("perpetrators_accommodated")
def found_accommodation_rows(quarter: Quarter) -> Select:
    """The quarterly return's "perpetrators found alternative accommodation": each request whose client moved in
    during the quarter (``moved_in_on``), with the victim's case it links to (or NULL) and the reference."""
    return select(PerpetratorRequest.household_id, PerpetratorRequest.victim_reference.label("reference")).where(
        PerpetratorRequest.moved_in_on >= quarter.start, PerpetratorRequest.moved_in_on <= quarter.end)
