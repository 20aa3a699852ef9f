"""Demo data: a synthetic world to try SafeHome on. Never real people.

``load_demo`` fills a database with invented providers, their sites and
units across Leicester, Leicestershire, Rutland and their neighbours; open
cases of every household shape the service sees; two years of closed cases
for the reports; the named areas of ``data/areas/``; and one user per role.

- Everything is drawn from one ``random.Random(seed)``: a run is repeatable.
- Each area's data is made by its own builder, run in the order of
  ``DEMO_BUILDERS``; a new area of the service adds a ``build_...(world)``
  function there and finds what it needs (ids of users, providers, units,
  cases) on the ``DemoWorld``.
- Rows go in as bulk inserts, in the caller's one transaction (the command
  commits once), so an interrupted run leaves nothing behind and a large
  scale (tens of thousands of units, hundreds of thousands of cases) is quick.
- Idempotent: if the demo users exist, nothing is done.
- Perpetrator accommodation keeps the segregation rule (``services/segregation.py``):
  its sites are in their own districts, far enough from every victims' site.

Names come from ``demo_names``; addresses are "12 Example Street" in a real
postcode district with an invented inward code; phone numbers are in Ofcom's
range kept for drama (0116 496 0xxx); emails are under ``.example``/``.test``.
"""
from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

from geopy.distance import geodesic
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from safehome import passwords
from safehome.codes import (
    EQUALITY_ANSWERS,
    PREFER_NOT_TO_SAY,
    AssessmentAnswer,
    AuditAction,
    CaseStatus,
    CloseReason,
    Gender,
    HousingOption,
    ReferralSource,
    Role,
    SiteKind,
    Tenure,
    UnitStatus,
    UnitType,
)
from safehome.errors import FieldProblem, ValidationError
from safehome.models import (
    Assessment,
    Household,
    Member,
    NamedArea,
    Provider,
    Referral,
    Site,
    Unit,
    UnitStatusChange,
    User,
    household_excluded_areas,
)
from safehome.models.households import risk_of
from safehome.services import Actor, audit, geography, segregation
from safehome.services.demo_names import BACKGROUNDS, CHILD_FEMALE, CHILD_MALE, CHILD_OTHER, SITE_NAMES, STREETS

DEMO_SEED = 2026
DEMO_DOMAIN = "demo.safehome.test"
# Documented in README.md; used only outside production, and only when SAFEHOME_DEMO_PASSWORD is unset.
DEMO_PASSWORD = "safehome-demo-only"
AREAS_FILE = geography.DATA_DIR / "areas" / "east_midlands.geojson"
MAX_SCALE = 1000
CHUNK = 2000  # rows per bulk insert: bounded memory at any scale

OPEN_CASES_PER_SCALE = 50
CLOSED_CASES_PER_SCALE = 300
HISTORY_DAYS = 730

# (email local part, display name, role, provider key)
DEMO_USERS = (
    ("worker", "Demo Housing Worker", Role.HOUSING_WORKER, None),
    ("options", "Demo Housing Options Officer", Role.HOUSING_OPTIONS, None),
    ("manager", "Demo Manager", Role.MANAGER, None),
    ("perpetrator", "Demo Perpetrator Service Worker", Role.PERPETRATOR_SERVICE, None),
    ("provider", "Demo Provider (Lantern House)", Role.PROVIDER, "lantern"),
    ("provider2", "Demo Provider (Willowbank)", Role.PROVIDER, "willowbank"),
    ("admin", "Demo Administrator", Role.ADMIN, None),
)

# key -> (name, email domain)
PROVIDERS = {
    "lantern": ("Lantern House Women's Aid", "lantern-house.example"),
    "kestrel": ("Kestrel Refuge Partnership", "kestrel-refuge.example"),
    "harbour": ("Harbour Light Men's Project", "harbour-light.example"),
    "spectrum": ("Spectrum Safe Homes", "spectrum-safe.example"),
    "oakleaf": ("Oakleaf Supported Housing", "oakleaf-housing.example"),
    "willowbank": ("Willowbank Housing Association", "willowbank-ha.example"),
    "northgate": ("Northgate Move-On Lettings", "northgate-lettings.example"),
    "freshstart": ("Fresh Start Accommodation", "fresh-start.example"),
}

ANY_GENDER = ["female", "male", "other"]
# (plan key, provider keys, unit type, units per site (min, max), sites per scale)
SITE_PLAN = (
    ("women_refuge", ("lantern", "kestrel"), UnitType.REFUGE, (4, 10), 8),
    ("men_refuge", ("harbour",), UnitType.REFUGE, (4, 6), 1),
    ("lgbt_refuge", ("spectrum",), UnitType.REFUGE, (4, 5), 1),
    ("emergency", ("kestrel", "spectrum", "freshstart"), UnitType.EMERGENCY, (3, 5), 4),
    ("supported", ("oakleaf",), UnitType.SUPPORTED, (3, 6), 4),
    ("dispersed", ("willowbank", "northgate", "lantern"), UnitType.DISPERSED, (1, 1), 25),
    ("move_on", ("northgate", "willowbank"), UnitType.MOVE_ON, (1, 1), 20),
    ("men_perpetrator", ("harbour", "freshstart"), UnitType.PERPETRATOR, (2, 3), 4),
    ("women_perpetrator", ("freshstart",), UnitType.PERPETRATOR, (1, 2), 1),
)
SITES_PER_SCALE = sum(plan[4] for plan in SITE_PLAN)

# Household shapes and how often each is drawn; REQUIRED_SHAPES open every scale's cases, so each is there.
SHAPES = {"woman_alone": 14, "woman_children": 16, "woman_teen_son": 8, "man_alone": 6, "man_children": 2,
          "older_with_carer": 3, "family_with_dog": 4, "young_person": 4, "nrpf": 4, "lgbt": 3, "wheelchair": 3}
REQUIRED_SHAPES = ("woman_teen_son", "man_alone", "older_with_carer", "family_with_dog", "young_person", "nrpf")

