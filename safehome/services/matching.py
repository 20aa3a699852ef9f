"""The engine adapter: rows in, the engine's dataclasses out, and its answers back as proposals.

The only module that imports ``solver``. It opens sealed locations (a machine
use, not audited per unit; each suggestion and batch run is audited) and
turns them into ``solver.Household`` / ``solver.Unit``. Engine ids are
``"H<household id>"`` and ``"U<unit id>"``.

The free units (available, not retired, on a live site) are prepared once as a
``solver.UnitPool`` and kept in this process, keyed by a cheap inventory
version (``inventory.inventory_version``), so a suggestion does not rebuild
tens of thousands of units. Every status change goes through the inventory service,
which bumps the unit's ``updated_at``: when only units changed, the pool is
patched with the units changed since; site moves do not touch units, so a pool
is also rebuilt whole once it is ``POOL_MAX_AGE_SECONDS`` old. A stale pool can
only suggest a unit that was taken meanwhile: an offer checks the unit again
under a row lock.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
import solver
from solver.geo import EARTH_KM, SPHERE_MARGIN, Points, far_enough
from sqlalchemy import Text, and_, cast, select
from sqlalchemy.orm import Session, object_session, selectinload

from safehome import crypto
from safehome.codes import TEMPORARY_UNIT_TYPES, UnitStatus
from safehome.errors import FieldProblem, ValidationError
from safehome.models import Household, Site, Unit
from safehome.services.inventory import PATCH_OVERLAP, inventory_version

log = logging.getLogger(__name__)

POOL_MAX_AGE_SECONDS = 300.0

# The engine's rule codes in caseworker words (for refusals of an offer by hand).
RULE_WORDS = {
    "kind": "Type of unit",
    "size": "Size",
    "lead": "Lead person's gender",
    "males": "Age of male members (boys' age limit)",
    "pets": "Pets",
    "needs": "Needs (access, funding)",
    "distance": "Too close to a place to avoid",
    "areas": "Inside an area to keep out of",
    "unit": "Unit already taken",
    "apart": "Too close to a linked household",
    "ids": "Unknown household or unit",
    "segregation": "Kept apart from victims",  # issue 15, not an engine rule: see apart_from_victims
}
SOFT_RULE = "preferences"


def household_key(household_id: int) -> str:
    return f"H{household_id}"


def unit_key(unit_id: int) -> str:
    return f"U{unit_id}"


def key_id(key: str) -> int:
    """The row id in an engine id ("H12" -> 12)."""
    return int(key[1:])


# Rows -> the engine's dataclasses -----------------------------------------------------------

def engine_household(household: Household, places: dict, as_of: date) -> solver.Household:
    """The engine's view of a household; ``places`` is ``households.household_places(household)``."""
    members = tuple(solver.Member(age=max(0, m.age_on(as_of)), gender=m.gender.value) for m in household.members)
    return solver.Household(
        id=household_key(household.id),
        members=members,
        risk=household.risk.value,
        pets=tuple(household.pets or ()),
        needs=tuple(household.needs or ()),
        unit_types=tuple(household.unit_types) if household.unit_types else tuple(
            sorted(t.value for t in TEMPORARY_UNIT_TYPES)),
        avoid=tuple(solver.Place(lat=float(p["lat"]), lon=float(p["lon"]), km=float(p["km"]), label=p.get("label"))
                    for p in places.get("avoid") or ()),
        exclude_areas=tuple(solver.Area(geometry=a.geometry, label=a.name) for a in household.excluded_areas),
        prefer=tuple(solver.PreferPlace(lat=float(p["lat"]), lon=float(p["lon"]), km=float(p["km"]),
                                        weight=float(p.get("weight", 1.0)), label=p.get("label"))
                     for p in places.get("prefer") or ()),
        languages=tuple(household.languages or ()),
        waiting_since=household.waiting_since,
    )


