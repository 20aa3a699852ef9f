"""Writing and reading the audit trail."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from safehome.codes import AuditAction
from safehome.models import AuditEvent
from safehome.services import Actor


def record(session: Session, actor: Actor, action: AuditAction, record_type: str | None = None,
           record_id: int | None = None, detail: str | None = None) -> AuditEvent:
    """Add one audit event. ``detail`` holds codes and ids only, never personal data."""
    event = AuditEvent(user_id=actor.user_id, action=action, record_type=record_type, record_id=record_id,
                       remote_addr=actor.remote_addr, detail=detail[:200] if detail else None)
    session.add(event)
    session.flush()
    return event


def search(session: Session, *, user_id: int | None = None, record_type: str | None = None,
           record_id: int | None = None, day_from: date | None = None, day_to: date | None = None,
           action: AuditAction | None = None, limit: int = 200, offset: int = 0) -> list[AuditEvent]:
    """Audit events, newest first, filtered by user, record and date."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    if record_type:
        query = query.where(AuditEvent.record_type == record_type)
    if record_id is not None:
        query = query.where(AuditEvent.record_id == record_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if day_from is not None:
        query = query.where(AuditEvent.at >= datetime.combine(day_from, time.min, timezone.utc))
    if day_to is not None:
        query = query.where(AuditEvent.at < datetime.combine(day_to + timedelta(days=1), time.min, timezone.utc))
    return list(session.scalars(query.limit(limit).offset(offset)))