TENURE_WEIGHTS = {Tenure.SOCIAL_RENT_COUNCIL: 18, Tenure.SOCIAL_RENT_HA: 16, Tenure.PRIVATE_RENT: 22,
                  Tenure.OWNER_OCCUPIER: 8, Tenure.LIVING_WITH_FAMILY: 12, Tenure.TEMPORARY: 5,
                  Tenure.NO_FIXED_ABODE: 4, Tenure.REFUGE: 2, Tenure.SUPPORTED: 2, Tenure.TIED: 1,
                  Tenure.INSTITUTION: 1, Tenure.OTHER: 2, Tenure.UNKNOWN: 7}
# Tenures in which the household has already left the home the perpetrator knows.
SECRET_HOME_TENURES = frozenset({Tenure.LIVING_WITH_FAMILY, Tenure.TEMPORARY, Tenure.REFUGE, Tenure.SUPPORTED})
SOURCE_WEIGHTS = {ReferralSource.FAMILY_VICTIM_SURVIVOR: 45, ReferralSource.POLICE: 15, ReferralSource.MARAC: 8,
                  ReferralSource.HOUSING_OPTIONS: 8, ReferralSource.HEALTH: 6, ReferralSource.SOCIAL_CARE: 8,
                  ReferralSource.OTHER_AGENCY: 5, ReferralSource.SELF: 5}
CLOSE_WEIGHTS = {CloseReason.MOVED_ON: 35, CloseReason.OWN_HOME_SECURED: 20, CloseReason.NO_LONGER_NEEDED: 12,
                 CloseReason.LOST_CONTACT: 10, CloseReason.OUT_OF_AREA: 8, CloseReason.DECLINED: 8,
                 CloseReason.OTHER: 7}
STATUS_WEIGHTS = {UnitStatus.AVAILABLE: 62, UnitStatus.OCCUPIED: 24, UnitStatus.VOID: 9, UnitStatus.OUT_OF_USE: 5}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's inward code uses
STAFF_LANGUAGES = ("punjabi", "gujarati", "urdu", "hindi", "bengali", "polish", "romanian", "arabic", "somali",
                   "kurdish", "tigrinya", "portuguese", "bsl")


@dataclass
class DemoResult:
    """What a run did: ``loaded`` False with a ``reason`` when it changed nothing."""

    loaded: bool
    reason: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (email, role)


@dataclass
class DemoWorld:
    """What the builders share: the random source, the day, and the ids made so far."""

    session: Session
    actor: Actor
    rng: random.Random
    scale: int
    today: date
    now: datetime
    password_hash: str
    progress: Callable[[int], None]
    open_scale: int = 1  # copies of the open cases (the benchmark's mix differs from ``scale``)
    closed_scale: int = 1  # copies of the closed cases
    providers: dict[str, int] = field(default_factory=dict)  # provider key -> id
    users: dict[str, int] = field(default_factory=dict)  # email local part -> id
    areas: dict[str, int] = field(default_factory=dict)  # named area name -> id
    unit_ids: dict[UnitType, list[int]] = field(default_factory=dict)
    open_case_ids: list[int] = field(default_factory=list)
    closed_case_ids: list[int] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    sequence: itertools.count = field(default_factory=lambda: itertools.count(1))

    def reference(self, year: int) -> str:
        """A referring service's case reference, unique across the demo."""
        return f"FVS-{year}-{next(self.sequence):06d}"


# Entry point ------------------------------------------------------------------

def work_size(scale: int, open_scale: int | None = None, closed_scale: int | None = None) -> int:
    """Steps ``load_demo`` reports to ``progress`` at this scale (for a progress bar's length)."""
    return (scale * SITES_PER_SCALE + (open_scale or scale) * OPEN_CASES_PER_SCALE
            + (closed_scale or scale) * CLOSED_CASES_PER_SCALE)


def demo_loaded(session: Session) -> bool:
    """True if the demo users exist (the marker that demo data was loaded)."""
    return session.scalar(select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}")).limit(1)) is not None


def load_demo(session: Session, actor: Actor, *, password: str, scale: int = 1, if_empty: bool = False,
              seed: int = DEMO_SEED, today: date | None = None,
              progress: Callable[[int], None] | None = None, open_scale: int | None = None,
              closed_scale: int | None = None) -> DemoResult:
    """Load the demo world at ``scale`` (1 = about 160 units, 50 open and 300 closed cases).

    Does nothing if demo data is already there, or with ``if_empty`` if any
    user exists. Every demo user gets ``password``. Flushes; the caller
    commits once. The caller refuses to run this in production.
    """
    problems = []
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
        problems.append(FieldProblem("scale", f"must be a whole number from 1 to {MAX_SCALE}"))
    if len(password or "") < 12:
        problems.append(FieldProblem("password", "must be at least 12 characters"))
    if problems:
        raise ValidationError("The demo data was not loaded.", problems)
    if if_empty and session.scalar(select(User.id).limit(1)) is not None:
        return DemoResult(False, "the database already has users")
    if demo_loaded(session):
        return DemoResult(False, "demo data is already loaded")

    today = today or date.today()
    world = DemoWorld(session=session, actor=actor, rng=random.Random(seed), scale=scale, today=today,
                      now=datetime.combine(today, time(9, 0), timezone.utc),
                      # One hash for every demo user: they share the documented password, and
                      # argon2 costs a fraction of a second per hash.
                      password_hash=passwords.hash_password(password), progress=progress or (lambda _n: None),
                      open_scale=open_scale or scale, closed_scale=closed_scale or scale)
    for builder in DEMO_BUILDERS:
        builder(world)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "demo", None,
                 " ".join(f"{key}={value}" for key, value in sorted(world.counts.items())))
    logins = [(f"{local}@{DEMO_DOMAIN}", role.value) for local, _name, role, _provider in DEMO_USERS]
    return DemoResult(True, counts=dict(world.counts), logins=logins)


# Builders, in order -------------------------------------------------------------