def engine_unit(unit_id: int, unit_type: str, site_id: int, location: dict, bedspaces: int,
                lead_genders: Sequence[str], max_male_age: int | None, pets: Sequence[str],
                features: Sequence[str], languages: Sequence[str]) -> solver.Unit:
    """The engine's view of a unit, from its columns and its site's unsealed point."""
    return solver.Unit(
        id=unit_key(unit_id), type=unit_type, lat=float(location["lat"]), lon=float(location["lon"]),
        bedspaces=bedspaces, lead_genders=tuple(lead_genders or ()), site=f"S{site_id}",
        max_male_age=max_male_age, pets=tuple(pets or ()), features=tuple(features or ()),
        languages=tuple(languages or ()),
    )


def engine_unit_of(unit: Unit) -> solver.Unit:
    """One unit row (with its site) as the engine sees it."""
    return engine_unit(unit.id, unit.type.value, unit.site_id, crypto.unseal(unit.site.location), unit.bedspaces,
                       unit.lead_genders, unit.max_male_age, unit.pets, unit.features, unit.languages)


def _household_places(household: Household) -> dict:
    from safehome.services.households import household_places

    return household_places(household)


def household_for_engine(household: Household, as_of: date,
                         perpetrator_units: Sequence[dict] | None = None) -> solver.Household:
    """The engine's view of a victim household, kept away from the units of linked perpetrator requests.

    Perpetrator accommodation (issue 7), both ways: the victim is also kept away from the unit of
    any live perpetrator request linked to them, in every suggestion, offer check and batch run.
    ``perpetrator_units`` are those places when the caller has read them for many households at once.
    """
    places = _household_places(household)
    if perpetrator_units is None:
        from safehome.services.perpetrator import avoid_places_for_victims

        session = object_session(household)
        perpetrator_units = avoid_places_for_victims(session, [household]).get(household.id, []) if session else []
    if perpetrator_units:
        places = {**places, "avoid": [*places["avoid"], *perpetrator_units]}
    return engine_household(household, places, as_of)


# Site points -----------------------------------------------------------------------------------

# Opened site points by sealed value, for the unit pool and the segregation rule (services/segregation.py):
# a site is opened once in a process, and again only when it moves (a new sealed value). Bounded, since a
# moved or retired site leaves its old value behind.
OPENED_POINTS_MAX = 100_000
_opened_points: dict[bytes, dict] = {}


def site_point(location: crypto.Sealed | bytes) -> dict:
    """A site's sealed location, opened (a machine use, not audited).

    ``location`` may be the column's raw value (``type_coerce(Site.location, LargeBinary)``): tens of
    thousands of rows are read without making a ``Sealed`` for each.
    """
    token = location.token if isinstance(location, crypto.Sealed) else location
    point = _opened_points.get(token)
    if point is None:
        if len(_opened_points) >= OPENED_POINTS_MAX:
            _opened_points.clear()
        point = _opened_points[token] = crypto.unseal(crypto.Sealed(token, "site.location"))
    return point


PAIRS_AT_ONCE = 200_000  # above this many pairs, an R-tree first


