"""Property tests with hostile input: huge numbers, unicode, empty and enormous strings, wrong types.

Whatever arrives, the answer is a 2xx or a 4xx naming what was wrong, never a 5xx, and a refused
request leaves nothing behind.
"""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.referral_data import as_json, referral

HOSTILE_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=5000),
    st.sampled_from(["", " ", "\x00", "'; DROP TABLE units; --", "<script>alert(1)</script>", "\u202e\u0000",
                     "9" * 400, "1e309", "NaN", "-0", "2025-02-30", "LE1 1AA" * 50]),
)
HOSTILE = st.one_of(HOSTILE_SCALARS, st.lists(HOSTILE_SCALARS, max_size=5),
                    st.dictionaries(st.text(max_size=10), HOSTILE_SCALARS, max_size=4))
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
REFERRAL_FIELDS = list(as_json(referral()))


def _counts(db):
    from tests.security.conftest import table_counts

    return table_counts()


@SETTINGS
@given(changes=st.dictionaries(st.sampled_from(REFERRAL_FIELDS + ["unknown_field"]), HOSTILE, min_size=1, max_size=4))
def test_a_referral_with_hostile_fields_is_refused_by_name_never_a_500(client, db, make_user, token_for, changes):
    headers = token_for(make_user())
    before = _counts(db)
    response = client.post("/api/v1/referrals", headers=headers, json={**as_json(referral()), **changes})
    assert response.status_code in (201, 400, 409, 422), response.status_code
    if response.status_code != 201:
        assert _counts(db) == before
        if response.status_code == 422:
            named = str(response.get_json().get("errors", {}))
            assert any(field in named for field in changes), (changes, named)


UNIT_FIELDS = ["name", "type", "bedspaces", "bedrooms", "lead_genders", "max_male_age", "pets", "features",
               "languages", "weekly_cost", "status", "site_id", "frees_on"]


@SETTINGS
@given(body=st.dictionaries(st.sampled_from(UNIT_FIELDS), HOSTILE, max_size=6))
def test_a_unit_with_hostile_fields_is_refused_never_a_500(client, db, make_user, token_for, body):
    headers = token_for(make_user())
    before = _counts(db)
    response = client.post("/api/v1/units", headers=headers, json=body)
    assert response.status_code in (201, 400, 404, 409, 422), response.status_code
    if response.status_code != 201:
        assert _counts(db) == before


CSV_HEADER = "provider,site,unit_name,type,bedspaces,lead_genders,site_postcode,weekly_cost,max_male_age\n"
CELL = st.one_of(st.text(max_size=30).map(lambda s: s.replace(",", " ").replace("\n", " ").replace("\r", " ")),
                 st.integers(min_value=-(2**70), max_value=2**70).map(str),
                 st.sampled_from(["", "1e309", "NaN", "£-1", "9" * 600, "female;male;x", "\"", "=cmd|' /C calc'!A0"]))


@SETTINGS
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=11), min_size=0, max_size=6),
       garbage=st.one_of(st.none(), st.binary(max_size=200)))
