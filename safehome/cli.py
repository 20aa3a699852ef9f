"""Command-line tools: thin wrappers over the services, each committing once."""
from __future__ import annotations

import os

import click
from flask.cli import with_appcontext

from safehome.errors import DomainError
from safehome.extensions import db
from safehome.services import SYSTEM, reports, users


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    for problem in exc.problems or []:
        click.echo(f"{problem.field}: {problem.message}", err=True)
    raise click.ClickException(exc.message)


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, help="housing_worker, housing_options, manager, perpetrator_service, provider, admin")
@click.option("--name", default=None, help="Display name (default: the part of the email before @)")
@click.option("--provider-id", type=int, default=None, help="For provider users: their provider's id")
@with_appcontext
def create_user(email: str, role: str, name: str | None, provider_id: int | None) -> None:
    """Create a user. The password comes from SAFEHOME_PASSWORD or the prompt."""
    password = os.environ.get("SAFEHOME_PASSWORD") or click.prompt("Password", hide_input=True,
                                                                   confirmation_prompt=True)
    try:
        user = users.create_user(db.session, SYSTEM, email=email, name=name or email.split("@")[0], role=role,
                                 password=password, provider_id=provider_id)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created user {user.id} ({user.role.value})")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="command line", help="What the token is for")
@click.option("--days", type=int, default=None,
              help="Days until it expires, at most SAFEHOME_TOKEN_MAX_DAYS (default 90, or that maximum if lower)")
@with_appcontext
def create_token(email: str, name: str, days: int | None) -> None:
    """Create an API token for a user; the token is the last line printed."""
    from flask import current_app
    from sqlalchemy import func, select

    from safehome.models import User

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise click.ClickException("no such user")
    try:
        _, secret = users.create_token(db.session, SYSTEM, user, name, days, max_days=current_app.config["TOKEN_MAX_DAYS"])
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"token for user {user.id}, shown once:")
    click.echo(secret)


@click.command("purge-sessions")
@with_appcontext
def purge_sessions() -> None:
    """Delete the browser sessions past their expiry (run from cron; they are signed out already)."""
    count = users.purge_expired_sessions(db.session)
    db.session.commit()
    click.echo(f"{count} expired session{'' if count == 1 else 's'} removed")


@click.command("lapse-offers")
@with_appcontext
def lapse_offers() -> None:
    """Lapse every offer past its hold, freeing its unit (run from cron; reads lapse them too)."""
    from safehome.services import placements

    count = placements.lapse_expired(db.session)
    db.session.commit()
    click.echo(f"{count} offer{'' if count == 1 else 's'} lapsed")


@click.command("load-areas")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", default="council", show_default=True, help="council, district or ward, for features without one")
@with_appcontext
def load_areas(file: str, kind: str) -> None:
    """Load named areas (boundaries) from a GeoJSON FeatureCollection; same names are replaced."""
    from pathlib import Path

    from safehome.services import geography

    try:
        count = geography.load_named_areas(db.session, SYSTEM, Path(file).read_bytes(), kind_default=kind)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"loaded {count} named areas")


@click.command("demo-data")
@click.option("--scale", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="Multiply units and cases (1 = about 160 units, 50 open and 300 closed cases)")
@click.option("--open-scale", type=click.IntRange(1, 1000), default=None,
              help="Copies of the 50 open cases instead of --scale (the benchmark's mix)")
@click.option("--closed-scale", type=click.IntRange(1, 1000), default=None,
              help="Copies of the 300 closed cases instead of --scale (the benchmark's mix)")
@click.option("--if-empty", is_flag=True, help="Load only if the database has no users at all")
@with_appcontext
def demo_data(scale: int, open_scale: int | None, closed_scale: int | None, if_empty: bool) -> None:
    """Load invented demo data (never real people). Refused in production."""
    import sys

    from flask import current_app

    from safehome.services import demo

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("demo data is never loaded in production")
    password = os.environ.get("SAFEHOME_DEMO_PASSWORD") or demo.DEMO_PASSWORD
    try:
        with click.progressbar(length=demo.work_size(scale, open_scale, closed_scale), label="demo data",
                               file=sys.stderr) as bar:
            result = demo.load_demo(db.session, SYSTEM, password=password, scale=scale, if_empty=if_empty,
                                    progress=bar.update, open_scale=open_scale, closed_scale=closed_scale)
    except DomainError as exc:
        _fail(exc)
    if not result.loaded:
        db.session.rollback()
        click.echo(f"nothing to do: {result.reason}")
        return
    db.session.commit()
    click.echo("demo data loaded: " + ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in result.counts.items()))
    shown = "from SAFEHOME_DEMO_PASSWORD" if os.environ.get("SAFEHOME_DEMO_PASSWORD") else demo.DEMO_PASSWORD
    click.echo(f"demo logins (password: {shown}): " + ", ".join(f"{email} ({role})" for email, role in result.logins))


