"""Sign-in throttled by network address, on top of the per-account lockout in ``users.authenticate``.

Failures are rows in the database, so every worker process sees the same
count. An address with too many failures in the window is refused (429 with
Retry-After) whatever account it tries, before any password is checked.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from safehome.errors import DomainError
from safehome.models.base import utcnow
from safehome.models.people import User
from safehome.models.security import LoginFailure
from safehome.services import Actor, users


class Throttled(DomainError):
    """Too many failed sign-ins from this address; ``retry_after`` is in seconds."""

    status = 429

    def __init__(self, retry_after: int):
        super().__init__("Too many failed sign-ins from this network address. Try again later.")
        self.retry_after = retry_after


def retry_after(session: Session, address: str, *, max_failures: int, window_minutes: int,
                now: datetime | None = None) -> int:
    """Seconds until ``address`` may try again (0 if it may now)."""
    now = now or utcnow()
    since = now - timedelta(minutes=window_minutes)
    recent = select(LoginFailure.at).where(LoginFailure.address == address, LoginFailure.at > since)
    count = session.scalar(select(func.count()).select_from(recent.subquery()))
    if count < max_failures:
        return 0
    # The window slides: the address is free again once enough of its failures are older than it.
    oldest_counted = session.scalars(recent.order_by(LoginFailure.at.desc()).offset(max_failures - 1).limit(1)).one()
    return max(1, math.ceil((oldest_counted + timedelta(minutes=window_minutes) - now).total_seconds()))


def sign_in(session: Session, actor: Actor, email: str, password: str, *, max_failures: int, lock_minutes: int,
            address_max_failures: int, address_window_minutes: int, now: datetime | None = None) -> User | None:
    """``users.authenticate`` behind the address throttle. Raises Throttled; records each failure."""
    now = now or utcnow()
    address = (actor.remote_addr or "unknown")[:64]
    wait = retry_after(session, address, max_failures=address_max_failures, window_minutes=address_window_minutes,
                       now=now)
    if wait:
        raise Throttled(wait)
    user = users.authenticate(session, actor, email, password, max_failures=max_failures, lock_minutes=lock_minutes,
                              now=now)
    if user is None:
        # Rows older than the window count for nothing: drop this address's, keep the table small.
        session.execute(delete(LoginFailure).where(
            LoginFailure.address == address, LoginFailure.at <= now - timedelta(minutes=address_window_minutes)))
        session.add(LoginFailure(address=address, at=now))
        session.flush()
    return user
