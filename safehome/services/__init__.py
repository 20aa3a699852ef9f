"""The rules of the service. Plain functions: the session, the actor and the data in.

Services flush; the request boundary (or the CLI command) commits.
"""
from __future__ import annotations

from dataclasses import dataclass

from safehome.models import User


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where (for the audit trail)."""

    user: User | None
    remote_addr: str | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None


SYSTEM = Actor(user=None, remote_addr="system")
