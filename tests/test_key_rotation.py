"""The data key can be rotated: tokens name their key, old keys open, rotate-data-key re-seals everything."""
from __future__ import annotations

import base64
import json
import os
from datetime import date

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, text

from safehome import create_app, crypto
from safehome.config import ConfigError, new_data_key
from safehome.models import AuditEvent, Base, Household, PerpetratorRequest, Provider, Site
from safehome.models.base import SealedJSON
from safehome.services import SYSTEM
from safehome.services.key_rotation import rotate_data_key
from tests.conftest import DATA_KEY, base_config

KEY_A = DATA_KEY  # the app's key: every value the fixtures seal is under it
KEY_B = new_data_key()  # the new key a rotation moves to
KEY_C = new_data_key()  # a key that sealed nothing here

ADDRESS = {"line1": "17 Granby Street", "line2": "", "town": "Leicester", "postcode": "LE1 6EJ"}
AVOID = [{"label": "Ex-partner's workplace", "lat": 52.645432, "lon": -1.098765, "km": 5}]
PREFER = [{"label": "Kirby Primary School", "lat": 52.601111, "lon": -1.222222, "km": 3, "weight": 2}]
ZONES = [{"type": "Polygon", "coordinates": [[[-1.1, 52.6], [-1.0, 52.6], [-1.0, 52.7], [-1.1, 52.6]]]}]


def _sealed_columns():
    """Every sealed column in the models, walked here apart from the service's own walk."""
    return [(table, column) for table in Base.metadata.sorted_tables for column in table.columns
            if isinstance(column.type, SealedJSON)]


def stored(db) -> dict[tuple[str, str, int], crypto.Sealed]:
    """Every sealed value in the database as it is stored, by table, column and row."""
    found = {}
    for table, column in _sealed_columns():
        rows = db.session.execute(text(f"SELECT id, {column.name} FROM {table.name} WHERE {column.name} IS NOT NULL"))
        for row_id, token in rows:
            found[(table.name, column.name, row_id)] = crypto.Sealed(bytes(token), column.type.purpose)
    return found


def opened(db) -> dict:
    return {place: crypto.unseal(value) for place, value in stored(db).items()}


def under_current_key(db) -> set:
    return {place for place, value in stored(db).items() if value.token.startswith(crypto.current_header())}


def version_1_token(key_b64: str, value, purpose: str) -> bytes:
    """A value as the code before key ids sealed it: version 0x01, nonce, ciphertext."""
    nonce = os.urandom(12)
    plain = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    return b"\x01" + nonce + AESGCM(base64.urlsafe_b64decode(key_b64)).encrypt(nonce, plain, purpose.encode())


@pytest.fixture
def keys(app):
    """``keys(current, *old)`` installs keys as ``create_app`` does from the settings; the app's key after."""
    yield lambda current, *old: crypto.install_key(current, old)
    crypto.install_key(app.config["SAFEHOME_DATA_KEY"])


@pytest.fixture
def world(db, make_user):
    """A value in every sealed column (and some empty ones), sealed under key A; what they open to."""
    provider = Provider(name="Rotation provider")
    db.session.add_all(Site(provider=provider, name=f"House {i}", area="Leicester",
                            address={**ADDRESS, "line2": f"Flat {i}"}, location={"lat": 52.6 + i / 100, "lon": -1.1})
                       for i in range(3))
    db.session.add_all(Household(reference=f"FVS-00010{i}", address={**ADDRESS, "line1": f"{i} Narborough Road"},
                                 home_location={"lat": 52.62, "lon": -1.15}, avoid=AVOID, prefer=PREFER)
                       for i in range(2))
    db.session.add(Household(reference="FVS-000199"))  # no address, no places: nothing to re-seal
    db.session.add(PerpetratorRequest(filed_by=make_user("perpetrator_service"), victim_reference="FVS-000100",
                                      birth_date=date(1980, 1, 1), gender="male", needed_from=date(2026, 1, 1),
                                      exclusion_zones=ZONES))
    db.session.commit()
    values = opened(db)
    assert {(table, column) for table, column, _row in values} == {(t.name, c.name) for t, c in _sealed_columns()}
    return values


def test_values_open_under_an_old_key_and_after_rotation_without_it(db, world, keys):
    keys(KEY_B, KEY_A)
    assert opened(db) == world  # named by their key id, the old key opens them
    assert under_current_key(db) == set()

    seen = []
    result = rotate_data_key(db.session, SYSTEM, batch_size=2, progress=seen.append)

    assert (result.resealed, result.remaining, result.key_id) == (len(world), 0, crypto.current_key_id())
    assert sum(seen) == len(world) and len(seen) == result.batches and max(seen) <= 2 * 4  # 2 rows of 4 columns
    assert under_current_key(db) == set(world)
    keys(KEY_B)  # the old key dropped
    assert opened(db) == world
    keys(KEY_A)
    with pytest.raises(crypto.SealError):
        opened(db)  # truly sealed again: the old key alone no longer opens them


