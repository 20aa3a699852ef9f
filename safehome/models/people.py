"""The people who use SafeHome, and their API tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safehome.codes import Role
from safehome.models.base import Base, coded, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(coded(Role))
    # A provider user keeps only its own provider's units true.
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # Bumped on a password change or reset, deactivation or re-role: every live session ends.
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    provider = relationship("Provider")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # flask-login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class ApiToken(Base):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_token_hash", "token_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))  # shown in lists so a token can be recognised
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]  # every token expires (users.create_token bounds it)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}>"
