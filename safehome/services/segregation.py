"""Perpetrator accommodation is never on or near victim accommodation.

Two rules, kept whichever way a site or unit comes into being or changes:

- **A site houses victims or perpetrators, never both** (``Site.kind``). The
  database holds it: each unit keeps its site's kind under a foreign key on
  (site_id, site_kind) and a check ties the perpetrator type to the perpetrator
  kind, so no row, however written, breaks it. ``kind_problem`` says so in words
  before the database has to.
- **Every site housing perpetrators is at least ``distance_km()`` from every live
  site housing victims** (the ``SAFEHOME_SEGREGATION_KM`` setting: default 5 km,
  refused below 1 km at start-up), on the WGS84 geodesic the engine's distance
  rule uses. ``services/inventory.py`` refuses any site or unit that would break
  it (``too_close``: creating, moving or retyping a site; creating or retyping a
  unit; the CSV import), on either side.

A breach that exists anyway (legacy data, a row written below the service, a
distance raised since) is listed by ``breaches``: the managers' and
administrators' dashboards show it until it is resolved, and the perpetrator
matching (``services/matching.py``) never suggests, offers or batch-matches a
unit of a breaching site. The reason is for managers only: the perpetrator
service never sees a reason, a count or a distance.

Site points are opened by ``matching.site_point`` (the unit pool's opener, once per
sealed value), kept per process for the sites' version (``live_sites``), and
compared by ``matching.pairs_within`` (the engine's exact distance rule), so a
site created among 21,000 others costs a few index lookups and some arithmetic.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import LargeBinary, func, select, type_coerce
from sqlalchemy.orm import Session

from safehome.codes import SiteKind, UnitStatus, UnitType
from safehome.config import SEGREGATION_KM_DEFAULT, segregation_km
from safehome.models import Provider, Site, Unit

_km = SEGREGATION_KM_DEFAULT

OTHER_KIND = {SiteKind.VICTIM: SiteKind.PERPETRATOR, SiteKind.PERPETRATOR: SiteKind.VICTIM}


def install_km(km) -> None:
    """Set the distance for this process (``create_app``, from the ``SEGREGATION_KM`` setting).

    ConfigError below 1 km or not a number.
    """
    global _km
    _km = segregation_km(km)


def distance_km() -> float:
    """How far every site housing perpetrators must be from every live site housing victims."""
    return _km


# The rules in words ---------------------------------------------------------------------------

def kind_problem(unit_type: UnitType, site_kind: SiteKind) -> str | None:
    """Why a unit of this type cannot go on a site of this kind, or None when it can."""
    if SiteKind.of(unit_type) == site_kind:
        return None
    if unit_type == UnitType.PERPETRATOR:
        return ("a perpetrator unit cannot go on a site housing victims: a site houses victims or perpetrators, "
                "never both (put it on a perpetrator accommodation site)")
    return (f"a {unit_type.label.lower()} unit cannot go on a site housing perpetrators: a site houses victims or "
            "perpetrators, never both")


def too_close_message(kind: SiteKind) -> str:
    """What is wrong with a site of this kind that is too near a site of the other kind."""
    km = f"{distance_km():g}"
    if kind == SiteKind.PERPETRATOR:
        return (f"is within {km} km of a site housing victims: perpetrator accommodation must be at least {km} km "
                "from every site housing victims")
    return (f"is within {km} km of a site housing perpetrators: victim accommodation must be at least {km} km "
            "from every site housing perpetrators")


def breach_reason() -> str:
    """A breaching unit's reason, in managers' words."""
    return f"within {distance_km():g} km of a site housing victims"


# Checking new places ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """Where a site of a kind would be; ``site_id``: the site being moved or retyped (never compared with itself)."""

    kind: SiteKind
    lat: float
    lon: float
    site_id: int | None = None


def point_of(site: Site) -> dict:
    """A site's point, opened (a machine use, not audited): ``{"lat", "lon", ...}``."""
    from safehome.services.matching import site_point

    return site_point(site.location)


# The live sites of a kind, kept per process ------------------------------------------------------------
# Every check reads the live sites of one kind, and at national scale there are 20,000 sites housing
# victims: reading and opening them all for each check cost 60-270 ms of CPU (most of it the garbage
# collector, woken by 20,000 rows). So their points are kept, as arrays, for the sites' version: any site
# added, moved, retyped or retired changes it (count, highest id, latest ``updated_at`` and the sites
# changed just before it, so a change committed after a later one still counts), and nothing kept is used
# after KEPT_MAX_AGE_SECONDS (a row changed by hand, below the service).

KEPT_MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True)
class _LiveSites:
    version: tuple
    read: float         # time.monotonic() when read
    ids: np.ndarray     # site ids
    points: np.ndarray  # (n, 2): lat, lon


_kept: dict[tuple[str, SiteKind], _LiveSites] = {}
_kept_lock = threading.Lock()


def forget_kept() -> None:
    """Drop the kept sites (tests that rebuild a database at the same URL with the same timestamps)."""
    with _kept_lock:
        _kept.clear()