def build_areas(world: DemoWorld) -> None:
    """The named areas of ``data/areas/east_midlands.geojson`` (councils, districts, wards)."""
    world.counts["named_areas"] = geography.load_named_areas(
        world.session, world.actor, AREAS_FILE.read_text(encoding="utf-8"), kind_default="council")
    world.areas = {name: area_id for name, area_id in world.session.execute(select(NamedArea.name, NamedArea.id))}


def build_inventory(world: DemoWorld) -> None:
    """Providers, their sites (refuges share a site; flats have their own) and units, with first status rows."""
    session, rng = world.session, world.rng
    for key, (name, domain) in PROVIDERS.items():
        provider = Provider(name=name, email=f"referrals@{domain}", phone=_phone(rng))
        session.add(provider)
        session.flush()
        world.providers[key] = provider.id
    site_rows, unit_specs = [], []
    site_names = Counter()
    for _copy in range(world.scale):
        for plan_key, provider_keys, unit_type, (low, high), sites in SITE_PLAN:
            for _ in range(sites):
                provider_key = rng.choice(provider_keys)
                district = _site_district(rng, unit_type, len(site_rows))
                site_rows.append(_site_row(world, provider_key, district, unit_type, site_names))
                unit_specs.append([_unit_row(world, plan_key, unit_type, i, high > 1)
                                   for i in range(rng.randint(low, high))])
    site_ids = []
    for start in range(0, len(site_rows), CHUNK):
        chunk = site_rows[start:start + CHUNK]
        site_ids += _insert_returning_ids(session, Site, chunk, ("provider_id", "name"))
        world.progress(len(chunk))
    provider_names = {world.providers[key]: name for key, (name, _domain) in PROVIDERS.items()}
    # The site's and provider's names each unit keeps for the board's order, given here rather than
    # looked up unit by unit by the column default.
    unit_rows = [{**unit, "site_id": site_id, "site_area": site["area"], "site_name": site["name"],
                  "site_kind": site["kind"], "provider_name": provider_names[site["provider_id"]]}
                 for site_id, site, units in zip(site_ids, site_rows, unit_specs) for unit in units]
    for start in range(0, len(unit_rows), CHUNK):
        chunk = unit_rows[start:start + CHUNK]
        ids = _insert_returning_ids(session, Unit, chunk, ("site_id", "name"))
        session.execute(_bulk(UnitStatusChange), [
            {"unit_id": unit_id, "from_status": None, "to_status": row["status"], "at": row["created_at"],
             "by_user_id": None, "note": "demo data"} for unit_id, row in zip(ids, chunk)])
        for unit_id, row in zip(ids, chunk):
            world.unit_ids.setdefault(row["type"], []).append(unit_id)
    world.counts["providers"] = len(PROVIDERS)
    world.counts["sites"] = len(site_rows)
    world.counts["units"] = len(unit_rows)


def build_users(world: DemoWorld) -> None:
    """One demo user per role (two provider users), all with the demo password."""
    for local, name, role, provider_key in DEMO_USERS:
        user = User(email=f"{local}@{DEMO_DOMAIN}", name=name, role=role, password_hash=world.password_hash,
                    provider_id=world.providers[provider_key] if provider_key else None)
        world.session.add(user)
        world.session.flush()
        world.users[local] = user.id
    world.counts["users"] = len(DEMO_USERS)


def build_households(world: DemoWorld) -> None:
    """Open cases of every shape, referred in the last three months, most allocated to the demo worker."""
    rng = world.rng
    cases = []
    for _copy in range(world.open_scale):
        shapes = list(REQUIRED_SHAPES) + _weighted_sample(rng, SHAPES, OPEN_CASES_PER_SCALE - len(REQUIRED_SHAPES))
        for i, shape in enumerate(shapes):
            opened = world.now - timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 8))
            cases.append(_case(world, shape, opened, exact_young_age=i < len(REQUIRED_SHAPES)))
    world.open_case_ids = _insert_cases(world, cases)
    world.counts["open_cases"] = len(cases)


def build_history(world: DemoWorld) -> None:
    """Closed cases over the last two years (for the reports), some of them repeat referrals.

    Each case is made as its chunk is inserted, so hundreds of thousands never sit in memory at once;
    the random draws are the same as making them all first.
    """
    rng = world.rng
    count = world.closed_scale * CLOSED_CASES_PER_SCALE
    openings = sorted(world.now - timedelta(days=rng.uniform(30, HISTORY_DAYS)) for _ in range(count))
    earlier: list[tuple[str, datetime, datetime]] = []  # (reference, opened, closed) of cases made so far

    def cases():
        for opened in openings:
            shape = _weighted_sample(rng, SHAPES, 1)[0]
            closed = min(opened + timedelta(days=rng.randint(7, 300), hours=rng.randint(0, 8)), world.now)
            repeat_of = None
            if earlier and rng.random() < 0.1:
                candidate = rng.choice(earlier)
                if candidate[2] < opened:
                    repeat_of = candidate
            case = _case(world, shape, opened, closed=closed, close_reason=_weighted(rng, CLOSE_WEIGHTS),
                         repeat_of=repeat_of)
            earlier.append((case.household["reference"], opened, closed))
            world.counts["repeat_referrals"] += case.referral["is_repeat"]
            yield case

    world.counts["closed_cases"] = count
    world.counts["repeat_referrals"] = 0
    world.closed_case_ids = _insert_cases(world, cases())


DEMO_BUILDERS: list[Callable[[DemoWorld], None]] = [build_areas, build_inventory, build_users, build_households,
                                                    build_history]


# Inventory helpers ------------------------------------------------------------------

@lru_cache(maxsize=1)
def _site_district_weights() -> dict[str, int]:
    """Where sites are: mostly Leicester and Leicestershire, some in Rutland and the neighbours."""
    weights = {}
    for district, row in geography.district_table().items():
        if row.local_authority == "Leicester":
            weights[district] = 8
        elif row.county in ("Leicestershire", "Rutland"):
            weights[district] = 3
        else:
            weights[district] = 1
    return weights