def test_a_csv_import_with_hostile_cells_is_all_or_nothing_never_a_500(client, db, make_user, token_for, rows,
                                                                     garbage):
    headers = token_for(make_user())
    before = _counts(db)
    data = garbage if garbage is not None else (CSV_HEADER + "".join(",".join(r) + "\n" for r in rows)).encode()
    response = client.post("/api/v1/units/import", headers=headers, data={"file": (io.BytesIO(data), "units.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (201, 400, 413, 422), response.status_code
    if response.status_code != 201:
        assert _counts(db) == before


# Hostile JSON, at the request boundary: every operation with a body --------------------------------

LONE_SURROGATE = "\ud800abc"  # valid JSON ("\ud800abc" escaped), not Unicode: UTF-8 cannot encode it


def _nested(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


def _example(schema: dict, components: dict, today: str):
    """A body of the schema's shape: each list's first choice, today for dates, 1 for numbers, and a lone
    surrogate in every free-text string."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components, today)
    if "anyOf" in schema:
        return _example(next((s for s in schema["anyOf"] if "$ref" in s), schema["anyOf"][0]), components, today)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {name: _example(s, components, today) for name, s in schema.get("properties", {}).items()}
    if kind == "array":
        return [_example(schema.get("items", {}), components, today)]
    if kind == "string" and schema.get("format") in ("date", "date-time"):
        return today
    return {"integer": 1, "number": 1.5, "boolean": False}.get(kind, LONE_SURROGATE)


def _json_operations(world):
    """(method, Flask rule, request body schema) of every operation in the OpenAPI document that takes JSON."""
    import re

    document = world.client().get("/api/openapi.json").get_json()
    rules = {re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule): rule for rule in world.app.url_map.iter_rules()}
    for path, item in document["paths"].items():
        for method in ("post", "put", "patch"):
            content = item.get(method, {}).get("requestBody", {}).get("content", {})
            if "application/json" in content:
                yield method.upper(), rules[path], content["application/json"]["schema"], document["components"]["schemas"]


def _post_raw(world, headers: dict, method: str, url: str, body: str):
    """The status of a raw JSON body sent to ``url``; an exception (a 500 in production) as its name."""
    try:
        return world.client().open(url, method=method, headers=headers, data=body.encode("utf-8"),
                                   content_type="application/json").status_code
    except Exception as exc:  # noqa: BLE001  (the testing app raises what would be a 500)
        return type(exc).__name__


def test_every_json_operation_refuses_deep_nesting_and_lone_surrogates(populated):
    import json
    from datetime import date

    from tests.security.access_table import ACCESS, allowed
    from tests.security.conftest import ROLES, table_counts
    from tests.security.walk import url_for_rule

    world = populated
    tokens = {role: world.bearer(role) for role in ROLES}
    before = table_counts()
    wrong, operations = [], 0
    for method, rule, schema, components in _json_operations(world):
        role = next(r for r in ROLES if r in allowed(ACCESS[(method, rule.rule)]))
        url = url_for_rule(world.app, rule)
        body = _example(schema, components, date.today().isoformat())
        if "\\ud800" not in json.dumps(body):  # no free text in this body: the surrogate goes in a name
            body[LONE_SURROGATE] = 1
        hostile = {"nested 1,000 deep": json.dumps({name: "__deep__" for name in body}).replace(
                       '"__deep__"', _nested(1000), 1) if body else _nested(1000),
                   "a lone surrogate in every text": json.dumps(body)}  # (json.dumps writes it as \ud800)
        for what, raw in hostile.items():
            status = _post_raw(world, tokens[role], method, url, raw)
            if status not in (400, 422):
                wrong.append(f"{method} {rule.rule} as {role}, {what}: {status}")
        operations += 1
    assert operations > 40
    assert wrong == [], "\n".join(wrong)
    assert table_counts() == before


def _provider_answer(client, headers, raw: bytes):
    response = client.post("/api/v1/providers", headers=headers, data=raw, content_type="application/json")
    return response.status_code, response.get_json()


def test_the_json_check_names_each_problem_and_lets_sound_bodies_through(client, db, make_user, token_for):
    from safehome.json_body import MAX_DEPTH
    from safehome.models import Provider

    headers = token_for(make_user())
    deepest = _nested(MAX_DEPTH - 1, '"x"')  # inside the body's object: MAX_DEPTH levels in all
    status, body = _provider_answer(client, headers, f'{{"name": {deepest}}}'.encode())
    assert status == 422 and body["errors"]["json"]["name"] == ["Not a valid string."]  # the schema's own answer
    status, body = _provider_answer(client, headers, f'{{"name": [{deepest}]}}'.encode())
    assert status == 400 and body["message"] == f"The body is nested deeper than {MAX_DEPTH} levels."
    for unbalanced in ("[" * 5000, '{"name": "x"]', "][", '{"name": "x\\"}'):  # refused, never parsed deep
        assert _provider_answer(client, headers, unbalanced.encode())[0] == 400, unbalanced
    status, body = _provider_answer(client, headers, b'{"name": "Pro\xed\xa0\x80v"}')  # a surrogate in raw UTF-8
    assert status == 400 and body["message"] == "The body is not UTF-8 text."
    status, body = _provider_answer(client, headers, b'{"name": "Pro\\ud800v", "notes": ["ok", "\\udfff"]}')
    assert status == 422
    assert body["errors"]["json"] == {"name": ["is not valid Unicode text (it holds a lone surrogate)"],
                                      "notes/1": ["is not valid Unicode text (it holds a lone surrogate)"]}
    status, body = _provider_answer(client, headers, b'{"\\ud800": 1}')
    assert status == 422 and list(body["errors"]["json"]) == ["\\ud800"]
    assert db.session.query(Provider).count() == 0
    # Brackets, quotes and backslashes inside text are text; a surrogate pair is one real character.
    name = '[[[[[[[[[[[[[[[[[[[[[[[[ \\"{{{{{{{{{{{{{{{{{{{{{{{{\\\\ \\ud83d\\ude00'
    status, body = _provider_answer(client, headers, f'{{"name": "{name}"}}'.encode())
    assert status == 201, body
    assert db.session.query(Provider).one().name == '[' * 24 + ' "' + '{' * 24 + '\\ \U0001F600'


def test_exclusion_zones_nested_800_deep_are_refused_and_a_shallower_wrong_shape_is_named(populated):
    from safehome.json_body import MAX_DEPTH
    from tests.security.conftest import table_counts

    world = populated
    headers = world.bearer("perpetrator_service")
    before = table_counts()
    body = ('{"victim_reference": "X", "birth_date": "1990-01-01", "gender": "male", "needed_from": "2030-01-01", '
            '"exclusion_zones": [{"type": "Polygon", "coordinates": %s}]}')
    deep = world.client().post("/api/v1/perpetrator-requests", headers=headers, content_type="application/json",
                               data=body % _nested(800, "[-1.1, 52.6]"))
    assert deep.status_code == 400 and "nested deeper" in deep.get_json()["message"]
    # Within the limit but no polygon: the request is refused naming the field, never a 500.
    shallow = world.client().post("/api/v1/perpetrator-requests", headers=headers, content_type="application/json",
                                  data=body % _nested(MAX_DEPTH - 5, "[-1.1, 52.6]"))
    assert shallow.status_code == 422
    assert any(field.startswith("exclusion_zones") for field in shallow.get_json()["errors"]["json"])
    assert table_counts() == before


# Invalid Unicode in forms and CSV files ---------------------------------------------------------------

# Percent-escapes of bytes that are not UTF-8: a surrogate in CESU-8/WTF-8 form, a stray byte, a cut sequence.
INVALID_UTF8 = ("Pro%ED%A0%80v", "%FF%FE", "caf%C3")


@pytest.mark.parametrize("role", ("housing_worker", "manager", "perpetrator_service", "provider", "admin",
                                  "housing_options"))
def test_every_form_posted_with_invalid_utf8_is_answered_never_a_500(populated, role):
    """Browsers send UTF-8; a client that does not gets its bytes kept as written (percent-escapes), never a 500."""
    from urllib.parse import quote

    from tests.helpers import csrf_token_from
    from tests.security.walk import forms_of, walk_pages

    world = populated
    page = world.signed_in(role)
    forms = {}
    for url, response in walk_pages(world.app, page):
        if response.content_type.startswith("text/html"):
            for form in forms_of(response.get_data(as_text=True)):
                if form["method"] == "post" and form["action"] != "/logout":
                    forms.setdefault(form["action"] or url, form["inputs"])
        response.close()
    assert forms
    failed = []
    for action, inputs in sorted(forms.items()):
        token = csrf_token_from(page.get("/dashboard").get_data(as_text=True))
        for bad in INVALID_UTF8:
            fields = "&".join(f"{quote(name)}={bad}" for name in sorted(inputs) if not name.endswith("csrf_token"))
            try:
                status = page.post(action, data=f"csrf_token={token}&{fields}".encode(),
                                   content_type="application/x-www-form-urlencoded").status_code
            except Exception as exc:  # noqa: BLE001  (the testing app raises what would be a 500)
                status = type(exc).__name__
            if not isinstance(status, int) or status >= 500:
                failed.append(f"POST {action} as {role} with {bad}: {status}")
    assert failed == [], "\n".join(failed)


def test_a_csv_that_is_not_utf8_is_refused_by_name_on_the_page_and_the_api(populated):
    from tests.helpers import csrf_token_from
    from tests.security.conftest import table_counts

    world = populated
    headers = world.bearer("housing_worker")
    page = world.signed_in("housing_worker")
    before = table_counts()
    for cell in (b"Ro\xed\xa0\x80om", b"Ro\xffom", b"Room \xc3"):
        data = CSV_HEADER.encode() + b"Prov,Site," + cell + b",refuge,2,female,LE1 1AA,100,\n"
        api = world.client().post("/api/v1/units/import", headers=headers, content_type="multipart/form-data",
                                  data={"file": (io.BytesIO(data), "units.csv")})
        assert api.status_code == 422
        assert api.get_json()["errors"]["json"] == {"row 1/file": ["must be UTF-8 text (save it as 'CSV UTF-8')"]}
        token = csrf_token_from(page.get("/units/import").get_data(as_text=True))
        html = page.post("/units/import", content_type="multipart/form-data",
                         data={"csrf_token": token, "file": (io.BytesIO(data), "units.csv")})
        assert html.status_code == 422 and "must be UTF-8 text" in html.get_data(as_text=True)
    assert table_counts() == before
