"""Sign-in failures counted by network address, and browser sessions, shared by every worker through the database."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from safehome.models.base import Base, utcnow


class LoginFailure(Base):
    """One failed sign-in from an address. Holds no email: the address alone is throttled."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<LoginFailure {self.id}>"


class _LegacyQuery:
    """``Model.query``, which Flask-Session's store reads rows through: Flask-SQLAlchemy gives that
    property to ``db.Model`` classes only, and ours derive from ``Base``."""

    def __get__(self, _instance, cls):
        from safehome.extensions import db  # here, not at import: the extensions import the models

        return db.session.query(cls)


class WebSession(Base):
    """A browser session, kept on the server by Flask-Session (``auth_session.SessionStore``).

    The cookie carries only a random id; this row is keyed by its SHA-256, so the table (or a
    backup of it) holds no cookie that would sign anyone in. Deleting the row ends the session.
    ``expiry`` is naive UTC because Flask-Session compares it with ``datetime.utcnow()``.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(255), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expiry: Mapped[datetime] = mapped_column(DateTime(), index=True)

    query = _LegacyQuery()

    def __repr__(self) -> str:
        return f"<WebSession {self.id}>"