# Perpetrator accommodation is kept from victims' (services/segregation.py): perpetrator sites go only in these
# districts (each with no other district's centre near it), and victims' sites only in districts whose centre is far
# enough from all of them that two sites, each up to SITE_SPREAD_KM from their centres, keep the distance.
PERPETRATOR_DISTRICTS = ("LE15", "LE16", "LE17", "NG13")
SITE_SPREAD_KM = 1.5


@lru_cache(maxsize=4)
def _victim_site_districts(km: float) -> dict[str, str]:
    """Each district -> where a victims' site drawn there goes: itself, or (too near a perpetrator district, for a
    segregation distance of ``km``) the nearest district that is not."""
    table = geography.district_table()

    def km_between(a: str, b: str) -> float:
        return geodesic((table[a].lat, table[a].lon), (table[b].lat, table[b].lon)).km

    apart = km + 2 * SITE_SPREAD_KM + 0.5
    allowed = [d for d in table if all(km_between(d, p) >= apart for p in PERPETRATOR_DISTRICTS)]
    if not allowed:
        raise ValidationError("The demo world cannot keep its perpetrator sites this far from victims' sites.",
                              [FieldProblem("SAFEHOME_SEGREGATION_KM", f"{km:g} km is too far for the demo's region")])
    return {d: d if d in allowed else min(allowed, key=lambda a: km_between(d, a)) for d in table}


def _site_district(rng: random.Random, unit_type: UnitType, index: int) -> str:
    """The district of the ``index``-th site. One draw for every site, as before the segregation rule, so the rest
    of the world (units, cases) is drawn the same."""
    drawn = _weighted(rng, _site_district_weights())
    if unit_type == UnitType.PERPETRATOR:
        return PERPETRATOR_DISTRICTS[index % len(PERPETRATOR_DISTRICTS)]
    return _victim_site_districts(segregation.distance_km())[drawn]


def _site_row(world: DemoWorld, provider_key: str, district: str, unit_type: UnitType, names: Counter) -> dict:
    rng = world.rng
    row = geography.district_table()[district]
    lat, lon = _near(rng, row.lat, row.lon, SITE_SPREAD_KM)
    word = {UnitType.REFUGE: "House", UnitType.EMERGENCY: "Lodge", UnitType.SUPPORTED: "Court",
            UnitType.PERPETRATOR: "Place"}.get(unit_type, "Flat")
    base = f"{rng.choice(SITE_NAMES)} {word}"
    names[(provider_key, base)] += 1
    number = names[(provider_key, base)]
    address = _address(rng, district, row.local_authority)
    created = world.now - timedelta(days=rng.randint(200, 900))
    return {"provider_id": world.providers[provider_key], "name": base if number == 1 else f"{base} {number}",
            "area": row.local_authority, "district": district, "kind": SiteKind.of(unit_type), "address": address,
            "location": {"lat": lat, "lon": lon, "source": "district_centroid"},
            "retired_at": None, "created_at": created, "updated_at": created}


def _unit_row(world: DemoWorld, plan_key: str, unit_type: UnitType, index: int, shared_site: bool) -> dict:
    """One unit's attributes, following what that kind of accommodation usually takes."""
    rng = world.rng
    lead_genders, max_male_age = ANY_GENDER, None
    bedspaces, bedrooms, cost = rng.randint(1, 4), 1, rng.randint(300, 520)
    if plan_key == "women_refuge":
        lead_genders, max_male_age = ["female"], rng.choice((12, 14, 16))
    elif plan_key == "men_refuge":
        lead_genders, bedspaces = ["male"], rng.randint(1, 3)
    elif unit_type == UnitType.EMERGENCY:
        lead_genders = ["female"] if rng.random() < 0.5 else ANY_GENDER
        bedspaces, cost = rng.randint(1, 3), rng.randint(250, 400)
    elif unit_type == UnitType.SUPPORTED:
        lead_genders, max_male_age = ["female"], rng.choice((16, None))
        bedspaces, cost = rng.randint(1, 3), rng.randint(280, 450)
    elif unit_type in (UnitType.DISPERSED, UnitType.MOVE_ON):
        bedrooms = rng.choice((1, 1, 2, 2, 3))
        bedspaces = bedrooms + rng.randint(0, 2)
        cost = rng.randint(180, 300) if unit_type == UnitType.DISPERSED else rng.randint(110, 220)
    elif plan_key == "men_perpetrator":
        lead_genders, bedspaces, cost = ["male"], 1, rng.randint(200, 300)
    elif plan_key == "women_perpetrator":
        lead_genders, bedspaces, cost = ["female"], 1, rng.randint(200, 300)
    pets = sorted({pet for pet, chance in (("cat", 0.25), ("dog", 0.15), ("small_animal", 0.1)) if rng.random() < chance})
    if unit_type == UnitType.PERPETRATOR:
        pets = []
    features = sorted({feature for feature, chance in (("step_free", 0.3), ("wheelchair", 0.12), ("nrpf", 0.15))
                       if rng.random() < chance})
    if "wheelchair" in features:
        features = sorted(set(features) | {"step_free"})
    languages = sorted(set(rng.sample(STAFF_LANGUAGES, rng.choice((0, 1, 1, 2)))) | {"english"})
    status = _weighted(rng, STATUS_WEIGHTS)
    frees_on = {UnitStatus.OCCUPIED: lambda: world.today + timedelta(days=rng.randint(7, 150)),
                UnitStatus.VOID: lambda: world.today + timedelta(days=rng.randint(2, 21)),
                UnitStatus.OUT_OF_USE: lambda: world.today + timedelta(days=rng.randint(14, 90))}.get(status)
    prefix = "Room" if unit_type == UnitType.REFUGE else "Flat"
    created = world.now - timedelta(days=rng.randint(100, 700))
    return {"name": f"{prefix} {index + 1}" if shared_site else prefix, "type": unit_type,
            "bedspaces": bedspaces, "bedrooms": bedrooms, "lead_genders": list(lead_genders),
            "max_male_age": max_male_age, "pets": pets, "features": features, "languages": languages,
            "weekly_cost": Decimal(cost), "status": status, "frees_on": frees_on() if frees_on else None,
            "retired_at": None, "created_at": created, "updated_at": created}


