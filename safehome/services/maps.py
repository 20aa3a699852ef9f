"""The vacancy map: an SVG drawn on the server, with no call to any other server.

Points are projected from WGS84 to the British National Grid (EPSG:27700)
with pyproj, which works offline, so distances on the map are true in metres
and the East Midlands is not stretched. Named-area outlines come from the
``NamedArea`` rows; each site with units on the page of the board asked for
is one dot, sized by its number of those units and coloured (by CSS class)
by the best status among them. One page, not the whole board: at national
scale the board holds ~31,000 free units, and opening every site's sealed
point for each drawing took seconds. Every shape carries a ``<title>`` a
screen reader reads out; the board's table says the same in words.

No map tiles are drawn. ``MAP_TILE_URL`` (which opens the CSP to a tile
server) is left for a later page; this one never fetches anything.

The map reveals where refuges are, so it is for roles with ADDRESS_VIEW
only, and every drawing is audited once (record type "map").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from markupsafe import Markup, escape
from pyproj import Transformer
from sqlalchemy import select
from sqlalchemy.orm import Session

from safehome import crypto
from safehome.codes import AuditAction, UnitStatus
from safehome.errors import NotFound
from safehome.models import NamedArea
from safehome.permissions import Permission, can
from safehome.services import Actor, audit, inventory

WIDTH = 800
MARGIN = 20
# Best first: a site shows as its most useful unit's status.
STATUS_RANK = [UnitStatus.AVAILABLE, UnitStatus.VOID, UnitStatus.OUT_OF_USE, UnitStatus.OCCUPIED, UnitStatus.OFFERED]


@lru_cache(maxsize=1)
def _to_grid() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def to_grid(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 degrees to British National Grid metres (easting, northing)."""
    return _to_grid().transform(lon, lat)


@dataclass(frozen=True)
class MapDot:
    lat: float
    lon: float
    label: str           # read out by screen readers: the site and its units' statuses
    units: int
    status: UnitStatus


@dataclass(frozen=True)
class MapOutline:
    name: str
    kind: str
    rings: list[list[tuple[float, float]]]  # (lon, lat) positions


def outlines_of(areas: list[NamedArea]) -> list[MapOutline]:
    """Each named area's outer and inner rings, from its GeoJSON."""
    result = []
    for area in areas:
        geometry = area.geometry or {}
        polygons = [geometry.get("coordinates", [])] if geometry.get("type") == "Polygon" \
            else geometry.get("coordinates", [])
        rings = [[(p[0], p[1]) for p in ring] for polygon in polygons for ring in polygon]
        result.append(MapOutline(area.name, area.kind, rings))
    return result


def render_svg(dots: list[MapDot], outlines: list[MapOutline], *, title: str = "Map of units") -> Markup:
    """An accessible SVG of outlines and dots, fitted to the dots (or to the outlines when there are none)."""
    dot_points = [to_grid(d.lon, d.lat) for d in dots]
    outline_points = [[[to_grid(lon, lat) for lon, lat in ring] for ring in o.rings] for o in outlines]
    frame = dot_points or [p for rings in outline_points for ring in rings for p in ring]
    if not frame:
        frame = [to_grid(-1.13, 52.63)]  # Leicester: somewhere sensible for an empty map
    xs, ys = [p[0] for p in frame], [p[1] for p in frame]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    span = max(max_x - min_x, max_y - min_y, 2000.0) * 1.1  # at least 2 km across
    centre_x, centre_y = (min_x + max_x) / 2, (min_y + max_y) / 2
    scale = (WIDTH - 2 * MARGIN) / span

    def xy(point: tuple[float, float]) -> str:
        x = MARGIN + (point[0] - centre_x) * scale + (WIDTH - 2 * MARGIN) / 2
        y = MARGIN + (centre_y - point[1]) * scale + (WIDTH - 2 * MARGIN) / 2
        return f"{x:.1f},{y:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="unit-map" viewBox="0 0 {WIDTH} {WIDTH}" '
             f'role="img" aria-labelledby="map-title map-desc">',
             f'<title id="map-title">{escape(title)}</title>',
             f'<desc id="map-desc">{len(dots)} sites with units, and {len(outlines)} named areas. '
             'The table of units says the same in words.</desc>']
    for outline, rings in zip(outlines, outline_points):
        path = " ".join("M" + " L".join(xy(p) for p in ring) + " Z" for ring in rings if ring)
        parts.append(f'<path class="map-area map-area-{escape(outline.kind)}" d="{path}">'
                     f'<title>{escape(outline.name)} ({escape(outline.kind)})</title></path>')
    for dot, point in sorted(zip(dots, dot_points), key=lambda pair: -STATUS_RANK.index(pair[0].status)):
        x, y = xy(point).split(",")
        radius = min(4 + 2 * dot.units, 16)
        parts.append(f'<circle class="map-dot map-dot-{dot.status.value}" cx="{x}" cy="{y}" r="{radius}">'
                     f'<title>{escape(dot.label)}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))


def vacancy_map(session: Session, actor: Actor, filters: inventory.BoardFilters, *, page: int = 1,
                per_page: int = 50, today: date | None = None) -> Markup:
    """The SVG map of the units on one page of the vacancy board for these filters; audited once.

    One page, as the board shows it, so a drawing opens at most ``per_page``
    site locations (each an AES decryption), never every free unit's.
    NotFound (as if there were no map) for a role without ADDRESS_VIEW.
    """
    if actor.user is None or not can(actor.user.role, Permission.ADDRESS_VIEW):
        raise NotFound("No such page.")
    board = inventory.vacancy_board(session, actor, filters, page=page, per_page=per_page, today=today)
    by_site: dict[int, list] = {}
    for unit in board.units.items:
        by_site.setdefault(unit.site_id, []).append(unit)
    dots = []
    for site_units in by_site.values():
        site = site_units[0].site
        point = crypto.unseal(site.location)
        statuses = [u.status for u in site_units]
        best = min(statuses, key=STATUS_RANK.index)
        summary = ", ".join(f"{statuses.count(s)} {s.label.lower()}" for s in STATUS_RANK if s in statuses)
        dots.append(MapDot(point["lat"], point["lon"], f"{site.name} ({site.area}): {summary}", len(site_units), best))
    areas = list(session.scalars(select(NamedArea).order_by(NamedArea.kind, NamedArea.name)))
    audit.record(session, actor, AuditAction.VIEW_ADDRESS, "map", None, f"vacancy map sites={len(dots)}")
    title = f"Map of units free now and soon: page {board.units.page} of {board.units.pages} of the board"
    return render_svg(dots, outlines_of(areas), title=title)