def pairs_within(a, b, km: float) -> list[tuple[int, int]]:
    """Every (i, j) with ``a[i]`` closer than ``km`` to ``b[j]``, decided as the engine's distance rule decides it
    (``solver.geo.far_enough``: the exact WGS84 geodesic). Points are (lat, lon) pairs: a list, or an (n, 2) array.

    A few points against many (a site created among 21,000) are compared with every one at once.
    Many against many (the dashboards' breaches) decide only the pairs whose box could hold such a
    distance: the shorter list goes in an R-tree, each point of the longer asks it for the box round
    the spherical cap of ``km`` (and 1% more, as the engine's own first tier allows for the
    ellipsoid). Points are in the UK (never near a pole or the 180th meridian).
    """
    a = np.asarray(a, dtype=float).reshape(-1, 2)
    b = np.asarray(b, dtype=float).reshape(-1, 2)
    if not len(a) or not len(b):
        return []
    if len(a) * len(b) <= PAIRS_AT_ONCE:
        ok, _ = far_enough(Points(a[:, 0], a[:, 1])[:, None], Points(b[:, 0], b[:, 1])[None, :], km)
        return [(int(i), int(j)) for i, j in zip(*np.nonzero(~ok))]
    swapped = len(a) < len(b)
    ask, tree_points = (b, a) if swapped else (a, b)
    theta = km * (1 + SPHERE_MARGIN) / EARTH_KM  # the cap's angular radius
    d_lat = np.degrees(theta)
    # The cap's widest longitude (bounding coordinates on a sphere); all of them if it reaches a pole.
    ratio = np.sin(theta) / np.cos(np.radians(ask[:, 0]))
    d_lon = np.where((np.abs(ask[:, 0]) + d_lat < 90) & (ratio < 1),
                     np.degrees(np.arcsin(np.minimum(ratio, 1.0))), 180.0)
    tree = shapely.STRtree(shapely.points(tree_points[:, 1], tree_points[:, 0]))
    i, j = tree.query(shapely.box(ask[:, 1] - d_lon, ask[:, 0] - d_lat, ask[:, 1] + d_lon, ask[:, 0] + d_lat))
    if swapped:
        i, j = j, i
    if not i.size:
        return []
    ok, _ = far_enough(Points(a[i, 0], a[i, 1]), Points(b[j, 0], b[j, 1]), km)
    return [(int(x), int(y)) for x, y in zip(i[~ok], j[~ok])]


# The cached pool of free units ------------------------------------------------------------------

# The unit's list columns are read as their JSON text and decoded once per distinct text: across
# 50,000 units there are only a few dozen distinct lists, and decoding each row's was most of a build.
_LIST_COLUMNS = (Unit.lead_genders, Unit.pets, Unit.features, Unit.languages)

# What makes a unit free for the engine, once: the whole build filters by it, a patch reads it per row.
_FREE = and_(Unit.status == UnitStatus.AVAILABLE, Unit.retired_at.is_(None), Site.retired_at.is_(None))


def _unit_rows():
    return (select(Unit.id, Unit.type, Unit.site_id, Site.location, Unit.bedspaces, Unit.max_male_age,
                   *(cast(column, Text).label(column.key) for column in _LIST_COLUMNS), _FREE.label("free"))
            .join(Site, Site.id == Unit.site_id))


@dataclass
class _CachedPool:
    version: tuple
    built: float  # when it was last built whole (time.monotonic)
    pool: solver.UnitPool
    units: dict[int, solver.Unit]


_pools: dict[str, _CachedPool] = {}
_pools_lock = threading.Lock()


def free_unit_pool(session: Session) -> solver.UnitPool:
    """The free units as a prepared ``solver.UnitPool``, kept in this process and brought up to date.

    When only units changed (a status, a new unit), the pool is patched with the units changed
    since the last look (a retired site's units are retired with it); when a site was added, or the
    pool is ``POOL_MAX_AGE_SECONDS`` old (a site that moved does not touch its units), it is built
    whole. Site locations are opened once per sealed value (``site_point``).
    """
    key = str(session.get_bind().url)
    version = inventory_version(session)
    with _pools_lock:
        cached = _pools.get(key)
    fresh = cached is not None and time.monotonic() - cached.built < POOL_MAX_AGE_SECONDS
    if fresh and cached.version == version:
        return cached.pool
    lists: dict[str | None, tuple] = {}

    def decoded(text: str | None) -> tuple:
        if text not in lists:
            lists[text] = tuple(json.loads(text)) if text else ()
        return lists[text]

    def engine_unit_from(row) -> solver.Unit:
        return engine_unit(row.id, row.type.value, row.site_id, site_point(row.location), row.bedspaces,
                           decoded(row.lead_genders), row.max_male_age, decoded(row.pets), decoded(row.features),
                           decoded(row.languages))

    if fresh and cached.version[1] is not None and cached.version[3] == version[3]:
        units, built = dict(cached.units), cached.built
        for row in session.execute(_unit_rows().where(Unit.updated_at >= cached.version[1] - PATCH_OVERLAP)):
            if row.free:
                units[row.id] = engine_unit_from(row)
            else:
                units.pop(row.id, None)
    else:
        units, built = {}, time.monotonic()
        for row in session.execute(_unit_rows().where(_FREE)):
            units[row.id] = engine_unit_from(row)
    pool = solver.UnitPool([units[i] for i in sorted(units)])
    with _pools_lock:
        _pools[key] = _CachedPool(version, built, pool, units)
    return pool


