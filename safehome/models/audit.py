"""The audit trail: who did or viewed what, when, from where."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safehome.codes import AuditAction
from safehome.models.base import Base, coded, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_record", "record_type", "record_id"),
        Index("ix_audit_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[AuditAction] = mapped_column(coded(AuditAction))
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[int | None]
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    # Codes and ids only; never names, addresses or free text about a person.
    detail: Mapped[str | None] = mapped_column(String(200))

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action.value}>"
