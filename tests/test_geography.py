"""Geography: postcodes, the district table, the optional geocoder, and loading named areas."""
from __future__ import annotations

import csv
import json

import pytest
from geopy.geocoders import Nominatim
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from safehome.errors import ValidationError
from safehome.models import AuditEvent, NamedArea
from safehome.services import SYSTEM, geography

AREAS_FILE = geography.DATA_DIR / "areas" / "east_midlands.geojson"
EAST_MIDLANDS_LAT = (51.8, 53.7)
EAST_MIDLANDS_LON = (-2.1, 0.4)
# A Nominatim on the discard port of this machine: nothing answers, so every call really fails.
UNREACHABLE_NOMINATIM = "nominatim:http://127.0.0.1:9"


@pytest.mark.parametrize("text, expected", [
    ("le2 0ab", "LE2 0AB"), (" LE20AB ", "LE2 0AB"), ("le2  0ab", "LE2 0AB"), ("le2", "LE2"), ("NG10", "NG10"),
    ("ng10 1aa", "NG10 1AA"), ("B79 7AA", "B79 7AA"), ("ec1a 1bb", "EC1A 1BB"), ("w1a0ax", "W1A 0AX"),
    ("", None), (None, None), ("hello", None), ("LE2 0A", None), ("12345", None), ("LE2 0ABC", None),
    ("LE2 OAB", None), ("LE", None),
])
def test_normalise_postcode(text, expected):
    assert geography.normalise_postcode(text) == expected


@pytest.mark.parametrize("text, expected", [("le2 0ab", "LE2"), ("LE11", "LE11"), ("CV13 0AA", "CV13"), ("xx", None)])
def test_postcode_district(text, expected):
    assert geography.postcode_district(text) == expected


def test_locate_postcode_from_the_district_table():
    where = geography.locate_postcode("le11 3tu")
    assert where.source == "district_centroid"
    assert where.area == "Charnwood"
    assert abs(where.lat - 52.77) < 0.03 and abs(where.lon - (-1.205)) < 0.03
    assert geography.locate_postcode("LE15") == geography.Location(52.65, -0.68, "district_centroid", "Rutland")


@pytest.mark.parametrize("text", ["ZE1 0AA", "SW1A 1AA", "not a postcode", ""])
def test_unknown_or_bad_postcode_has_no_location(text):
    assert geography.locate_postcode(text) is None
    assert geography.local_authority_of(text) is None


def test_local_authority_of():
    assert geography.local_authority_of("LE1 5WW") == "Leicester"
    assert geography.local_authority_of("le65 1aa") == "North West Leicestershire"
    assert geography.local_authority_of("DE74 2AA") == "North West Leicestershire"


def test_unreachable_geocoder_really_fails():
    """The fallback test below is only meaningful if this geocoder cannot answer."""
    from geopy.exc import GeopyError

    coder = Nominatim(user_agent="safehome-tests", domain="127.0.0.1:9", scheme="http", timeout=1)
    with pytest.raises(GeopyError):
        coder.geocode({"postalcode": "LE2 0AB"}, country_codes="gb")


def test_a_failing_geocoder_falls_back_to_the_table():
    where = geography.locate_postcode("LE2 0AB", geocoder=UNREACHABLE_NOMINATIM)
    assert where == geography.locate_postcode("LE2 0AB")
    assert where.source == "district_centroid" and where.area == "Leicester"


def test_an_unknown_geocoder_name_uses_the_table():
    assert geography.locate_postcode("LE2 0AB", geocoder="no-such-geocoder").source == "district_centroid"


def test_district_table_rows_are_sound():
    with geography.DISTRICTS_CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 120
    districts = [row["district"] for row in rows]
    assert len(districts) == len(set(districts))
    for row in rows:
        assert geography.normalise_postcode(row["district"]) == row["district"], row
        assert EAST_MIDLANDS_LAT[0] <= float(row["lat"]) <= EAST_MIDLANDS_LAT[1], row
        assert EAST_MIDLANDS_LON[0] <= float(row["lon"]) <= EAST_MIDLANDS_LON[1], row
        assert row["local_authority"].strip() and row["county"].strip(), row
    wanted = {f"LE{n}" for n in range(1, 20)} | {"LE65", "LE67", "S40", "S45", "S80", "S81", "CV10", "CV13",
                                                  "CV21", "CV23", "B78", "B79", "PE9", "LN1", "NN17", "DE74"}
    assert wanted <= set(districts)


def _features() -> list[dict]:
    return json.loads(AREAS_FILE.read_text(encoding="utf-8"))["features"]


def test_area_file_polygons_are_valid_and_simple():
    features = _features()
    names = [f["properties"]["name"] for f in features]
    assert len(names) == len(set(names))
    for feature in features:
        assert feature["properties"]["kind"] in geography.AREA_KINDS
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and 10 <= len(ring) - 1 <= 40, feature["properties"]["name"]
        for lon, lat in ring:  # lon first
            assert EAST_MIDLANDS_LON[0] <= lon <= EAST_MIDLANDS_LON[1] and EAST_MIDLANDS_LAT[0] <= lat <= EAST_MIDLANDS_LAT[1]
        assert shape(feature["geometry"]).is_valid, feature["properties"]["name"]
    required = {"Leicester", "Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton",
                "North West Leicestershire", "Oadby and Wigston", "Rutland", "Nottingham", "Derby",
                "West Northamptonshire", "North Northamptonshire", "Coventry", "Peterborough", "Lincoln"}
    assert required <= set(names)
    assert sum(f["properties"]["kind"] == "ward" for f in features) >= 3