def forget_pools() -> None:
    """Drop every cached pool (tests that change sites behind the version's back)."""
    with _pools_lock:
        _pools.clear()


# Suggestions ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SuggestedUnit:
    unit: Unit
    fit: float
    why: tuple[str, ...]


@dataclass(frozen=True)
class SuggestionList:
    """The engine's answer for one household, with unit rows for the ranked units."""

    household_id: int
    feasible: int
    considered: int  # free units looked at
    items: tuple[SuggestedUnit, ...]
    summary: tuple[str, ...]  # "14 units too close to places to avoid"
    counts: dict
    seconds: float


def engine_problems(exc: solver.InstanceError) -> ValidationError:
    """The engine's refusal of a household's data as field problems (the field is the last part of the pointer)."""
    problems = [FieldProblem(p.pointer.rstrip("/").split("/")[-1] or "household", p.message) for p in exc.problems]
    return ValidationError("The household's details are not complete enough to match.", problems)


def suggest(session: Session, household: Household, top: int = 10, as_of: date | None = None) -> SuggestionList:
    """The best free units for a household, and the reasons every other free unit is ruled out."""
    start = time.perf_counter()
    as_of = as_of or date.today()
    pool = free_unit_pool(session)
    h = household_for_engine(household, as_of)
    return _suggestion_list(session, household.id, pool, h, top, as_of, start)


def _suggestion_list(session: Session, record_id: int, pool: solver.UnitPool, h: solver.Household, top: int,
                     as_of: date, start: float) -> SuggestionList:
    """Ask the engine, and load the unit rows of its ranked units."""
    try:
        answer = solver.suggest(pool, h, top=top, as_of=as_of)
    except solver.InstanceError as exc:
        raise engine_problems(exc) from exc
    ids = [key_id(s.unit) for s in answer.suggestions]
    rows = {u.id: u for u in session.scalars(
        select(Unit).where(Unit.id.in_(ids)).options(selectinload(Unit.site).selectinload(Site.provider)))}
    items = tuple(SuggestedUnit(rows[key_id(s.unit)], s.fit, s.why) for s in answer.suggestions
                  if key_id(s.unit) in rows)
    return SuggestionList(record_id, answer.feasible, len(pool), items, tuple(answer.summary()),
                          dict(answer.counts), time.perf_counter() - start)


# One set of rules: checking an offer ------------------------------------------------------------

@dataclass(frozen=True)
class OfferCheck:
    """What the engine says of one household in one unit: hard breaches, soft misses, and the fit."""

    breaches: tuple[tuple[str, str], ...]  # (rule, caseworker message)
    soft: tuple[str, ...]
    fit: float | None
    why: tuple[str, ...]


def _fit_in(h: solver.Household, u: solver.Unit, as_of: date) -> tuple[float | None, tuple[str, ...]]:
    answer = solver.suggest(solver.Instance((h,), (u,), as_of=as_of), h, top=1)
    if not answer.suggestions:
        return None, ()
    return answer.suggestions[0].fit, answer.suggestions[0].why


def hard_breaches(h: solver.Household, u: solver.Unit, as_of: date) -> tuple[tuple[str, str], ...]:
    """The engine's rules 1-8 for h in u, each as (rule, caseworker message); empty when it fits."""
    try:
        breaches = solver.check(solver.Instance(households=(h,), units=(u,), as_of=as_of), {h.id: u.id})
    except solver.InstanceError as exc:
        raise engine_problems(exc) from exc
    return tuple((b.rule, f"{RULE_WORDS.get(b.rule, b.rule)}: {b.message}") for b in breaches)


