"""Alembic environment for SafeHome (run through Flask-Migrate: ``flask --app wsgi db upgrade``)."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from safehome.models.base import SealedJSON, UTCDateTime

config = context.config
if config.config_file_name is not None:
    # Keep the app's own loggers alive when migrations run inside it (tests, commands).
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def render_item(type_, obj, autogen_context):
    """Write the app's column types as their storage types, so migrations import no app code."""
    if type_ == "type" and isinstance(obj, SealedJSON):
        return "sa.LargeBinary()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_db.metadata,
                      literal_binds=True, render_item=render_item, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args["render_item"] = render_item
    connectable = target_db.engine
    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            connection.rollback()
            _sqlite_foreign_keys(connection, on=True)
            if broken:
                raise RuntimeError(f"the migrations left {len(broken)} row(s) with a broken foreign key")


def _sqlite_foreign_keys(connection, *, on: bool) -> None:
    """SQLite rebuilds a table to alter it (batch mode): dropping the old table with foreign keys on
    would cascade its deletes into the tables that refer to it, so they are off while migrations run
    and every key is checked after. The PRAGMA applies only outside a transaction."""
    connection.connection.dbapi_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
