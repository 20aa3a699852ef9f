"""The declarative base: naming convention, timestamps, sealed columns."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Enum, LargeBinary, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, registry

from safehome import crypto

# Stable constraint names, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now, for column defaults (called per row, not at import)."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite drops the offset; PostgreSQL keeps it. Both come back aware here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class SealedJSON(TypeDecorator):
    """A JSON value encrypted at rest (AES-GCM); loaded as a ``crypto.Sealed``.

    Reading the column never decrypts: only service code calls
    ``crypto.unseal`` on it, so a template or a log line can never print it.
    """

    impl = LargeBinary
    cache_ok = True

    def __init__(self, purpose: str):
        super().__init__()
        self.purpose = purpose  # bound into the ciphertext: a value cannot be moved to another column

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, crypto.Sealed):
            return value.token
        return crypto.seal(value, self.purpose).token

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return crypto.Sealed(bytes(value), self.purpose)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict: JSON, list: JSON},
    )


def coded(enum_cls, name: str | None = None) -> Enum:
    """A column type for a ``codes.Coded`` list: stored as its code, checked by the database."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        name=name or enum_cls.__name__.lower(),
    )