def check_offer(session: Session, household: Household, unit: Unit, as_of: date | None = None) -> OfferCheck:
    """The engine's hard rules (1-8) for this household in this unit, as for a suggested one, and the soft ones.

    Soft: a unit that meets none of the household's preferences (places to stay near, languages)
    while a free unit that fits does meet some. Only a manager may override that, with a reason.
    """
    as_of = as_of or date.today()
    h = household_for_engine(household, as_of)
    u = engine_unit_of(unit)
    hard = hard_breaches(h, u, as_of)
    if hard:
        return OfferCheck(hard, (), None, ())
    fit, why = _fit_in(h, u, as_of)
    soft: tuple[str, ...] = ()
    if h.prefer or h.languages:
        plain, _ = _fit_in(dataclasses.replace(h, prefer=(), languages=()), u, as_of)
        if fit is not None and plain is not None and fit <= plain:
            best = solver.suggest(free_unit_pool(session), h, top=1, as_of=as_of).suggestions
            if best and best[0].fit > fit:
                soft = ("meets none of the household's preferences (places to stay near, languages), "
                        "while a free unit that fits does",)
    return OfferCheck((), soft, fit, why)


# The batch match -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PerpetratorInput:
    """A filed perpetrator request as a batch run needs it (made by ``perpetrator.waiting_for_batch``)."""

    request: object  # the PerpetratorRequest row
    avoid: tuple[dict, ...]  # the victim's places known to the perpetrator, opened
    zones: tuple[dict, ...]  # court exclusion zones (GeoJSON)
    victims: frozenset[int]  # the linked victim cases: kept ``km`` from the unit proposed to the request
    km: float


@dataclass(frozen=True)
class BatchAnswer:
    households: int
    units: int
    status: str
    objective: dict
    seconds: float
    proposals: list[dict]
    unplaced: dict[str, dict]
    perpetrator_proposals: list[dict] = dataclasses.field(default_factory=list)
    perpetrator_unplaced: dict[str, dict] = dataclasses.field(default_factory=dict)


def _invalid(h: solver.Household, as_of: date) -> dict | None:
    """Why the engine would refuse this one household's details, or None when they are complete."""
    found = solver.validate(solver.Instance((h,), (), as_of=as_of))
    if not found:
        return None
    return {"reason": "invalid", "detail": "details incomplete: " + "; ".join(p.message for p in found[:3])}


# The worse of two runs' statuses, for a run made of two stages.
_STATUS_ORDER = (solver.Status.OPTIMAL, solver.Status.FEASIBLE, solver.Status.TIMED_OUT, solver.Status.INFEASIBLE)


def _engine_ready(items, as_of: date) -> tuple[list[solver.Household], dict[str, dict]]:
    """(engine households, {row id: why skipped}) from (row id, engine household) pairs: one with incomplete
    details must not stop the batch for everyone else."""
    ready, skipped = [], {}
    for row_id, h in items:
        problem = _invalid(h, as_of)
        if problem:
            skipped[str(row_id)] = problem
        else:
            ready.append(h)
    return ready, skipped


def _proposals(solution: solver.Solution, households: list[solver.Household], pool: solver.UnitPool, name: str,
               as_of: date) -> tuple[list[dict], dict[str, dict]]:
    """A stage's assignments as proposals (``name``: the row id's key), and its unplaced, by row id."""
    by_id = {h.id: h for h in households}
    proposals = []
    for hid, uid in solution.assignments.items():
        if uid is not None:
            fit, why = _fit_in(by_id[hid], pool.units[pool.index[uid]], as_of)
            proposals.append({name: key_id(hid), "unit_id": key_id(uid), "fit": fit, "why": list(why)})
    unplaced = {str(key_id(hid)): {"reason": why.reason, "detail": why.detail}
                for hid, why in solution.unplaced.items()}
    return proposals, unplaced