# Household helpers ------------------------------------------------------------------

@dataclass
class _Case:
    household: dict
    members: list[dict]
    referral: dict
    assessment: dict | None
    excluded: list[int]


@lru_cache(maxsize=1)
def _home_district_weights() -> dict[str, int]:
    """Where households are referred from: the service's area, a few from next door."""
    weights = {}
    for district, row in geography.district_table().items():
        if row.local_authority == "Leicester":
            weights[district] = 12
        elif row.county in ("Leicestershire", "Rutland"):
            weights[district] = 3
        elif row.local_authority in ("Nottingham", "Derby", "Coventry", "Nuneaton and Bedworth", "Rugby"):
            weights[district] = 1
    return weights


def _case(world: DemoWorld, shape: str, opened: datetime, *, closed: datetime | None = None,
          close_reason: CloseReason | None = None, repeat_of: tuple | None = None,
          exact_young_age: bool = False) -> _Case:
    """One household of a shape, with its referral and (usually) its assessment."""
    rng = world.rng
    background = _background(rng, shape)
    members = _members(rng, shape, background, opened.date(), exact_young_age)
    has_children = any(m["age"] < 18 for m in members[1:])
    pets = ["dog"] if shape == "family_with_dog" else sorted(
        {pet for pet, chance in (("cat", 0.1), ("dog", 0.05), ("small_animal", 0.03)) if rng.random() < chance})
    needs = {"older_with_carer": ["step_free"], "wheelchair": ["step_free", "wheelchair"], "nrpf": ["nrpf"]}.get(
        shape, ["step_free"] if rng.random() < 0.03 else [])
    languages = list(background.languages) if background.languages and (shape == "nrpf" or rng.random() < 0.6) else []
    dash = max(0, min(24, round(rng.gauss(11, 5))))
    marac = (dash >= 14 and rng.random() < 0.6) or rng.random() < 0.05
    tenure = _weighted(rng, TENURE_WEIGHTS)
    district = _weighted(rng, _home_district_weights())
    row = geography.district_table()[district]
    home = None if tenure == Tenure.NO_FIXED_ABODE else dict(zip(("lat", "lon"), _near(rng, row.lat, row.lon, 2.5)))
    centre = home or {"lat": row.lat, "lon": row.lon}
    reference = repeat_of[0] if repeat_of else world.reference(opened.year)
    worker = world.users["worker"] if closed is not None or rng.random() < 0.8 else None
    household = {
        "reference": reference, "status": CaseStatus.CLOSED if closed else CaseStatus.OPEN,
        "opened_at": opened, "closed_at": closed, "close_reason": close_reason, "worker_id": worker,
        "dash_score": dash, "marac": marac, "risk": risk_of(dash, marac),
        "pets": pets, "needs": needs, "languages": languages,
        "interpreter": bool(languages) and (shape == "nrpf" or rng.random() < 0.5),
        "unit_types": _unit_types(rng, shape), "tenure_at_entry": tenure, "consent_to_share": rng.random() < 0.9,
        "equality": _equality(rng, shape, background, members[0]),
        "waiting_since": None if closed else opened.date(),
        "address": None if home is None else _address(rng, district, row.local_authority),
        "home_location": home,
        # Staying with family or in temporary accommodation, the household has already left the home the
        # perpetrator knows: where it is now is secret from the perpetrator.
        "home_known_to_perpetrator": tenure not in SECRET_HOME_TENURES,
        "avoid": _avoid(rng, centre, shape),
        "prefer": _prefer(rng, centre, shape, has_children),
        "created_at": opened, "updated_at": closed or opened,
    }
    excluded = []
    if rng.random() < 0.1 and row.local_authority in world.areas:
        excluded.append(world.areas[row.local_authority])
    source = _weighted(rng, SOURCE_WEIGHTS)
    referral = {"reference": reference, "source": source, "received_at": opened - timedelta(hours=rng.randint(0, 6)),
                "referrer_agency": source.label, "referrer_contact": f"Duty desk, {_phone(rng)}",
                "is_repeat": bool(repeat_of) and opened - repeat_of[1] <= timedelta(days=365),
                "created_by_id": world.users["worker"], "created_at": opened}
    assessment = None
    if closed is not None or rng.random() < 0.85:
        assessed = min(opened + timedelta(days=rng.randint(0, 10), hours=rng.randint(1, 6)), closed or world.now)
        assessment = {"safe_to_stay": _answer(rng, 0.25), "perpetrator_lives_there": _answer(rng, 0.4),
                      "sanctuary_suitable": _answer(rng, 0.3), "perpetrator_would_leave": _answer(rng, 0.15),
                      "options_considered": rng.sample(HousingOption.codes(), rng.randint(1, 4)),
                      "notes": None, "assessed_at": assessed, "assessed_by_id": world.users["worker"]}
    return _Case(household, members, referral, assessment, excluded)


@lru_cache(maxsize=1)
def _background_table() -> tuple[list, list]:
    """The backgrounds and their running total of weights (see ``_table``)."""
    return list(BACKGROUNDS), list(itertools.accumulate(b.weight for b in BACKGROUNDS))


def _background(rng: random.Random, shape: str):
    if shape == "nrpf":
        return rng.choice([b for b in BACKGROUNDS if b.ethnicity in ("refugee", "arab", "black") and b.languages])
    population, totals = _background_table()
    return rng.choices(population, cum_weights=totals)[0]