def test_a_stopped_rotation_is_finished_by_the_next_run(db, world, keys):
    keys(KEY_B, KEY_A)
    first = rotate_data_key(db.session, SYSTEM, batch_size=2, max_batches=1)

    db.session.rollback()  # what the first run did was committed, not left in its session
    done = under_current_key(db)
    assert first.batches == 1 and 0 < first.resealed == len(done) < len(world)
    assert first.remaining == len(world) - len(done)
    done_tokens = {place: value.token for place, value in stored(db).items() if place in done}

    second = rotate_data_key(db.session, SYSTEM, batch_size=2)

    assert (second.resealed, second.remaining) == (len(world) - len(done), 0)
    assert under_current_key(db) == set(world)
    assert {place: stored(db)[place].token for place in done} == done_tokens  # the finished part untouched
    keys(KEY_B)
    assert opened(db) == world


class Killed(Exception):
    """Stands for the process dying between two batches."""


def test_each_batch_is_kept_when_the_run_dies_after_it(db, world, keys):
    keys(KEY_B, KEY_A)

    def die(_count):
        raise Killed

    with pytest.raises(Killed):
        rotate_data_key(db.session, SYSTEM, batch_size=2, progress=die)  # progress is told after each commit
    db.session.rollback()  # the dead run's open transaction is gone

    assert 0 < len(under_current_key(db)) <= 2 * 4  # the first batch (2 rows, up to 4 columns each) stayed
    assert rotate_data_key(db.session, SYSTEM).remaining == 0
    assert under_current_key(db) == set(world)


def test_a_second_run_changes_nothing(db, world, keys):
    stamped = dict(db.session.execute(select(Household.id, Household.updated_at)).all())
    keys(KEY_B, KEY_A)
    rotate_data_key(db.session, SYSTEM)
    after_first = {place: value.token for place, value in stored(db).items()}

    again = rotate_data_key(db.session, SYSTEM)

    assert (again.resealed, again.batches, again.remaining) == (0, 0, 0)
    assert {place: value.token for place, value in stored(db).items()} == after_first
    db.session.expire_all()
    # Re-sealing is not a change to the case: its last-updated time stays.
    assert dict(db.session.execute(select(Household.id, Household.updated_at)).all()) == stamped


def test_version_1_tokens_open_and_are_resealed(db, world, keys):
    site_id, household_id = min(row for table, _c, row in world if table == "sites"), \
        min(row for table, _c, row in world if table == "households")
    for table, column, row_id in (("sites", "address", site_id), ("households", "avoid", household_id)):
        purpose = dict((c.name, c.type.purpose) for t, c in _sealed_columns() if t.name == table)[column]
        token = version_1_token(KEY_A, world[(table, column, row_id)], purpose)
        db.session.execute(text(f"UPDATE {table} SET {column} = :token WHERE id = :id"),
                           {"token": token, "id": row_id})
    db.session.commit()
    assert stored(db)[("sites", "address", site_id)].token[:1] == b"\x01"
    assert opened(db) == world  # the one key tried
    keys(KEY_B, KEY_A)
    assert opened(db) == world  # every installed key tried

    result = rotate_data_key(db.session, SYSTEM)

    assert result.resealed == len(world) and under_current_key(db) == set(world)
    keys(KEY_B)
    assert opened(db) == world


def test_version_1_tokens_are_resealed_under_an_unchanged_key(db, world, keys):
    site_id = min(row for table, _c, row in world if table == "sites")
    token = version_1_token(KEY_A, world[("sites", "location", site_id)], "site.location")
    db.session.execute(text("UPDATE sites SET location = :token WHERE id = :id"), {"token": token, "id": site_id})
    db.session.commit()

    result = rotate_data_key(db.session, SYSTEM)

    assert (result.resealed, result.remaining) == (1, 0)
    assert stored(db)[("sites", "location", site_id)].token.startswith(crypto.current_header())
    assert opened(db) == world


