"""Geography: postcodes to points, local authorities, and named areas (boundaries).

Works offline by default: ``data/postcode_districts.csv`` gives an
approximate centroid and local authority for each postcode district of the
East Midlands and its neighbours (see ``data/README.md``). An online
geocoder is optional, named by the ``SAFEHOME_GEOCODER`` setting; when it
fails in any way the table answers instead, so a geocoder outage never
blocks a save (the service must work at 3 a.m. with no one to call).

Postcodes are personal data: nothing here logs them or puts them in an error.
"""
from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import select
from sqlalchemy.orm import Session

from safehome.codes import AuditAction
from safehome.errors import FieldProblem, ValidationError
from safehome.models import NamedArea
from safehome.services import Actor, audit

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"
DISTRICTS_CSV = DATA_DIR / "postcode_districts.csv"

AREA_KINDS = ("council", "district", "ward")
MAX_AREAS_BYTES = 5 * 1024 * 1024
MAX_AREAS_VERTICES = 200_000
MAX_AREA_NAME = 120  # NamedArea.name's column length
GEOCODER_TIMEOUT_SECONDS = 2.0  # short: a slow geocoder must not hold a worker's save
GEOCODER_USER_AGENT = "SafeHome (domestic-violence safe accommodation service)"

# An outward code (district: "LE2", "NG10", "B79", "EC1A") with an optional inward code ("4AB").
_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)(?: ?([0-9][A-Z]{2}))?$")


@dataclass(frozen=True)
class Location:
    """A point for a postcode, and where it came from.

    ``source`` is ``"district_centroid"`` (the offline table: accurate to a
    few km) or ``"geocoder"``; ``area`` is the local authority, if known.
    """

    lat: float
    lon: float
    source: str
    area: str | None = None


@dataclass(frozen=True)
class District:
    """One row of the postcode-district table."""

    district: str
    lat: float
    lon: float
    local_authority: str
    county: str


# Postcodes ------------------------------------------------------------------

def normalise_postcode(text: str | None) -> str | None:
    """A UK postcode in standard form ("le2 0ab" -> "LE2 0AB", "le2" -> "LE2"), or None if it is not one.

    A district alone (the outward code) is accepted: a referral often knows
    no more than that.
    """
    if not text:
        return None
    compact = re.sub(r"\s+", "", str(text)).upper()
    if len(compact) > 7:
        return None
    if len(compact) >= 5 and _POSTCODE_RE.match(f"{compact[:-3]} {compact[-3:]}"):
        return f"{compact[:-3]} {compact[-3:]}"
    match = _POSTCODE_RE.match(compact)
    if match and match.group(2) is None:
        return compact
    return None


def postcode_district(postcode: str | None) -> str | None:
    """The district (outward code) of a postcode: "LE2 0AB" -> "LE2"; None if not a postcode."""
    normal = normalise_postcode(postcode)
    return normal.split(" ")[0] if normal else None


@lru_cache(maxsize=1)
def district_table() -> dict[str, District]:
    """The postcode-district table, read once from ``data/postcode_districts.csv``."""
    with DISTRICTS_CSV.open(newline="", encoding="utf-8") as f:
        return {row["district"]: District(row["district"], float(row["lat"]), float(row["lon"]),
                                          row["local_authority"], row["county"])
                for row in csv.DictReader(f)}


def lookup_district(postcode: str | None) -> District | None:
    """The table's row for a postcode's district, or None if unknown."""
    district = postcode_district(postcode)
    return district_table().get(district) if district else None


def local_authority_of(postcode: str | None) -> str | None:
    """The local authority of a postcode's district (where a district straddles two, the larger part)."""
    row = lookup_district(postcode)
    return row.local_authority if row else None


def locate_postcode(postcode: str | None, *, geocoder: str = "") -> Location | None:
    """A point for a postcode, or None if it is not a postcode or its district is unknown.

    ``geocoder`` is the ``GEOCODER`` setting: ``""`` (offline table only),
    ``"nominatim"`` (the public OpenStreetMap service) or
    ``"nominatim:https://host[:port]"`` (a self-hosted Nominatim). A geocoder
    is tried first for a full postcode; on any failure (network down, timeout,
    refused, no answer) the district table answers. Never raises for a
    network failure.
    """
    normal = normalise_postcode(postcode)
    if normal is None:
        return None
    row = district_table().get(normal.split(" ")[0])
    if geocoder and " " in normal:
        point = _geocode(normal, geocoder)
        if point is not None:
            return Location(point[0], point[1], "geocoder", row.local_authority if row else None)
    if row is None:
        return None
    return Location(row.lat, row.lon, "district_centroid", row.local_authority)


def _make_geocoder(setting: str):
    from geopy.geocoders import Nominatim

    name, _, where = setting.partition(":")
    if name.strip().lower() != "nominatim":
        return None
    if where:
        scheme, _, domain = where.strip().partition("://")
        return Nominatim(user_agent=GEOCODER_USER_AGENT, timeout=GEOCODER_TIMEOUT_SECONDS,
                         domain=domain.rstrip("/"), scheme=scheme)
    return Nominatim(user_agent=GEOCODER_USER_AGENT, timeout=GEOCODER_TIMEOUT_SECONDS)


