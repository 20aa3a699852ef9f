"""Perpetrator accommodation: the perpetrator leaves, the victim stays, and neither side learns where the other is.

Who does what
-------------
- The perpetrator service (``PERP_REQUEST``) files requests (at most
  ``FilingLimits.per_day`` in any 24 hours and ``FilingLimits.waiting`` waiting at
  once, per worker: 429 beyond), follows only its own (``filed_by``; anyone else's
  answers 404), records its client's acceptance of an offer, withdraws a request
  before the client moves in, and opens the address of the unit offered to its
  client (audited: ``AuditAction.VIEW_ADDRESS``).
- Managers (``MATCH_BATCH``) work the queue: ask the engine for perpetrator units,
  match one (the offer), record the client's acceptance, moving in and out, close
  any request with a coded reason (``PerpetratorStopReason``), and see the
  patterns of requests that look like probing (``pattern_flags``).
- The victim's housing worker (and managers: ``PERP_LINKED``) see the requests
  linked to a victim's case, may raise the safe distance, and may flag a request
  unsafe, which closes it (reason ``unsafe_for_victim``) and frees its unit.

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

Safety kept by the server, and what it must not give away (issue 15)
-------------------------------------------------------------------
The reference the perpetrator service gives links, on the server, to the
victim's case(s) of that reference (``household_id`` keeps the case found when
filing; cases referred later are found by the reference).

Only places the perpetrator already knows constrain a request: the linked
victim's home when the housing worker marks it known to the perpetrator
(``Household.home_known_to_perpetrator``, default yes: usually the home they
shared or left) and each place to stay near marked ``known_to_perpetrator``
(default no). The unit must be at least ``safe_km`` (default ``DEFAULT_SAFE_KM`` =
10 km; the housing side may raise it up to 200 km per request) from each of them.
Every secret place (a refuge, a dispersed flat, a new school) is protected by
rules that are the same for every request whatever its reference: the
inventory keeps every perpetrator unit away from every site that houses victims,
and the victim side keeps away from perpetrators (below). Were a secret place a
constraint, a worker could file the same request under two references and learn
from the outcome alone that one links to a case and where its places are.

Both ways: ``avoid_places_for_victims`` gives the engine, for any later
suggestion, offer or batch for the victim, the unit of every live request linked
to them, at the request's distance. A batch run matches in two stages
(``matching.solve_batch``): the filed requests first, from their own details and
the known places only (``waiting_for_batch``); then the waiting victims, each
kept from the units just proposed to requests linked to them. Approval matches
the requests before it offers to victims, so each offer is checked against them.

None of this reaches the perpetrator service. Everything it sees (pages, API
answers, states, messages, counts) is the same whether or not its reference links
to a case: no victim id, name, place, distance, count or engine reason; one state,
"closed by the Safe Home service", whoever closed a request and why; and the same
work on the server (filing looks the link up either way; nothing it calls runs
per linked place). The filing limits count only the worker's own requests.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shapely.geometry import shape
from sqlalchemy import Select, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from safehome import UK_TIME, crypto
from safehome.codes import (
    LIVE_PERPETRATOR_STATES,
    AuditAction,
    CaseStatus,
    Feature,
    Gender,
    Language,
    MappaLevel,
    PerpetratorPattern,
    PerpetratorState,
    PerpetratorStopReason,
    Pet,
    Role,
    UnitStatus,
    UnitType,
)
from safehome.errors import (Conflict, DomainError, FieldProblem, Forbidden, NotFound, TransitionError,
                             ValidationError)
from safehome.models import Household, PerpetratorRequest, PerpetratorRequestEvent, Site, Unit, User
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
# Waiting for accommodation: what the per-worker limit on waiting requests counts (moved in is housed).
WAITING_STATES = (S.FILED, S.MATCHED, S.ACCEPTED)
VERB = {S.MATCHED: "matched", S.ACCEPTED: "accepted", S.MOVED_IN: "moved in", S.MOVED_OUT: "moved out",
        S.STOPPED: "closed", S.WITHDRAWN: "withdrawn"}

# The labels the engine's reasons use for the places (managers see them; the perpetrator service never does).
VICTIM_HOME = "the victim's home (known to the perpetrator)"
VICTIM_PLACE = "a place the victim goes that the perpetrator knows"
PERPETRATOR_UNIT = "the perpetrator's accommodation"
KNOWN_PLACE_LABELS = {"home": VICTIM_HOME, "prefer": VICTIM_PLACE}

# Patterns of requests that look like probing for a victim's case (``pattern_flags``): over this many days,
# the same client under different victim references, or more than this many withdrawals under one reference.
PATTERN_DAYS = 30
PATTERN_WITHDRAWALS = 2


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


def victim_places(session: Session, request: PerpetratorRequest) -> list[dict]:
    """The places the perpetrator's unit must be kept ``safe_km`` from, as engine ``avoid`` entries.

    Only the linked victims' places the perpetrator already knows (``households.known_places``):
    a secret one (a refuge, a dispersed flat, a new school) must never change what the perpetrator
    side sees, so it is protected by rules that hold for every request alike (the module's docstring).
    A machine use (not audited per place): the match itself is audited.
    """
    km = safe_km(request)
    return [{"label": KNOWN_PLACE_LABELS[p["kind"]], "lat": p["lat"], "lon": p["lon"], "km": km}
            for household in linked_households(session, request) for p in households.known_places(household)]


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


@dataclass(frozen=True)
class FilingLimits:
    """How many requests one perpetrator-service worker may file in any 24 hours, and have waiting for
    accommodation at once (filed, matched or accepted); None is no limit (the demo world's own filings)."""

    per_day: int | None
    waiting: int | None

    @classmethod
    def from_settings(cls, config) -> FilingLimits:
        """The limits the app's settings give (``SAFEHOME_PERPETRATOR_REQUESTS_PER_DAY``, ``..._WAITING_REQUESTS``)."""
        return cls(int(config["PERPETRATOR_REQUESTS_PER_DAY"]), int(config["PERPETRATOR_WAITING_REQUESTS"]))


NO_LIMITS = FilingLimits(None, None)


class FilingLimitReached(DomainError):
    """A worker over a filing limit (429). The same answer for every reference: it counts only their own requests."""

    status = 429


def _check_limits(session: Session, actor: Actor, limits: FilingLimits, now: datetime) -> None:
    """FilingLimitReached when the worker has filed ``per_day`` requests in the last 24 hours, or has
    ``waiting`` requests waiting; the worker's row is locked first, so two filings at once count each other."""
    session.execute(select(User.id).where(User.id == actor.user_id).with_for_update())
    own = select(PerpetratorRequest.filed_at).where(PerpetratorRequest.filed_by_id == actor.user_id)
    if limits.per_day is not None:
        recent = list(session.scalars(own.where(PerpetratorRequest.filed_at > now - timedelta(hours=24))
                                      .order_by(PerpetratorRequest.filed_at.desc()).limit(limits.per_day)))
        if len(recent) >= limits.per_day:
            again = (recent[-1] + timedelta(hours=24)).astimezone(UK_TIME)
            raise FilingLimitReached(
                f"You have filed {limits.per_day} requests in the last 24 hours, the most one worker may file. "
                f"You may file again after {again:%d %b %Y %H:%M} (UK time).")
    if limits.waiting is not None:
        waiting = session.scalar(select(func.count()).select_from(
            own.where(PerpetratorRequest.state.in_(WAITING_STATES)).subquery()))
        if waiting >= limits.waiting:
            raise FilingLimitReached(
                f"You have {waiting} requests waiting for accommodation, the most one worker may have at once. "
                "Withdraw one you no longer need, or file again once one is housed.")


def file_request(session: Session, actor: Actor, data: dict, *, limits: FilingLimits,
                 now: datetime | None = None) -> PerpetratorRequest:
    """File a request for alternative accommodation; every problem named at once, nothing written.

    The reference links to the victim's case on the server; whether it does changes nothing
    the perpetrator service sees (no message, no field, no count, no extra work). Over a filing
    limit (``limits``, from the settings) it raises FilingLimitReached (429).
    """
    _require(actor, Permission.PERP_REQUEST)
    now = now or utcnow()
    _check_limits(session, actor, limits, now)
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
        raise TransitionError(f"This request is {old.label[0].lower()}{old.label[1:]}: it cannot be "
                              f"{VERB.get(to, to.value)} now.",
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


def _stop(session: Session, actor: Actor, request: PerpetratorRequest, reason: PerpetratorStopReason,
          note: str | None, now: datetime) -> PerpetratorRequest:
    """Close a request for the Safe Home service: one state for every reason (the perpetrator side sees only it)."""
    _move(session, actor, request, S.STOPPED, note=note, now=now)
    request.stopped_at = now
    request.stopped_by_id = actor.user_id
    request.stop_reason = reason
    request.stop_note = note
    session.flush()
    return request


def flag_unsafe(session: Session, actor: Actor, request_id: int, reason, *,
                now: datetime | None = None) -> PerpetratorRequest:
    """The victim's housing worker flags the request unsafe: it closes, and its unit is freed (audited).

    ``reason`` is the worker's words (the note); the coded reason is ``unsafe_for_victim``.
    """
    _require(actor, Permission.PERP_LINKED)
    problems: list[FieldProblem] = []
    reason = _note(problems, reason, "reason", required=True)
    if problems:
        raise ValidationError("The request was not closed.", problems)
    request = get_request(session, actor, request_id)
    return _stop(session, actor, request, PerpetratorStopReason.UNSAFE_FOR_VICTIM, reason, now or utcnow())


def close(session: Session, actor: Actor, request_id: int, reason, note=None, *,
          now: datetime | None = None) -> PerpetratorRequest:
    """A manager closes any open request, linked or not, with a coded reason (and a note, required for
    "other"); its unit is freed. The perpetrator side sees the same closed state whatever the reason."""
    _require(actor, Permission.MATCH_BATCH)
    check = households.Checker(session, today_uk(now), "")
    reason = check.code("reason", reason, PerpetratorStopReason.codes())
    note = _note(check.problems, note, required=reason == PerpetratorStopReason.OTHER.value)
    if check.problems:
        raise ValidationError("The request was not closed.", check.problems)
    request = get_request(session, actor, request_id)
    return _stop(session, actor, request, PerpetratorStopReason(reason), note, now or utcnow())


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
    """Free perpetrator units for a request, best first, kept from the victim's known places; the run is audited."""
    _require(actor, Permission.MATCH_BATCH)
    request = get_request(session, actor, request_id)
    _relink(session, request)
    answer = matching.suggest_perpetrator(session, request, victim_places(session, request),
                                          exclusion_zones(request), top=top, as_of=today_uk(now))
    audit.record(session, actor, AuditAction.MATCH_RUN, "perpetrator_request", request.id,
                 f"suggestions feasible={answer.feasible} of {answer.considered}")
    return RequestSuggestions(request, answer)


def waiting_for_batch(session: Session) -> list[matching.PerpetratorInput]:
    """The filed (not yet matched) requests, as a batch run needs them: matched first, from their own
    details and the victims' known places only; each names its linked victims, whom the run's second
    stage keeps ``safe_km`` from the unit proposed to it. A machine use: the run is audited."""
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
    ``safe_km`` from each of the victim's known places, the unit's lead genders, needs, pets, areas)
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
    """The address of the unit offered to one's client, to take them there (audited VIEW_ADDRESS).

    Never for a unit too near a site housing victims (a match made before the rule, or a site moved
    since): its address could be a refuge's. Managers see it on their dashboards and close the request.
    """
    request = own_request(session, actor, request_id)
    if request.state not in ADDRESS_STATES or request.unit is None or matching.near_victims(session, request.unit):
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


# Patterns that look like probing (managers only) ------------------------------------------------------

@dataclass(frozen=True)
class PatternFlag:
    """A pattern of requests for managers to look at: which, and under which victim references."""

    pattern: PerpetratorPattern
    requests: tuple[PerpetratorRequest, ...]  # oldest first
    references: tuple[str, ...]


def _same_client_keys(request: PerpetratorRequest) -> list[tuple]:
    """What makes two requests look like the same client: the service's own case number, or birth date and gender."""
    keys = [("born", request.birth_date, request.gender)]
    if request.client_reference:
        keys.append(("client", request.client_reference.strip().upper()))
    return keys


def pattern_flags(session: Session, actor: Actor, *, now: datetime | None = None) -> list[PatternFlag]:
    """The patterns of the last ``PATTERN_DAYS`` days: the same client filed under different victim references,
    and one victim reference with more than ``PATTERN_WITHDRAWALS`` requests withdrawn (filed again and again).

    Either is how a worker could probe for a victim's case: flagged to managers, never shown to the
    perpetrator side (closing a request for it is ``close(..., "duplicate_or_pattern")``).
    """
    _require(actor, Permission.MATCH_BATCH)
    since = (now or utcnow()) - timedelta(days=PATTERN_DAYS)
    recent = list(session.scalars(select(PerpetratorRequest).where(PerpetratorRequest.filed_at >= since)
                                  .order_by(PerpetratorRequest.filed_at, PerpetratorRequest.id)))
    by_client: dict[tuple, list[PerpetratorRequest]] = defaultdict(list)
    by_reference: dict[str, list[PerpetratorRequest]] = defaultdict(list)
    for request in recent:
        for key in _same_client_keys(request):
            by_client[key].append(request)
        by_reference[request.victim_reference].append(request)
    flags: dict[tuple, PatternFlag] = {}
    for group in by_client.values():
        references = tuple(sorted({r.victim_reference for r in group}))
        if len(references) > 1:
            flags.setdefault((PerpetratorPattern.SAME_CLIENT, *(r.id for r in group)),
                             PatternFlag(PerpetratorPattern.SAME_CLIENT, tuple(group), references))
    for reference, group in by_reference.items():
        if sum(r.state == S.WITHDRAWN for r in group) > PATTERN_WITHDRAWALS:
            flags[(PerpetratorPattern.REFILED, reference)] = PatternFlag(PerpetratorPattern.REFILED, tuple(group),
                                                                         (reference,))
    return sorted(flags.values(), key=lambda f: (f.requests[-1].filed_at, f.requests[-1].id), reverse=True)


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