def _members(rng: random.Random, shape: str, background, day: date, exact_young_age: bool) -> list[dict]:
    """The household's people, lead first: ``{"name", "gender", "age", "birth_date"}``."""
    family = rng.choice(background.family)

    def adult(gender: str, low: int, high: int) -> tuple[str, int]:
        return gender, rng.randint(low, high)

    def children(n: int, low: int = 0, high: int = 12) -> list[tuple[str, int]]:
        return [(rng.choice(("female", "male")), rng.randint(low, high)) for _ in range(n)]

    people: list[tuple[str, int]]
    if shape == "woman_alone":
        people = [adult("female", 19, 58)]
    elif shape in ("woman_children", "nrpf"):
        people = [adult("female", 21, 44)] + children(rng.randint(1, 3))
    elif shape == "woman_teen_son":
        people = [adult("female", 32, 48), ("male", rng.randint(13, 17))] + children(rng.randint(0, 2), 2, 11)
    elif shape == "man_alone":
        people = [adult("male", 21, 60)]
    elif shape == "man_children":
        people = [adult("male", 25, 50)] + children(rng.randint(1, 2), 2, 15)
    elif shape == "older_with_carer":
        people = [adult(rng.choice(("female", "female", "male")), 62, 84), adult(rng.choice(("female", "male")), 30, 60)]
    elif shape == "family_with_dog":
        people = [adult("female", 24, 45)] + children(rng.randint(2, 3))
    elif shape == "young_person":
        people = [("female" if rng.random() < 0.75 else "male", 17 if exact_young_age else rng.randint(16, 24))]
    elif shape == "lgbt":
        people = [adult(rng.choice(("other", "male", "female")), 18, 50)]
    else:  # wheelchair
        people = [adult(rng.choice(("female", "female", "male")), 25, 65)] + children(rng.randint(0, 2))
    members = []
    for position, (gender, age) in enumerate(people):
        if position == 0 or age >= 18:
            first = rng.choice(background.female if gender == "female" else background.male
                               if gender == "male" else background.female + background.male)
        else:
            first = rng.choice(CHILD_FEMALE if gender == "female" else CHILD_MALE if gender == "male" else CHILD_OTHER)
        surname = family if position == 0 or rng.random() < 0.8 else rng.choice(background.family)
        members.append({"position": position, "name": f"{first} {surname}", "gender": Gender(gender), "age": age,
                        "birth_date": _birth_date(rng, age, day)})
    return members


def _birth_date(rng: random.Random, age: int, day: date) -> date:
    """A birth date that makes someone exactly ``age`` on ``day``."""
    try:
        anniversary = day.replace(year=day.year - age)
    except ValueError:  # 29 February in a year that has none
        anniversary = day.replace(year=day.year - age, day=28)
    return anniversary - timedelta(days=rng.randint(0, 360))


def _unit_types(rng: random.Random, shape: str) -> list[str] | None:
    if shape == "young_person" and rng.random() < 0.5:
        return [UnitType.SUPPORTED.value, UnitType.REFUGE.value]
    if rng.random() < 0.1:
        return [UnitType.REFUGE.value, UnitType.EMERGENCY.value]
    return None


def _equality(rng: random.Random, shape: str, background, lead: dict) -> dict:
    """Equality-monitoring answers: all optional, some "prefer not to say"."""
    likely = {
        "sex": "female" if lead["gender"] == Gender.FEMALE else "male" if lead["gender"] == Gender.MALE else None,
        "ethnicity": background.ethnicity,
        "religion": rng.choice(background.religions),
        "sexual_orientation": rng.choice(("gay_lesbian", "bisexual", "other")) if shape == "lgbt"
        else "heterosexual" if rng.random() < 0.92 else rng.choice(("gay_lesbian", "bisexual")),
        "gender_reassignment": "yes" if shape == "lgbt" and lead["gender"] == Gender.OTHER else "no",
        "disability": "yes" if shape in ("wheelchair", "older_with_carer") or rng.random() < 0.15 else "no",
        "marriage": rng.choice(("single", "single", "married", "separated", "divorced")),
        "pregnancy": "pregnant" if lead["gender"] == Gender.FEMALE and lead["age"] < 45 and rng.random() < 0.06 else "no",
    }
    answers = {}
    for key in EQUALITY_ANSWERS:
        draw = rng.random()
        if draw < 0.08:
            answers[key] = PREFER_NOT_TO_SAY
        elif draw >= 0.15 and likely.get(key):
            answers[key] = likely[key]
    return answers


def _avoid(rng: random.Random, home: dict, shape: str) -> list[dict]:
    """Places to keep away from: the perpetrator's home always, often their work and family."""
    places = [("Perpetrator's home", (0.5, 6), rng.choice((5, 8, 10, 15, 20, 25)))]
    if rng.random() < 0.4:
        places.append(("Perpetrator's work", (2, 15), 5))
    if rng.random() < 0.25:
        places.append(("Perpetrator's family", (3, 20), rng.choice((5, 8, 10))))
    avoid = []
    for label, (near, far), km in places:
        lat, lon = _offset(home["lat"], home["lon"], rng.uniform(near, far), rng.uniform(0, 360))
        avoid.append({"label": label, "lat": lat, "lon": lon, "km": km})
    return avoid


def _prefer(rng: random.Random, home: dict, shape: str, has_children: bool) -> list[dict]:
    """Places to stay near (soft): the children's school and work (known to the perpetrator), the support
    network and the GP (secret from them)."""
    places = []
    if has_children and rng.random() < 0.6:
        places.append(("Children's school", (0.3, 2), 10, 3, True))
    if shape != "older_with_carer" and rng.random() < 0.3:
        places.append(("Work", (1, 12), 8, 2, True))
    if rng.random() < 0.35:
        places.append(("Support network", (5, 40), 10, 2, False))
    if shape == "older_with_carer":
        places.append(("GP surgery", (0.3, 3), 5, 2, False))
    prefer = []
    for label, (near, far), km, weight, known in places:
        lat, lon = _offset(home["lat"], home["lon"], rng.uniform(near, far), rng.uniform(0, 360))
        prefer.append({"label": label, "lat": lat, "lon": lon, "km": km, "weight": weight,
                       "known_to_perpetrator": known})
    return prefer


def _answer(rng: random.Random, yes: float) -> AssessmentAnswer:
    draw = rng.random()
    return AssessmentAnswer.YES if draw < yes else AssessmentAnswer.UNKNOWN if draw > 0.92 else AssessmentAnswer.NO


