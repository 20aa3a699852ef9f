"""Property tests with hostile input: huge numbers, unicode, empty and enormous strings, wrong types.

Whatever arrives, the answer is a 2xx or a 4xx naming what was wrong, never a 5xx, and a refused
request leaves nothing behind.
"""
from __future__ import annotations

import io

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