@click.command("report")
@click.argument("name", type=click.Choice(list(reports.REPORTS)))
@click.option("--year", type=int, required=True, help="The year the financial year starts in (2026 = April 2026 to March 2027)")
@click.option("--quarter", type=click.IntRange(1, 4), required=True, help="1 = April to June ... 4 = January to March")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True, help="The file to write")
@click.option("--charts", type=click.Path(file_okay=False), default=None, help="Also write the charts as SVG files here")
@with_appcontext
def report(name: str, year: int, quarter: int, fmt: str, output: str, charts: str | None) -> None:
    """Write a report for a quarter, small numbers suppressed (the export is audited)."""
    from pathlib import Path

    from safehome.services.reports_base import Quarter

    try:
        period = Quarter.checked(year, quarter)
        files = [(Path(output), reports.export(db.session, SYSTEM, name, period, fmt))]
        if charts:
            files += [(Path(charts) / chart.filename, chart) for chart in reports.export_charts(db.session, SYSTEM, name, period)]
    except DomainError as exc:
        _fail(exc)
    for path, result in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(result.content)
    db.session.commit()
    click.echo(f"wrote {len(files)} file{'' if len(files) == 1 else 's'}: {', '.join(str(p) for p, _r in files)}")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(file: str) -> None:
    """Write a consistent copy of the database to FILE while the app runs (SQLite or PostgreSQL)."""
    from flask import current_app

    from safehome.services import backup

    try:
        backup.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.confirmation_option(prompt="This replaces everything in the database with the backup. Go on?")
@with_appcontext
def restore_command(file: str) -> None:
    """Replace the database's contents with the backup in FILE (stop the app's writers first)."""
    from flask import current_app

    from safehome.services import backup

    db.session.remove()
    db.engine.dispose()  # no pooled connection keeps the old database open
    try:
        backup.restore(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except DomainError as exc:
        _fail(exc)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    db.engine.dispose()
    click.echo(f"restored from {file}")


@click.command("anonymise-closed")
@click.option("--years", type=int, default=None, help="Cases closed longer ago than this (default: RETENTION_YEARS)")
@click.option("--dry-run", is_flag=True, help="Only count the cases that would be anonymised")
@with_appcontext
def anonymise_closed(years: int | None, dry_run: bool) -> None:
    """Anonymise closed cases past the retention period: people removed, counts kept."""
    from flask import current_app

    from safehome.services import retention

    try:
        years = current_app.config["RETENTION_YEARS"] if years is None else years
        result = retention.anonymise_closed(db.session, SYSTEM, years=years,
                                            key=current_app.config["SAFEHOME_DATA_KEY"], dry_run=dry_run)
    except DomainError as exc:
        _fail(exc)
    if dry_run:
        db.session.rollback()
        click.echo(f"{result.cases} closed case(s) before {result.cutoff.date().isoformat()} would be anonymised")
        return
    db.session.commit()
    click.echo(f"{result.cases} closed case(s) before {result.cutoff.date().isoformat()} anonymised")


@click.command("rotate-data-key")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Rows re-sealed in each transaction")
@with_appcontext
def rotate_data_key(batch_size: int) -> None:
    """Re-seal every sealed value under SAFEHOME_DATA_KEY; run again to finish a stopped run."""
    import sys

    from safehome import crypto
    from safehome.services import key_rotation

    try:
        with click.progressbar(length=key_rotation.values_to_reseal(db.session), label="re-sealing",
                               file=sys.stderr) as bar:
            result = key_rotation.rotate_data_key(db.session, SYSTEM, batch_size=batch_size, progress=bar.update)
    except crypto.SealError as exc:
        raise click.ClickException(f"{exc}. Values re-sealed so far stay done.") from None
    click.echo(f"{result.resealed} value{'' if result.resealed == 1 else 's'} re-sealed under key id {result.key_id}")
    if result.remaining:
        raise click.ClickException(f"{result.remaining} value(s) are still under another key (written by a server "
                                   "still sealing with the old key?): restart every server with the new key and run "
                                   "rotate-data-key again")
    click.echo("no value remains under an old key: SAFEHOME_OLD_DATA_KEYS can now be emptied")


COMMANDS = [create_user, create_token, purge_sessions, lapse_offers, load_areas, demo_data, report, backup_command,
            restore_command, anonymise_closed, rotate_data_key]