def test_area_file_agrees_with_the_district_table():
    """Each district centroid lies in its own authority's polygon (to the table's ~3 km) and in no other council."""
    areas = {f["properties"]["name"]: shape(f["geometry"]) for f in _features() if f["properties"]["kind"] != "ward"}
    councils = {name: g for name, g in areas.items() if name not in ("Leicestershire", "Northampton")}
    for row in geography.district_table().values():
        point = Point(row.lon, row.lat)
        if row.local_authority in areas:
            assert areas[row.local_authority].buffer(0.03).contains(point), row.district
        inside = [name for name, g in councils.items() if g.contains(point) and name != row.local_authority]
        assert not inside, (row.district, inside)
    wards = [shape(f["geometry"]) for f in _features() if f["properties"]["kind"] == "ward"]
    assert all(areas["Leicester"].contains(ward) for ward in wards)


def _collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def _square(name: str | None, lon: float = -1.1, lat: float = 52.6, kind: str | None = None) -> dict:
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]
    properties = {} if name is None else {"name": name}
    if kind:
        properties["kind"] = kind
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _area_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(NamedArea))


def test_load_named_areas_inserts_then_replaces_by_name(db):
    count = geography.load_named_areas(db.session, SYSTEM, AREAS_FILE.read_text(), kind_default="council")
    db.session.commit()
    assert count == len(_features()) == _area_count(db)
    belgrave = db.session.scalar(select(NamedArea).where(NamedArea.name == "Belgrave (Leicester)"))
    assert belgrave.kind == "ward"
    assert geography.area_geometry(belgrave).contains(Point(-1.127, 52.657))

    moved = _square("Belgrave (Leicester)", lon=-1.0)
    assert geography.load_named_areas(db.session, SYSTEM, _collection(moved, _square("New Area")),
                                      kind_default="district") == 2
    db.session.commit()
    assert _area_count(db) == len(_features()) + 1
    db.session.refresh(belgrave)
    assert belgrave.kind == "district" and geography.area_geometry(belgrave).contains(Point(-0.995, 52.605))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.record_type == "named_area").limit(1)) is not None


def test_load_named_areas_reports_every_problem_and_writes_nothing(db):
    bowtie = _square("Bow tie")
    bowtie["geometry"]["coordinates"] = [[[-1.1, 52.6], [-1.0, 52.7], [-1.0, 52.6], [-1.1, 52.7], [-1.1, 52.6]]]
    unclosed = _square("Open ring")
    unclosed["geometry"]["coordinates"][0].pop()
    point = {"type": "Feature", "properties": {"name": "A point"}, "geometry": {"type": "Point", "coordinates": [-1, 52]}}
    text = _collection(_square(None), _square("Fine"), _square("Bad kind", kind="county"), bowtie, unclosed, point,
                       _square("Fine"))
    with pytest.raises(ValidationError) as caught:
        geography.load_named_areas(db.session, SYSTEM, text, kind_default="council")
    errors = caught.value.as_dict()
    assert set(errors) == {"features/0/properties/name", "features/2/properties/kind", "features/3/geometry",
                           "features/4/geometry", "features/5/geometry", "features/6/properties/name"}
    assert "valid polygon" in errors["features/3/geometry"][0]
    assert "closed" in errors["features/4/geometry"][0]
    db.session.rollback()
    assert _area_count(db) == 0


@pytest.mark.parametrize("text, field", [
    ("not json", "file"),
    (json.dumps({"type": "Feature"}), "type"),
    (json.dumps({"type": "FeatureCollection", "features": []}), "features"),
    (" " * (geography.MAX_AREAS_BYTES + 1), "file"),
])
def test_load_named_areas_refuses_bad_files(db, text, field):
    with pytest.raises(ValidationError) as caught:
        geography.load_named_areas(db.session, SYSTEM, text, kind_default="council")
    assert field in caught.value.as_dict()


def test_load_named_areas_limits_vertices(db, monkeypatch):
    monkeypatch.setattr(geography, "MAX_AREAS_VERTICES", 8)
    with pytest.raises(ValidationError) as caught:
        geography.load_named_areas(db.session, SYSTEM, _collection(_square("A"), _square("B")), kind_default="ward")
    assert "features" in caught.value.as_dict()


def test_load_areas_command(runner, db, tmp_path):
    result = runner.invoke(args=["load-areas", str(AREAS_FILE)])
    assert result.exit_code == 0, result.output
    assert f"loaded {len(_features())} named areas" in result.output
    assert _area_count(db) == len(_features())

    bad = tmp_path / "bad.geojson"
    bad.write_text(_collection(_square(None)))
    result = runner.invoke(args=["load-areas", str(bad), "--kind", "ward"])
    assert result.exit_code != 0
    assert "features/0/properties/name: is required" in result.output
    assert _area_count(db) == len(_features())