def _geocode(postcode: str, setting: str) -> tuple[float, float] | None:
    """(lat, lon) from the configured geocoder, or None on any failure or an unusable answer."""
    from geopy.exc import GeopyError

    try:
        coder = _make_geocoder(setting)
        if coder is None:
            return None
        found = coder.geocode({"postalcode": postcode}, country_codes="gb", exactly_one=True)
    except (GeopyError, OSError, ValueError):
        return None
    if found is None:
        return None
    lat, lon = float(found.latitude), float(found.longitude)
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


# Named areas (boundaries offered as exclusion areas) --------------------------

def area_geometry(named_area: NamedArea) -> BaseGeometry:
    """The shapely geometry of a named area (lon/lat order, as stored)."""
    return shape(named_area.geometry)


def load_named_areas(session: Session, actor: Actor, geojson_text: str | bytes, *,
                     kind_default: str = "council") -> int:
    """Load a GeoJSON FeatureCollection of boundaries as named areas; returns how many were loaded.

    Each feature needs ``properties.name``; ``properties.kind`` (council,
    district or ward) defaults to ``kind_default``. Geometries must be valid
    Polygons or MultiPolygons in lon/lat order. An area of the same name is
    replaced. Every problem is reported at once, each naming its place in the
    file (``features/3/geometry``), and nothing is written if there is any.
    """
    features = _parse_areas(geojson_text, kind_default)
    existing = {area.name: area for area in session.scalars(
        select(NamedArea).where(NamedArea.name.in_([f["name"] for f in features])))}
    added = 0
    for feature in features:
        area = existing.get(feature["name"])
        if area is None:
            session.add(NamedArea(name=feature["name"], kind=feature["kind"], geometry=feature["geometry"]))
            added += 1
        else:
            area.kind = feature["kind"]
            area.geometry = feature["geometry"]
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "named_area", None,
                 f"areas loaded={len(features)} new={added}")
    return len(features)


def _parse_areas(geojson_text: str | bytes, kind_default: str) -> list[dict]:
    """The features of a boundary file as ``{"name", "kind", "geometry"}``, or ValidationError."""
    if kind_default not in AREA_KINDS:
        raise ValidationError.one("kind", f"must be one of {', '.join(AREA_KINDS)}")
    raw = geojson_text.encode() if isinstance(geojson_text, str) else geojson_text
    if len(raw) > MAX_AREAS_BYTES:
        raise ValidationError.one("file", f"is larger than {MAX_AREAS_BYTES // (1024 * 1024)} MB")
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError.one("file", "is not valid JSON") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ValidationError.one("type", "must be a GeoJSON FeatureCollection")
    raw_features = document.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        raise ValidationError.one("features", "must be a non-empty list")

    problems: list[FieldProblem] = []
    features: list[dict] = []
    seen: set[str] = set()
    vertices = 0
    for i, feature in enumerate(raw_features):
        where = f"features/{i}"
        if not isinstance(feature, dict):
            problems.append(FieldProblem(where, "must be a GeoJSON Feature"))
            continue
        properties = feature.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        name = properties.get("name")
        kind = properties.get("kind") or kind_default
        if not isinstance(name, str) or not name.strip():
            problems.append(FieldProblem(f"{where}/properties/name", "is required"))
        elif len(name.strip()) > MAX_AREA_NAME:
            problems.append(FieldProblem(f"{where}/properties/name", f"must be at most {MAX_AREA_NAME} characters"))
        elif name.strip() in seen:
            problems.append(FieldProblem(f"{where}/properties/name", "appears twice in the file"))
        else:
            seen.add(name.strip())
        if kind not in AREA_KINDS:
            problems.append(FieldProblem(f"{where}/properties/kind", f"must be one of {', '.join(AREA_KINDS)}"))
        geometry, count, problem = _check_geometry(feature.get("geometry"))
        vertices += count
        if problem:
            problems.append(FieldProblem(f"{where}/geometry", problem))
        if vertices > MAX_AREAS_VERTICES:
            problems.append(FieldProblem("features", f"more than {MAX_AREAS_VERTICES} vertices in all: simplify the boundaries"))
            break
        if not problems:
            features.append({"name": name.strip(), "kind": kind, "geometry": geometry})
    if problems:
        raise ValidationError("The boundary file was not loaded.", problems)
    return features


def _check_geometry(geometry) -> tuple[dict | None, int, str | None]:
    """(geometry, vertex count, problem or None) for one feature's GeoJSON geometry."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None, 0, "must be a GeoJSON Polygon or MultiPolygon"
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        return None, 0, "has no coordinates"
    count = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return None, count, "each polygon must be a list of rings"
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return None, count, "each ring needs at least 4 positions"
            for position in ring:
                if not (isinstance(position, list) and len(position) in (2, 3)
                        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                for v in position)):
                    return None, count, "each position must be [lon, lat]"
                if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
                    return None, count, "a position is outside lon -180..180, lat -90..90 (lon comes first)"
            if ring[0][:2] != ring[-1][:2]:
                return None, count, "each ring must be closed (last position equal to the first)"
            count += len(ring)
    shapely_geometry = shape(geometry)
    if not shapely_geometry.is_valid:
        return None, count, f"is not a valid polygon ({explain_validity(shapely_geometry)})"
    clean = {"type": geometry["type"], "coordinates": coordinates}
    return clean, count, None
