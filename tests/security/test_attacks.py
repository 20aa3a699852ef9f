"""Attacks on the pages: CSRF, state changed by GET, security headers, escaping, SQL from strings, uploads."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from safehome import create_app
from safehome.config import new_data_key
from tests.conftest import base_config
from tests.security.conftest import ROLES, table_counts
from tests.security.walk import api_rules, forms_of, page_rules, url_for_rule, walk_pages

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "<script>alert(1)</script>"


# CSRF ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_every_post_form_on_every_page_carries_a_csrf_token(world, role):
    client = world.signed_in(role)
    post_forms = 0
    for url, response in walk_pages(world.app, client):
        assert response.status_code < 500, f"{url} answered {response.status_code} to {role}"
        if not response.content_type.startswith("text/html"):
            continue
        for form in forms_of(response.get_data(as_text=True)):
            if form["method"] == "post":
                post_forms += 1
                # Pages with several forms prefix each (Flask-WTF ``prefix=``): "accept-csrf_token".
                assert any(name == "csrf_token" or name.endswith("-csrf_token") for name in form["inputs"]), \
                    f"a form on {url} (action {form['action']}) has no CSRF token"
    assert post_forms > 0  # at least the sign-out form


def test_every_post_page_refuses_a_request_without_a_csrf_token(world):
    """Signed in (with every permission a worker has, or none) or not, no token is 400 and changes nothing."""
    signed_in = {role: world.signed_in(role) for role in ("housing_worker", "manager", "admin")}
    anonymous = world.client()
    before = table_counts()
    rules = page_rules(world.app, "POST")
    assert len(rules) > 30
    for rule in rules:
        url = url_for_rule(world.app, rule)
        for who, client in [*signed_in.items(), ("no one", anonymous)]:
            response = client.post(url, data={"name": "x"})
            assert response.status_code == 400, f"POST {url} without a CSRF token as {who}: {response.status_code}"
    assert table_counts() == before


def test_a_browser_session_posting_to_the_api_needs_the_csrf_header(world):
    client = world.signed_in("housing_worker")
    before = table_counts()
    for rule in api_rules(world.app, "POST"):
        response = client.post(url_for_rule(world.app, rule), json={})
        assert response.status_code == 400, f"POST {rule.rule} from a cookie session without CSRF"
    assert table_counts() == before


# No state change on GET ---------------------------------------------------------

@pytest.mark.parametrize("role", (*ROLES, "no one"))
def test_no_get_changes_any_table(world, role):
    client = world.client() if role == "no one" else world.signed_in(role)
    headers = {} if role == "no one" else world.bearer(role)
    before = table_counts()
    for url, response in walk_pages(world.app, client):
        assert response.status_code < 500, f"{url} answered {response.status_code} to {role}"
    for rule in api_rules(world.app, "GET"):
        url = url_for_rule(world.app, rule)
        response = world.client().get(url, headers=headers)
        assert response.status_code < 500, f"GET {url} answered {response.status_code} to {role}"
    assert table_counts() == before


# Security headers ------------------------------------------------------------------

def _assert_headers(url: str, response, *, hsts: bool) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, url
    assert directives.get("frame-ancestors") == ["'none'"], url
    assert directives.get("object-src") == ["'none'"], url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") in ("no-referrer", "same-origin", "strict-origin-when-cross-origin"), url
    assert ("Strict-Transport-Security" in headers) is hsts, url


def test_security_headers_on_every_page_and_api_answer(world):
    client = world.signed_in("housing_worker")
    headers = world.bearer("manager")
    answers = [(url, response) for url, response in walk_pages(world.app, client)]
    answers += [(rule.rule, world.client().get(url_for_rule(world.app, rule), headers=headers))
                for rule in api_rules(world.app, "GET")]
    answers += [("/no/such/page", client.get("/no/such/page")), ("/login", world.client().get("/login")),
                ("/api/openapi.json", world.client().get("/api/openapi.json")),
                ("/static/css/safehome.css", world.client().get("/static/css/safehome.css"))]
    for url, response in answers:
        _assert_headers(url, response, hsts=False)
        response.close()


def test_hsts_is_sent_in_production_only(database_uri, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    production = create_app({**base_config(database_uri), "ENV_NAME": "production", "TESTING": False,
                             "SECRET_KEY": "a-real-production-secret-of-forty-characters!",
                             "SAFEHOME_DATA_KEY": new_data_key()})
    development = create_app({**base_config(database_uri), "ENV_NAME": "development"})
    for app, hsts in ((production, True), (development, False)):
        with app.app_context():
            response = app.test_client().get("/login")
            _assert_headers("/login", response, hsts=hsts)
            error = app.test_client().get("/api/v1/me")
            _assert_headers("/api/v1/me", error, hsts=hsts)
    assert "max-age=" in production.test_client().get("/login").headers["Strict-Transport-Security"]


def test_no_template_holds_inline_script_or_style():
    """CSP blocks them anyway; keep the templates honest so nothing silently breaks."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=\"", text) \
                or re.search(r"\sstyle=\"", text) or "<style" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# Escaping ------------------------------------------------------------------------------