def solve_batch(session: Session, households: Sequence[Household], time_limit: float,
                as_of: date | None = None, requests: Sequence[PerpetratorInput] = ()) -> BatchAnswer:
    """Run the engine over these perpetrator requests, then these households, and every free unit.

    Two stages, so that whether a request is matched never depends on where its victim is placed
    (a secret place: issue 15). First the requests alone, over the free perpetrator units, from their
    own details and the victims' known places (``PerpetratorInput.avoid``). Then the households, high
    risk first, each also kept ``km`` from the unit just proposed to any request linked to it (as
    ``avoid_places_for_victims`` keeps it from the units of live requests). The run's objective adds
    the two stages; its status is the worse of the two.
    """
    from safehome.services.perpetrator import PERPETRATOR_UNIT, avoid_places_for_victims

    as_of = as_of or date.today()
    settings = solver.Settings(time_limit=time_limit)
    requests_in, skipped_requests = _engine_ready(
        ((item.request.id, perpetrator_household(item.request, item.avoid, item.zones, as_of)) for item in requests),
        as_of)
    perpetrator_pool = solver.UnitPool(free_perpetrator_units(session)[1])
    first = solver.solve(solver.Instance(tuple(requests_in), perpetrator_pool.units, as_of=as_of), settings)
    request_proposals, request_unplaced = _proposals(first, requests_in, perpetrator_pool, "request_id", as_of)

    # The victims, kept from the units of live requests and of the requests just proposed a unit.
    pool = free_unit_pool(session)
    perpetrator_units = avoid_places_for_victims(session, list(households))
    units = {u.id: u for u in perpetrator_pool.units}
    for item in requests:
        uid = first.assignments.get(perpetrator_key(item.request.id))
        if uid is not None:
            place = {"label": PERPETRATOR_UNIT, "lat": units[uid].lat, "lon": units[uid].lon, "km": item.km}
            for victim in item.victims:
                perpetrator_units.setdefault(victim, []).append(place)
    victims_in, skipped = _engine_ready(
        ((h.id, household_for_engine(h, as_of, perpetrator_units.get(h.id, ()))) for h in households), as_of)
    victims_in.sort(key=lambda h: ("high", "medium", "standard").index(h.risk))
    settings = solver.Settings(time_limit=max(1.0, time_limit - first.seconds))
    second = solver.solve(solver.Instance(tuple(victims_in), pool.units, as_of=as_of), settings)
    proposals, unplaced = _proposals(second, victims_in, pool, "household_id", as_of)

    status = max(first.status, second.status, key=_STATUS_ORDER.index)
    objective = {field.name: round(getattr(first.objective, field.name) + getattr(second.objective, field.name), 2)
                 for field in dataclasses.fields(solver.Objective)}
    return BatchAnswer(len(households), len(pool), status.value, objective, first.seconds + second.seconds,
                       proposals, {**skipped, **unplaced}, request_proposals, {**skipped_requests, **request_unplaced})


# Perpetrator accommodation (issue 7; services/perpetrator.py) -----------------------------------------
# A perpetrator request is an engine household of kind "perpetrator" (rule 1: perpetrator units only),
# engine id "P<request id>". Its ``avoid`` places are the victim's places known to the perpetrator (from
# services/perpetrator.py, which opens them); the engine's words never reach the perpetrator service, only managers.

def perpetrator_key(request_id: int) -> str:
    return f"P{request_id}"


