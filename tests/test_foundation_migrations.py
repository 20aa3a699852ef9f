"""The migrations and the models agree, on SQLite and on PostgreSQL; the migrations run down and up."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from safehome import create_app
from safehome.extensions import db as flask_db
from tests.conftest import base_config
from tests.journey_helpers import make_household  # noqa: F401


def _differences(database_uri: str) -> list:
    engine = create_engine(database_uri)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, flask_db.metadata)
    finally:
        engine.dispose()


def test_migrations_match_the_models(database_uri):
    differences = _differences(database_uri)
    assert differences == [], "models and migrations differ; regenerate the migration:\n" + "\n".join(
        map(repr, differences))


def test_every_model_table_is_created_by_the_migrations(database_uri):
    engine = create_engine(database_uri)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(flask_db.metadata.tables) <= tables
    assert {"users", "api_tokens", "providers", "sites", "units", "households", "members", "referrals",
            "audit_events", "alembic_version"} <= tables


def test_downgrade_to_base_then_upgrade_to_head(tmp_path):
    uri = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = create_app(base_config(uri))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        engine = flask_db.engine
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        upgrade()
        assert set(flask_db.metadata.tables) <= set(inspect(engine).get_table_names())
        engine.dispose()
    assert _differences(uri) == []


def test_other_housing_solutions_sent_before_their_code_become_other(app, make_household):
    """Migration 0012: a request of kind "other" made before the coded list says "other" (its free-text
    detail kept for the case, never for the return); every other kind has no code."""
    from sqlalchemy import text

    household_id = make_household().id
    flask_db.session.remove()
    downgrade(revision="0008")
    with flask_db.engine.begin() as connection:
        for kind, detail in (("other", "Moved in with her sister"), ("housing_transfer", None)):
            connection.execute(text(
                "INSERT INTO housing_options_requests (household_id, kind, other_detail, state, requested_at, "
                "updated_at) VALUES (:household, :kind, :detail, 'requested', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"household": household_id, "kind": kind, "detail": detail})
    upgrade()
    with flask_db.engine.connect() as connection:
        rows = connection.execute(text("SELECT kind, other_solution, other_detail FROM housing_options_requests "
                                       "ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [("other", "other", "Moved in with her sister"),
                                            ("housing_transfer", None, None)]
    assert _differences(app.config["SQLALCHEMY_DATABASE_URI"]) == []