def test_hostile_text_is_escaped_on_the_household_and_unit_pages(world):
    from sqlalchemy import select

    from safehome.codes import CaseStatus
    from safehome.extensions import db
    from safehome.models import Household, Unit

    household = db.session.scalars(select(Household).where(Household.status == CaseStatus.OPEN)).first()
    household.reference = SCRIPT[:32]
    household.members[0].name = SCRIPT
    unit = db.session.scalars(select(Unit)).first()
    unit.name = SCRIPT
    db.session.commit()
    worker = world.signed_in("housing_worker")
    for url in (f"/households/{household.id}", f"/units/{unit.id}", "/units/", "/households/"):
        html = worker.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
    assert "&lt;script&gt;alert(1)" in worker.get(f"/households/{household.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)" in worker.get(f"/units/{unit.id}").get_data(as_text=True)


# No SQL built from strings ----------------------------------------------------------------

# Each entry: (file, the exact line), with why it is safe.
_PARTIAL_INDEX = "a partial index's WHERE, built at import from the enum's own constant codes, never from input"
SQL_FROM_STRINGS_ALLOWED: dict[tuple[str, str], str] = {
    ("safehome/models/placements.py",
     """_LIVE = text("state IN ({})".format(", ".join(f"'{s.value}'" for s in LIVE_PLACEMENT_STATES)))"""): _PARTIAL_INDEX,
    ("safehome/models/perpetrator.py",
     """_LIVE = text("state IN ({})".format(", ".join(f"'{s.value}'" for s in LIVE_PERPETRATOR_STATES)))"""): _PARTIAL_INDEX,
}

_SQL_FROM_STRING = re.compile(
    r"(?<![\w.])text\(\s*f[\"']"                                # text(f"...")
    r"|\.execute\(\s*f[\"']"                                     # cursor.execute(f"...")
    r"|(?<![\w.])text\(\s*[\"'][^\"']*[\"']\s*(%|\.format|\+)"   # text("..." % x), .format, +
    r"|\.execute\(\s*[\"'][^\"']*[\"']\s*(%|\.format|\+)"
    r"|\.exec_driver_sql\(\s*f[\"']")


def test_no_sql_is_built_from_strings():
    found = []
    for path in sorted((ROOT / "safehome").rglob("*.py")):
        for line in path.read_text().splitlines():
            if _SQL_FROM_STRING.search(line):
                key = (str(path.relative_to(ROOT)), line.strip())
                if key not in SQL_FROM_STRINGS_ALLOWED:
                    found.append(key)
    assert found == []


def test_the_sql_check_catches_what_it_looks_for():
    for bad in ('db.session.execute(text(f"SELECT * FROM units WHERE name = \'{name}\'"))',
                'cursor.execute(f"DELETE FROM {table}")', 'text("SELECT %s" % value)',
                'conn.execute("SELECT " + value)'):
        assert _SQL_FROM_STRING.search(bad), bad
    for fine in ('self.text(f"{where}/name", value, 120)', 'text("SELECT 1")',
                 'select(Unit).where(Unit.name == name)'):
        assert not _SQL_FROM_STRING.search(fine), fine


# Uploads parsed with limits -------------------------------------------------------------------

CSV_HEADER = "provider,site,unit_name,type,bedspaces,lead_genders,site_postcode\n"


def _csv(rows: int) -> bytes:
    return (CSV_HEADER + "".join(f"Prov,Site,Room {i},refuge,2,female,LE1 1AA\n" for i in range(rows))).encode()


def test_an_oversized_csv_upload_is_413(world):
    world.app.config["MAX_CONTENT_LENGTH"] = 10_000
    headers = world.bearer("housing_worker")
    before = table_counts()
    response = world.client().post("/api/v1/units/import", headers=headers,
                                   data={"file": (io.BytesIO(b"x" * 20_000), "units.csv")},
                                   content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.is_json
    page = world.signed_in("housing_worker")
    assert page.post("/units/import", data={"file": (io.BytesIO(b"x" * 20_000), "units.csv")},
                     content_type="multipart/form-data").status_code == 413
    assert table_counts() == before


def test_a_csv_with_too_many_rows_is_422_naming_the_limit(world, monkeypatch):
    from safehome.services import inventory

    monkeypatch.setattr(inventory, "MAX_CSV_ROWS", 3)
    headers = world.bearer("housing_worker")
    before = table_counts()
    response = world.client().post("/api/v1/units/import", headers=headers,
                                   data={"file": (io.BytesIO(_csv(5)), "units.csv")},
                                   content_type="multipart/form-data")
    assert response.status_code == 422
    assert "more than 3 rows" in response.get_data(as_text=True)
    assert table_counts() == before


def test_a_csv_cell_too_long_is_422_naming_the_limit(world):
    from safehome.services import inventory

    long_name = "x" * (inventory.MAX_CSV_FIELD + 1)
    data = (CSV_HEADER + f"Prov,Site,{long_name},refuge,2,female,LE1 1AA\n").encode()
    response = world.client().post("/api/v1/units/import", headers=world.bearer("housing_worker"),
                                   data={"file": (io.BytesIO(data), "units.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert f"at most {inventory.MAX_CSV_FIELD} characters" in response.get_data(as_text=True)


def _square(i: int, points: int) -> dict:
    ring = [[-1.1 + i + k * 1e-4, 52.6] for k in range(points - 1)] + [[-1.1 + i, 52.7], [-1.1 + i, 52.6]]
    ring[-1] = ring[0]
    return {"type": "Feature", "properties": {"name": f"Area {i}"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


@pytest.mark.parametrize("limit, expected", [("MAX_AREAS_VERTICES", "more than 20 vertices"),
                                             ("MAX_AREAS_BYTES", "is larger than")])
def test_a_geojson_file_over_a_limit_is_refused_naming_it(runner, db, tmp_path, monkeypatch, limit, expected):
    import json

    from safehome.models import NamedArea
    from safehome.services import geography

    monkeypatch.setattr(geography, limit, 20 if limit == "MAX_AREAS_VERTICES" else 1024 * 1024 - 1)
    features = [_square(i, 8) for i in range(4)]
    if limit == "MAX_AREAS_BYTES":
        features[0]["properties"]["padding"] = "x" * (1024 * 1024)
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = runner.invoke(args=["load-areas", str(path)])
    assert result.exit_code != 0
    assert expected in result.output
    assert db.session.query(NamedArea).count() == 0


# Hostile ids ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("hostile_id", [2**31, 2**63, 2**80])
def test_ids_beyond_any_database_integer_are_404_never_500(world, hostile_id):
    tokens = {role: world.bearer(role) for role in ("housing_worker", "manager", "admin", "provider")}
    page = world.signed_in("admin")
    failed = []
    for rule in world.app.url_map.iter_rules():
        ints = [name for name, converter in rule._converters.items() if type(converter).__name__ == "IntegerConverter"]
        if not ints:
            continue
        with world.app.test_request_context():
            url = rule.build({"key": "quarterly", "chart": "main", "fmt": "csv", "year": 2025, "quarter": 1,
                              **dict.fromkeys(ints, hostile_id)}, append_unknown=False)[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            for role, headers in tokens.items():
                try:  # testing mode raises what would be a 500
                    if rule.rule.startswith("/api/"):
                        status = world.client().open(url, method=method, headers=headers, json={}).status_code
                    else:
                        status = page.open(url, method=method).status_code
                except Exception as exc:  # noqa: BLE001  (any exception here is the finding)
                    status = type(exc).__name__
                if status != 404 and (not isinstance(status, int) or status >= 500):
                    failed.append(f"{method} {rule.rule} as {role}: {status}")
    assert failed == [], "\n".join(failed)