def perpetrator_household(request, avoid: Sequence[dict], zones: Sequence[dict], as_of: date) -> solver.Household:
    """The engine's view of a perpetrator request: one adult, the victim's known places to avoid, the exclusion zones."""
    from safehome.models.households import age_on

    high = request.marac or request.mappa_level.value in ("2", "3")
    return solver.Household(
        id=perpetrator_key(request.id), kind="perpetrator",
        members=(solver.Member(age=max(0, age_on(request.birth_date, as_of)), gender=request.gender.value),),
        risk="high" if high else "standard", pets=tuple(request.pets or ()), needs=tuple(request.needs or ()),
        unit_types=("perpetrator",),
        avoid=tuple(solver.Place(lat=float(p["lat"]), lon=float(p["lon"]), km=float(p["km"]), label=p.get("label"))
                    for p in avoid),
        exclude_areas=tuple([solver.Area(geometry=a.geometry, label=a.name) for a in request.excluded_areas]
                            + [solver.Area(geometry=z, label="a court exclusion zone") for z in zones]),
        languages=tuple(request.languages or ()),
        waiting_since=request.filed_at.date() if request.filed_at else None,
    )


def suggest_perpetrator(session: Session, request, avoid: Sequence[dict], zones: Sequence[dict], top: int = 10,
                        as_of: date | None = None) -> SuggestionList:
    """The best free perpetrator units for a request, and why the others are ruled out (for managers).

    Units on a site too near a site housing victims are ruled out before the engine sees them,
    and counted under their own reason.
    """
    start = time.perf_counter()
    as_of = as_of or date.today()
    free, kept = free_perpetrator_units(session)
    answer = _suggestion_list(session, request.id, solver.UnitPool(kept),
                              perpetrator_household(request, avoid, zones, as_of), top, as_of, start)
    return _with_units_near_victims(answer, len(free) - len(kept))


def check_perpetrator_unit(session: Session, request, avoid: Sequence[dict], zones: Sequence[dict], unit: Unit,
                           as_of: date | None = None) -> list[str]:
    """The engine's hard rules for this request in this unit, and the segregation rule: each breach in
    caseworker words (none: it fits)."""
    as_of = as_of or date.today()
    return [*near_victims(session, unit),
            *(message for _, message in
              hard_breaches(perpetrator_household(request, avoid, zones, as_of), engine_unit_of(unit), as_of))]


# Perpetrator units kept from victims (issue 15; services/segregation.py) -----------------------------------
# A perpetrator unit on a site within the segregation distance of a site housing victims is never suggested,
# offered or batch-matched. Managers read why; the perpetrator service never does.

SEGREGATION_RULE = "segregation"  # its words are in RULE_WORDS


def apart_from_victims(session: Session, units: Sequence[solver.Unit]) -> list[solver.Unit]:
    """``units`` but those on a site housing perpetrators that is too near a site housing victims.

    Victims' units are never on such a site (the database holds each unit to its site's kind),
    so a whole pool can be passed.
    """
    from safehome.services import segregation

    near = {f"S{breach.site_id}" for breach in segregation.breaches(session)}
    return [u for u in units if u.site not in near] if near else list(units)


def free_perpetrator_units(session: Session) -> tuple[list[solver.Unit], list[solver.Unit]]:
    """The free perpetrator units, and those of them that may be matched (not too near victims)."""
    free = [u for u in free_unit_pool(session).units if u.type == "perpetrator"]
    return free, apart_from_victims(session, free)


def _with_units_near_victims(answer: SuggestionList, near: int) -> SuggestionList:
    """A perpetrator suggestion list counting the units ruled out as too near victims among those considered."""
    if not near:
        return answer
    from safehome.services import segregation

    line = f"{near} unit{'s' if near != 1 else ''} {segregation.breach_reason()}"
    return dataclasses.replace(answer, considered=answer.considered + near, summary=(line, *answer.summary),
                               counts={SEGREGATION_RULE: near, **answer.counts})


def near_victims(session: Session, unit: Unit) -> list[str]:
    """The segregation rule for one unit, checked now: its breach in caseworker words, or nothing."""
    from safehome.services import segregation

    point = site_point(unit.site.location)
    place = segregation.Place(unit.site.kind, point["lat"], point["lon"], unit.site_id)
    if not segregation.too_close(session, [place]):
        return []
    return [f"{RULE_WORDS[SEGREGATION_RULE]}: {segregation.breach_reason()}"]