def _insert_cases(world: DemoWorld, cases: Iterable[_Case]) -> list[int]:
    """Bulk-insert cases with their members, referrals, assessments and excluded areas; their ids, in order.

    ``cases`` is read a chunk at a time (it may be a generator).
    """
    session = world.session
    ids = []
    cases = iter(cases)
    while chunk := list(itertools.islice(cases, CHUNK)):
        # A reference is reused only by a later case (a repeat referral), so it and the opening time are unique.
        chunk_ids = _insert_returning_ids(session, Household, [case.household for case in chunk],
                                          ("reference", "opened_at"))
        members = [{"household_id": hid, "position": m["position"], "name": m["name"],
                    "birth_date": m["birth_date"], "gender": m["gender"]}
                   for hid, case in zip(chunk_ids, chunk) for m in case.members]
        session.execute(_bulk(Member), members)
        session.execute(_bulk(Referral), [{**case.referral, "household_id": hid} for hid, case in zip(chunk_ids, chunk)])
        assessments = [{**case.assessment, "household_id": hid} for hid, case in zip(chunk_ids, chunk) if case.assessment]
        if assessments:
            session.execute(_bulk(Assessment), assessments)
        exclusions = [{"household_id": hid, "area_id": area} for hid, case in zip(chunk_ids, chunk) for area in case.excluded]
        if exclusions:
            session.execute(insert(household_excluded_areas), exclusions)
        world.counts["members"] += len(members)
        world.progress(len(chunk))
        ids += chunk_ids
    return ids


# Small helpers ------------------------------------------------------------------------

def _bulk(model):
    """A Core INSERT of the model's table for many rows.

    Not the ORM's bulk insert: that splits rows into a statement for each
    pattern of None values, which with varied demo rows means hundreds of
    tiny statements.
    """
    return insert(model.__table__)


def _insert_returning_ids(session: Session, model, rows: list[dict], key: tuple[str, ...]) -> list[int]:
    """Bulk insert; the new ids in the order of ``rows``.

    Ids are matched back to rows by ``key``, columns unique among the rows:
    RETURNING in parameter order falls back to one statement a row on SQLite.
    """
    if not rows:
        return []
    table = model.__table__
    result = session.execute(_bulk(model).returning(table.c.id, *(table.c[column] for column in key)), rows)
    ids = {tuple(row[1:]): row[0] for row in result}
    if len(ids) != len(rows):
        raise RuntimeError(f"demo rows of {model.__tablename__} are not unique by {key}")
    return [ids[tuple(row[column] for column in key)] for row in rows]


_TABLES: dict[int, tuple[dict, list, list]] = {}  # id of a weights dict -> (it, its keys, running totals)


def _table(weights: dict) -> tuple[list, list]:
    """A weights dict's choices and running totals, made once: ``choices(weights=...)`` rebuilds both on
    every draw (the draws are the same either way), several times for each of 200,000 cases."""
    found = _TABLES.get(id(weights))
    if found is None or found[0] is not weights:
        found = _TABLES[id(weights)] = (weights, list(weights), list(itertools.accumulate(weights.values())))
    return found[1], found[2]


def _weighted(rng: random.Random, weights: dict):
    return _weighted_sample(rng, weights, 1)[0]


def _weighted_sample(rng: random.Random, weights: dict, k: int) -> list:
    population, totals = _table(weights)
    return rng.choices(population, cum_weights=totals, k=k)


def _offset(lat: float, lon: float, km: float, bearing_degrees: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) on a bearing: flat-earth, good to metres at these distances."""
    bearing = math.radians(bearing_degrees)
    dlat = km * math.cos(bearing) / 111.2
    dlon = km * math.sin(bearing) / (111.2 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _near(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point uniformly within ``km`` of (lat, lon): the jitter that spreads sites round a district."""
    return _offset(lat, lon, km * math.sqrt(rng.random()), rng.uniform(0, 360))


def _address(rng: random.Random, district: str, town: str) -> dict:
    inward = f"{rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    return {"line1": f"{rng.randint(1, 240)} {rng.choice(STREETS)}", "line2": None, "town": town,
            "postcode": f"{district} {inward}"}


def _phone(rng: random.Random) -> str:
    """A number in Ofcom's drama range for Leicester: never a real line."""
    return f"0116 496 0{rng.randint(0, 999):03d}"



# Placements (added by the placements area) -------------------------------------------------------

PLACEMENTS_PER_SCALE = 6  # the rest of the open cases wait, for the batch match to place
# Each offer or match changes a unit, so the next suggestion rebuilds the engine's pool of every free unit:
# at a large scale (tens of thousands of units) thousands of them would take hours. Placements and
# perpetrator requests made through the engine stop at this many.
ENGINE_MADE_MAX = 30


def build_placements(world: DemoWorld) -> None:
    """A few offered, accepted and moved-in placements, made through the placement service (its rules, events
    and unit statuses), each for the best suggested unit of an open case."""
    from safehome.codes import PlacementSource
    from safehome.errors import DomainError
    from safehome.services import placements

    worker = Actor(world.session.get(User, world.users["worker"]), "demo")
    stages = ("offered", "accepted", "moved_in")
    made = 0
    for household_id in world.open_case_ids:
        if made >= min(PLACEMENTS_PER_SCALE * world.scale, ENGINE_MADE_MAX):
            break
        try:
            best = placements.suggest_for(world.session, worker, household_id, top=1, now=world.now).suggestions
            if not best.items:
                continue
            placement = placements.make_offer(world.session, worker, household_id, best.items[0].unit.id,
                                              source=PlacementSource.SUGGESTION, now=world.now)
        except DomainError:
            continue  # a case whose details the engine refuses simply waits
        stage = stages[made % len(stages)]
        if stage != "offered":
            placements.accept(world.session, worker, placement.id, now=world.now)
        if stage == "moved_in":
            placements.move_in(world.session, worker, placement.id, world.today, now=world.now)
        world.counts[f"placements_{stage}"] += 1
        made += 1


DEMO_BUILDERS.append(build_placements)


# The rest of the journey (added by the sanctuary, Housing Options and move-on area) -------------------

JOURNEY_CASES_PER_SCALE = 3  # cases of each kind: sanctuary installs, Housing Options requests, outcome sets