def _version(session: Session, kind: SiteKind) -> tuple:
    """A cheap fingerprint of the live sites of one kind (index lookups on ``ix_sites_live_kind``)."""
    from safehome.services.inventory import PATCH_OVERLAP

    live = (Site.kind == kind, Site.retired_at.is_(None))
    count, top, latest = session.execute(select(func.count(), func.max(Site.id), func.max(Site.updated_at))
                                         .where(*live)).one()
    recent = session.scalar(select(func.count()).where(*live, Site.updated_at >= latest - PATCH_OVERLAP)) \
        if latest is not None else 0
    return (count, top, latest, recent)


def live_sites(session: Session, kind: SiteKind) -> tuple[np.ndarray, np.ndarray]:
    """The ids and points ((n, 2) array of lat, lon) of every live site of this kind, kept for their version."""
    from safehome.services.matching import site_point

    key = (str(session.get_bind().url), kind)
    version = _version(session, kind)
    with _kept_lock:
        kept = _kept.get(key)
    if kept is not None and kept.version == version and time.monotonic() - kept.read < KEPT_MAX_AGE_SECONDS:
        return kept.ids, kept.points
    rows = session.execute(select(Site.id, type_coerce(Site.location, LargeBinary))
                           .where(Site.kind == kind, Site.retired_at.is_(None))).all()
    ids = np.fromiter((site_id for site_id, _ in rows), dtype=np.int64, count=len(rows))
    points = np.array([(point["lat"], point["lon"]) for point in (site_point(token) for _, token in rows)],
                      dtype=float).reshape(-1, 2)
    with _kept_lock:
        _kept[key] = _LiveSites(version, time.monotonic(), ids, points)
    return ids, points


def too_close(session: Session, places: Sequence[Place]) -> set[int]:
    """The indexes of ``places`` within the distance of a site of the other kind.

    Compared with every live site of the other kind in the database (but the
    places' own sites) and with the other kind's places in ``places`` (a CSV
    import brings several new sites at once).
    """
    from safehome.services.matching import pairs_within

    own = [place.site_id for place in places if place.site_id is not None]
    found: set[int] = set()
    for kind in {place.kind for place in places}:
        mine = [i for i, place in enumerate(places) if place.kind == kind]
        ids, points = live_sites(session, OTHER_KIND[kind])
        others = np.concatenate([points[~np.isin(ids, own)],
                                 np.array([(p.lat, p.lon) for p in places if p.kind != kind], dtype=float)
                                 .reshape(-1, 2)])
        found.update(mine[i] for i, _ in pairs_within([(places[i].lat, places[i].lon) for i in mine], others,
                                                       distance_km()))
    return found


def apart_problem(session: Session, kind: SiteKind, point: dict, site_id: int | None = None) -> str | None:
    """Why a site of this kind at this point breaks the distance rule, or None (``site_id``: the site itself)."""
    if too_close(session, [Place(kind, point["lat"], point["lon"], site_id)]):
        return too_close_message(kind)
    return None


# Breaches that exist -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Breach:
    """A live site housing perpetrators, with live units, within the distance of live sites housing victims."""

    site_id: int
    site: str       # "name (provider)"
    units: int      # its live perpetrator units
    in_use: int     # of those, offered or occupied: someone is, or is about to be, living there
    near: tuple[str, ...]  # the sites housing victims it is too near, "name (provider)"


def breaches(session: Session) -> list[Breach]:
    """Every breach of the distance rule in the database, by site name: for the dashboards and the matching.

    A few statements whatever the size: the perpetrator sites with live units, the version of
    the live victim sites (their points kept, ``live_sites``), the names of those found too near.
    """
    from safehome.services.matching import pairs_within, site_point

    in_use = Unit.status.in_((UnitStatus.OFFERED, UnitStatus.OCCUPIED))
    live_units = (select(Unit.site_id, func.count(Unit.id).label("units"),
                         func.count(Unit.id).filter(in_use).label("in_use"))
                  .where(Unit.site_kind == SiteKind.PERPETRATOR, Unit.retired_at.is_(None))
                  .group_by(Unit.site_id).subquery())
    perpetrator_sites = session.execute(
        select(Site.id, Site.location, Site.name, Provider.name, live_units.c.units, live_units.c.in_use)
        .join(Site.provider).join(live_units, live_units.c.site_id == Site.id)
        .where(Site.kind == SiteKind.PERPETRATOR, Site.retired_at.is_(None))).all()
    if not perpetrator_sites:
        return []
    points = [site_point(row[1]) for row in perpetrator_sites]
    victim_ids, victim_points = live_sites(session, SiteKind.VICTIM)
    pairs = pairs_within([(p["lat"], p["lon"]) for p in points], victim_points, distance_km())
    if not pairs:
        return []
    near_ids: dict[int, list[int]] = {}
    for i, j in pairs:
        near_ids.setdefault(i, []).append(int(victim_ids[j]))
    names = {site_id: f"{name} ({provider})" for site_id, name, provider in session.execute(
        select(Site.id, Site.name, Provider.name).join(Site.provider)
        .where(Site.id.in_(sorted({v for ids in near_ids.values() for v in ids}))))}
    found = [Breach(row[0], f"{row[2]} ({row[3]})", row[4], row[5], tuple(sorted(names[v] for v in set(ids))))
             for row, ids in ((perpetrator_sites[i], ids) for i, ids in near_ids.items())]
    return sorted(found, key=lambda b: (b.site, b.site_id))
