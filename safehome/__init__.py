"""SafeHome: the case and placement system of a domestic-violence Safe Home service."""
from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
UK_TIME = ZoneInfo("Europe/London")


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, errors, commands."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from safehome import config as settings

    app.config.update(settings.load(Path(app.instance_path), config))
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_request_lifecycle(app)
    register_templates(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from safehome import crypto
    from safehome.extensions import api, csrf, db, login_manager, migrate
    from safehome.services import segregation

    crypto.install_key(app.config["SAFEHOME_DATA_KEY"], app.config["SAFEHOME_OLD_DATA_KEYS"])
    segregation.install_km(app.config["SEGREGATION_KM"])
    # SQLAlchemy logs result rows at DEBUG (names, references): a DEBUG root logger must not turn that on.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    api.init_app(app)
    with app.app_context():
        _tune_sqlite(db.engine)


def _tune_sqlite(engine) -> None:
    """SQLite: enforce foreign keys, and WAL so a killed writer never corrupts the file."""
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        # 64 MiB of page cache (the default 2 MiB thrashes on a large database: the vacancy board reads
        # tens of thousands of rows, and a big demo load re-reads its own pages from the WAL).
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()


def register_security(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from safehome import auth_session, json_body, security

    hops = int(app.config.get("PROXY_HOPS", 0))
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    auth_session.init_app(app)
    json_body.init_app(app)  # after authentication: only a caller let in has their body read
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from werkzeug.routing import IntegerConverter

    from safehome.api import register_api
    from safehome.extensions import api
    from safehome.services.access import MAX_ID
    from safehome.views import BLUEPRINTS

    class IdConverter(IntegerConverter):
        """``<int:...>`` stops at the largest id a database integer holds: a bigger one is a 404 from
        routing, never an overflow in the database driver (a 500)."""

        def __init__(self, url_map, *args, **kwargs):
            kwargs.setdefault("max", MAX_ID)
            super().__init__(url_map, *args, **kwargs)

    app.url_map.converters["int"] = IdConverter
    api.register_converter(IdConverter, lambda c: {"type": "integer", "minimum": c.min or 0, "maximum": c.max})

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    register_api(app)


def register_request_lifecycle(app: Flask) -> None:
    """One commit per request: services flush, the boundary commits.

    Every error path rolls back first (errors.py, and views that re-show a
    form after a ValidationError), so whatever reaches here is whole.
    """
    from safehome.extensions import db

    @app.after_request
    def commit(response):
        db.session.commit()
        return response

    @app.teardown_request
    def rollback(exc):
        if exc is not None:
            db.session.rollback()


def register_templates(app: Flask) -> None:
    from flask_login import current_user

    from safehome import codes, permissions
    from safehome.views import NAVIGATION

    def endpoint_exists(endpoint: str) -> bool:
        return endpoint in app.view_functions

    def nav_items():
        return [item for item in NAVIGATION
                if endpoint_exists(item.endpoint) and permissions.user_can(current_user, item.permission)]

    def can(permission) -> bool:
        return permissions.user_can(current_user, permission)

    def format_datetime(value, fmt: str = "%d %b %Y %H:%M") -> str:
        """Timestamps are stored in UTC and shown in UK time."""
        if value is None:
            return ""
        if hasattr(value, "astimezone") and getattr(value, "tzinfo", None) is not None:
            value = value.astimezone(UK_TIME)
        return value.strftime(fmt)

    def labels(coded, values) -> str:
        """Stored codes of one coded list as their labels: ``labels(codes.Pet, household.pets)``."""
        known = dict(coded.choices())
        return ", ".join(known.get(value, value) for value in values or []) or "none"

    app.jinja_env.globals.update(codes=codes, Permission=permissions.Permission, can=can,
                                 endpoint_exists=endpoint_exists, nav_items=nav_items, labels=labels)
    app.jinja_env.filters["dt"] = format_datetime
    app.jinja_env.filters["d"] = lambda value: format_datetime(value, "%d %b %Y")


def register_error_handlers(app: Flask) -> None:
    from safehome.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from safehome.cli import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)
