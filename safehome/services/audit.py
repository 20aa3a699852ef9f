"""Writing and reading the audit trail."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from safehome.codes import AuditAction
from safehome.models import AuditEvent
from safehome.models.base import utcnow
from safehome.services import Actor


_PENDING = "safehome.audit.pending"


def record(session: Session, actor: Actor, action: AuditAction, record_type: str | None = None,
           record_id: int | None = None, detail: str | None = None) -> AuditEvent:
    """Add one audit event, written with the request's commit. ``detail`` holds codes and ids only, never personal data.

    Written at the commit, not at once: on SQLite the first write of a transaction takes the
    database's one write lock until the commit, and a page that audits its own view (the case
    page) would otherwise hold it while it reads and renders, making every other writer wait.
    """
    event = AuditEvent(user_id=actor.user_id, action=action, record_type=record_type, record_id=record_id,
                       remote_addr=actor.remote_addr, detail=detail[:200] if detail else None, at=utcnow())
    session.info.setdefault(_PENDING, []).append(event)
    return event


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.add_all(pending)
        session.flush()


@event.listens_for(Session, "do_orm_execute")
def _write_pending_before_reading_the_log(state) -> None:
    """Whoever reads the audit log within the transaction sees its own events."""
    if state.is_select and state.session.info.get(_PENDING) and any(
            mapper.class_ is AuditEvent for mapper in state.all_mappers):
        _write_pending(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:  # a savepoint rolled back leaves the outer events
        session.info.pop(_PENDING, None)


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
