"""Command-line tools: thin wrappers over the services, each committing once."""
from __future__ import annotations

import os

import click
from flask.cli import with_appcontext

from safehome.errors import DomainError
from safehome.extensions import db
from safehome.services import SYSTEM, users


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
@click.option("--days", type=int, default=90, help="Days until it expires")
@with_appcontext
def create_token(email: str, name: str, days: int) -> None:
    """Create an API token for a user; the token is the last line printed."""
    from sqlalchemy import func, select

    from safehome.models import User

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise click.ClickException("no such user")
    try:
        _, secret = users.create_token(db.session, SYSTEM, user, name, days)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"token for user {user.id}, shown once:")
    click.echo(secret)


COMMANDS = [create_user, create_token]