def test_a_wrong_old_key_stops_the_rotation_clearly(db, world, keys):
    before = stored(db)
    keys(KEY_A)
    key_a_id = crypto.current_key_id()
    keys(KEY_B, KEY_C)  # the old key given is not the one that sealed the values
    with pytest.raises(crypto.SealError, match=f"key id {key_a_id}, which is not installed"):
        opened(db)

    with pytest.raises(crypto.SealError) as stopped:
        rotate_data_key(db.session, SYSTEM)

    message = str(stopped.value)
    assert key_a_id in message and "of row " in message
    assert any(f"{table}.{column} of row {row}:" in message for table, column, row in world)
    assert not any(key in message for key in (KEY_A, KEY_B, KEY_C))
    assert stored(db) == before  # nothing changed
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.record_type == "data_key")).one()
    assert "stopped" in event.detail and not any(key in event.detail for key in (KEY_A, KEY_B, KEY_C))


def test_a_version_1_token_under_no_installed_key_is_named(db, world, keys):
    site_id = min(row for table, _c, row in world if table == "sites")
    token = version_1_token(KEY_C, {"lat": 1, "lon": 2}, "site.location")
    db.session.execute(text("UPDATE sites SET location = :token WHERE id = :id"), {"token": token, "id": site_id})
    db.session.commit()
    keys(KEY_B, KEY_A)
    with pytest.raises(crypto.SealError, match=f"sites.location of row {site_id}: .*does not open with any installed key"):
        rotate_data_key(db.session, SYSTEM)


# Start-up -------------------------------------------------------------------------------------------

@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 16 + "2Fq9vXr7LmN0pQs3Tu")
    monkeypatch.setenv("SAFEHOME_DATA_KEY", KEY_B)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield monkeypatch
    crypto.install_key(DATA_KEY)


@pytest.mark.parametrize("bad", ["not base64 at all!", "c2hvcnQ="])
def test_a_malformed_old_key_stops_the_start(production_env, bad):
    production_env.setenv("SAFEHOME_OLD_DATA_KEYS", f"{KEY_A},{bad}")
    with pytest.raises(ConfigError, match="SAFEHOME_OLD_DATA_KEYS key 2") as refused:
        create_app({"ENV_NAME": "production"})
    assert bad not in str(refused.value)


def test_an_old_key_repeating_the_current_one_stops_the_start(production_env):
    production_env.setenv("SAFEHOME_OLD_DATA_KEYS", f"{KEY_A}, {KEY_B}")
    with pytest.raises(crypto.SealError, match="SAFEHOME_OLD_DATA_KEYS key 2 repeats a key"):
        create_app({"ENV_NAME": "production"})


def test_production_starts_with_old_keys(production_env):
    production_env.setenv("SAFEHOME_OLD_DATA_KEYS", f" {KEY_A} ,{KEY_C},")
    app = create_app({"ENV_NAME": "production"})
    assert app.config["SAFEHOME_OLD_DATA_KEYS"] == (KEY_A, KEY_C)


# The command ----------------------------------------------------------------------------------------

def _run_in(app, *args):
    from safehome.extensions import db

    with app.app_context():
        try:
            return app.test_cli_runner().invoke(args=list(args))
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_command_rotates_with_progress_and_exits_0(db, world, database_uri, keys):
    rotated = create_app(base_config(database_uri, SAFEHOME_DATA_KEY=KEY_B,
                                     SAFEHOME_OLD_DATA_KEYS=f"{KEY_C},{KEY_A}"))
    key_b_id = crypto.current_key_id()

    result = _run_in(rotated, "rotate-data-key", "--batch-size", "1")

    assert result.exit_code == 0, result.output
    assert "re-sealing" in result.stderr  # the progress bar (a terminal also draws the bar)
    assert f"{len(world)} values re-sealed under key id {key_b_id}" in result.stdout
    assert "no value remains under an old key" in result.stdout
    assert under_current_key(db) == set(world)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.record_type == "data_key")).one()
    assert event.detail == (f"data key rotation to key id {key_b_id}: {len(world)} values re-sealed in "
                            "6 batches; 0 not under it")  # a row a batch: 3 sites, 2 households, 1 request
    assert not any(key in result.output + event.detail for key in (KEY_A, KEY_B, KEY_C))

    again = _run_in(rotated, "rotate-data-key")
    assert again.exit_code == 0 and "0 values re-sealed" in again.stdout


def test_the_command_fails_on_a_wrong_old_key(db, world, database_uri, keys):
    rotated = create_app(base_config(database_uri, SAFEHOME_DATA_KEY=KEY_B, SAFEHOME_OLD_DATA_KEYS=KEY_C))

    result = _run_in(rotated, "rotate-data-key")

    assert result.exit_code == 1
    assert "which is not installed" in result.stderr and "of row" in result.stderr
    assert under_current_key(db) == set()
