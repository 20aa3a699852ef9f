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
sealed value) and compared by ``matching.pairs_within`` (the engine's exact
distance rule, after a band of latitude), so a site created among 21,000 others
costs one read of the other kind's live sites.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safehome.codes import SiteKind, UnitType
from safehome.config import SEGREGATION_KM_DEFAULT, segregation_km
from safehome.models import Provider, Site, Unit

_km = SEGREGATION_KM_DEFAULT

OTHER_KIND = {SiteKind.VICTIM: SiteKind.PERPETRATOR, SiteKind.PERPETRATOR: SiteKind.VICTIM}


def install_km(km) -> None:
    """Set the distance for this process (``create_app``, from the ``SEGREGATION_KM`` setting); ConfigError below 1 km."""
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


def _live_points(session: Session, kind: SiteKind, *columns):
    """(id, point, *columns) of every live site of this kind, points opened."""
    from safehome.services.matching import site_point

    rows = session.execute(select(Site.id, Site.location, *columns)
                           .where(Site.kind == kind, Site.retired_at.is_(None)))
    return [(row[0], site_point(row[1]), *row[2:]) for row in rows]


def too_close(session: Session, places: Sequence[Place]) -> set[int]:
    """The indexes of ``places`` within the distance of a site of the other kind.

    Compared with every live site of the other kind in the database (but the
    places' own sites) and with the other kind's places in ``places`` (a CSV
    import brings several new sites at once).
    """
    from safehome.services.matching import pairs_within

    own = {place.site_id for place in places if place.site_id is not None}
    found: set[int] = set()
    for kind in {place.kind for place in places}:
        mine = [i for i, place in enumerate(places) if place.kind == kind]
        others = [(point["lat"], point["lon"]) for site_id, point in _live_points(session, OTHER_KIND[kind])
                  if site_id not in own]
        others += [(place.lat, place.lon) for place in places if place.kind != kind]
        found.update(mine[i] for i, _ in pairs_within([(places[i].lat, places[i].lon) for i in mine], others,
                                                       distance_km()))
    return found


def apart_problem(session: Session, kind: SiteKind, point: dict, site_id: int | None = None) -> str | None:
    """Why a site of this kind at this point (``site_id``: the site itself, moving) breaks the distance rule, or None."""
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
    near: tuple[str, ...]  # the sites housing victims it is too near, "name (provider)"


def breaches(session: Session) -> list[Breach]:
    """Every breach of the distance rule in the database, by site name: for the dashboards and the matching.

    Three statements whatever the size: the perpetrator sites with live units, the live victim
    sites' points, and the names of the victim sites found too near.
    """
    from safehome.services.matching import pairs_within, site_point

    live_units = (select(Unit.site_id, func.count(Unit.id).label("units")).where(Unit.retired_at.is_(None))
                  .group_by(Unit.site_id).subquery())
    perpetrator_sites = session.execute(
        select(Site.id, Site.location, Site.name, Provider.name, live_units.c.units)
        .join(Site.provider).join(live_units, live_units.c.site_id == Site.id)
        .where(Site.kind == SiteKind.PERPETRATOR, Site.retired_at.is_(None))).all()
    if not perpetrator_sites:
        return []
    points = [site_point(row[1]) for row in perpetrator_sites]
    victims = _live_points(session, SiteKind.VICTIM)
    pairs = pairs_within([(p["lat"], p["lon"]) for p in points],
                         [(point["lat"], point["lon"]) for _, point in victims], distance_km())
    if not pairs:
        return []
    near_ids: dict[int, list[int]] = {}
    for i, j in pairs:
        near_ids.setdefault(i, []).append(victims[j][0])
    names = {site_id: f"{name} ({provider})" for site_id, name, provider in session.execute(
        select(Site.id, Site.name, Provider.name).join(Site.provider)
        .where(Site.id.in_(sorted({v for ids in near_ids.values() for v in ids}))))}
    found = [Breach(perpetrator_sites[i][0], f"{perpetrator_sites[i][2]} ({perpetrator_sites[i][3]})",
                    perpetrator_sites[i][4], tuple(sorted(names[v] for v in set(ids))))
             for i, ids in near_ids.items()]
    return sorted(found, key=lambda b: (b.site, b.site_id))