def build_journey(world: DemoWorld) -> None:
    """Sanctuary installs at several steps (one with a missed review), Housing Options requests waiting,
    confirmed and refused, move-on plans for the households moved in, and outcome measures on closed
    cases: all made through the services, so their rules, dates and audit hold."""
    from safehome.models import Placement
    from safehome.services import housing_options, move_on, outcomes, sanctuary
    from safehome.services.timeliness import add_months, uk_day

    session, today, n = world.session, world.today, JOURNEY_CASES_PER_SCALE * world.scale
    worker = Actor(session.get(User, world.users["worker"]), "demo")
    officer = Actor(session.get(User, world.users["options"]), "demo")
    placed = set(session.scalars(select(Placement.household_id)))
    free = [h for h in world.open_case_ids if h not in placed]
    # One query, not a load of every open case: at national scale there are tens of thousands.
    dashed = set(session.scalars(select(Household.id).where(Household.status == CaseStatus.OPEN,
                                                            Household.dash_score.is_not(None))))
    with_dash = [h for h in free if h in dashed]

    # Sanctuary: installed 7 months ago and fire-checked (both reviews now missed), and one only surveyed.
    for i, household_id in enumerate(with_dash[:n]):
        start = add_months(today, -7)
        install = sanctuary.request_install(session, worker, household_id, start, today=today)
        steps = [("risk_checked", {}), ("consent", {"consent_from": "owner"}), ("surveyed", {"surveyed_by": "police"})]
        if i % 3 != 2:
            steps += [("works_ordered", {}), ("installed", {}), ("fire_safety_checked", {"fire_checked_by": "Demo station"})]
        for step, data in steps:
            if step == "works_ordered":
                sanctuary.add_work(session, worker, install.id, kind="locks", contractor="Demo Locks Ltd",
                                   ordered_on=start, cost=Decimal("185.00"), today=today)
            sanctuary.advance(session, worker, install.id, step, {"on": start, **data}, today=today)
        world.counts["sanctuary_installs"] += 1

    # Housing Options: sent a fortnight ago; one waits, one confirmed with the duty owed, one refused.
    for i, household_id in enumerate(free[len(with_dash[:n]):][:n]):
        request = housing_options.send_request(session, worker, household_id,
                                               ["homelessness_application", "housing_transfer", "private_rental"][i % 3])
        request.requested_at = world.now - timedelta(days=14)
        if i % 3 == 1:
            housing_options.answer(session, officer, request.id, "confirmed", today - timedelta(days=7), None,
                                   today=today)
            housing_options.record_decision(session, officer, request.id, "transfer_approved",
                                            today - timedelta(days=7), today=today)
        elif i % 3 == 2:
            housing_options.answer(session, officer, request.id, "refused", today - timedelta(days=5),
                                   "Affordability check failed", today=today)
        world.counts["housing_options_requests"] += 1

    # Move-on: a plan, with what blocks it, for every household moved into temporary accommodation.
    for placement in move_on.without_plan(session):
        plan = move_on.create_plan(session, worker, placement.household_id, add_months(placement.moved_in_on, 6),
                                   today=today)
        move_on.add_blocker(session, worker, plan.id, "no_social_offer", placement.moved_in_on, today=today)
        world.counts["move_on_plans"] += 1

    # Outcomes: intake and exit measures on some closed cases, for the outcome rates.
    for household_id in world.closed_case_ids[:n]:
        opened = uk_day(session.get(Household, household_id).opened_at)
        outcomes.record_outcomes(session, worker, household_id, "intake", opened, {"feels_safe": 2, "confidence": 2},
                                 today=today)
        outcomes.record_outcomes(session, worker, household_id, "exit", min(opened + timedelta(days=90), today),
                                 {"feels_safe": 4, "confidence": 3, "satisfaction": 5,
                                  "maintained_independent": True}, today=today)
        world.counts["outcome_sets"] += 1


DEMO_BUILDERS.append(build_journey)


# Perpetrator accommodation (added by the perpetrator-requests area) -----------------------------------

PERPETRATOR_REQUESTS_PER_SCALE = 3


def build_perpetrator_requests(world: DemoWorld) -> None:
    """The demo perpetrator service's requests, linked to open demo cases: one waiting for a match, one matched
    to the best perpetrator unit (kept from the victim), one whose client moved in; all through the service."""
    from safehome.errors import DomainError
    from safehome.services import perpetrator

    session = world.session
    perp = Actor(session.get(User, world.users["perpetrator"]), "demo")
    manager = Actor(session.get(User, world.users["manager"]), "demo")
    stages = ("filed", "matched", "moved_in")
    for i, household_id in enumerate(world.open_case_ids[:min(PERPETRATOR_REQUESTS_PER_SCALE * world.scale,
                                                              ENGINE_MADE_MAX)]):
        victim = session.get(Household, household_id)
        request = perpetrator.file_request(session, perp, {
            "victim_reference": victim.reference, "birth_date": world.today.replace(year=world.today.year - 35 - i,
                                                                                     day=1),
            "gender": "male", "marac": i % 2 == 0, "under_probation": True, "mappa_level": ("none", "1", "2")[i % 3],
            "court_conditions": "Non-molestation order: no contact with the victim", "needed_from": world.today},
            limits=perpetrator.NO_LIMITS, now=world.now)  # the demo world's history, not one worker's day
        stage = stages[i % len(stages)]
        world.counts["perpetrator_requests"] += 1
        if stage == "filed":
            continue
        try:
            best = perpetrator.suggest_units(session, manager, request.id, top=1, now=world.now).suggestions.items
            if not best:
                continue
            perpetrator.match(session, manager, request.id, best[0].unit.id, now=world.now)
        except DomainError:
            continue  # no perpetrator unit fits: the request waits in the managers' queue
        if stage == "moved_in":
            perpetrator.accept(session, perp, request.id, now=world.now)
            perpetrator.move_in(session, manager, request.id, world.today, now=world.now)
        world.counts[f"perpetrator_requests_{stage}"] += 1


DEMO_BUILDERS.append(build_perpetrator_requests)
