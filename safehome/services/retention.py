"""Retention: closed cases older than the retention period keep their numbers and lose their people.

A case closed more than ``years`` ago is anonymised in place: names,
addresses, home location, places to avoid or prefer, the referrer's contact
and every free-text note about the household are removed. Codes, dates,
counts and outcomes stay, so past returns add up exactly as before. The
reference becomes a keyed hash (HMAC with the data key): the same reference
always gives the same hash, so repeat referrals still count as repeats, but
the hash cannot be turned back into a reference by guessing its pattern.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from safehome.codes import AuditAction, CaseStatus
from safehome.errors import ValidationError
from safehome.models import (
    Assessment,
    CaseStatusChange,
    Household,
    HousingOptionsDecision,
    HousingOptionsRequest,
    Member,
    MoveOnBlock,
    MoveOnPlan,
    Placement,
    PlacementEvent,
    Referral,
)
from safehome.models.base import utcnow
from safehome.services import Actor, audit

ANON_PREFIX = "ANON-"


@dataclass(frozen=True)
class RetentionResult:
    cases: int       # cases anonymised (or, in a dry run, that would be)
    cutoff: datetime
    dry_run: bool


def anonymous_reference(reference: str, key: str) -> str:
    """The stable stand-in for a case reference: same reference, same hash; not reversible without the key."""
    digest = hmac.new(key.encode(), reference.strip().upper().encode(), hashlib.sha256).hexdigest()
    return ANON_PREFIX + digest[:20]


def anonymise_closed(session: Session, actor: Actor, *, years: int, key: str, dry_run: bool = False,
                     now: datetime | None = None) -> RetentionResult:
    """Anonymise every case closed more than ``years`` ago that is not anonymised yet. Flushes."""
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 100:
        raise ValidationError.one("years", "must be a whole number of years from 1 to 100")
    cutoff = (now or utcnow()) - timedelta(days=round(years * 365.25))
    ids = list(session.scalars(select(Household.id).where(
        Household.status == CaseStatus.CLOSED, Household.closed_at < cutoff,
        Household.reference.not_like(f"{ANON_PREFIX}%")).order_by(Household.id)))
    if not dry_run and ids:
        for start in range(0, len(ids), 500):  # stay under every database's bound-parameter limit
            _anonymise(session, ids[start:start + 500], key)
        audit.record(session, actor, AuditAction.UPDATE, "household", None,
                     f"retention: {len(ids)} closed cases anonymised (closed before {cutoff.date().isoformat()})")
        session.flush()
    return RetentionResult(cases=len(ids), cutoff=cutoff, dry_run=dry_run)


def _anonymise(session: Session, ids: list[int], key: str) -> None:
    for household in session.scalars(select(Household).where(Household.id.in_(ids))):
        household.reference = anonymous_reference(household.reference, key)
        household.address = None
        household.home_location = None
        household.avoid = []
        household.prefer = []
    for referral in session.scalars(select(Referral).where(Referral.household_id.in_(ids))):
        referral.reference = anonymous_reference(referral.reference, key)
        referral.referrer_contact = None
    placements = select(Placement.id).where(Placement.household_id.in_(ids))
    requests = select(HousingOptionsRequest.id).where(HousingOptionsRequest.household_id.in_(ids))
    plans = select(MoveOnPlan.id).where(MoveOnPlan.household_id.in_(ids))
    for statement in (
        update(Member).where(Member.household_id.in_(ids)).values(name=None),
        update(Assessment).where(Assessment.household_id.in_(ids)).values(notes=None),
        update(Placement).where(Placement.household_id.in_(ids)).values(decline_note=None, override_reason=None),
        update(PlacementEvent).where(PlacementEvent.placement_id.in_(placements)).values(note=None),
        update(HousingOptionsRequest).where(HousingOptionsRequest.household_id.in_(ids))
        .values(note=None, answer_reason=None, other_detail=None),
        update(HousingOptionsDecision).where(HousingOptionsDecision.request_id.in_(requests)).values(note=None),
        update(MoveOnBlock).where(MoveOnBlock.plan_id.in_(plans)).values(detail=None),
        update(CaseStatusChange).where(CaseStatusChange.household_id.in_(ids)).values(note=None),
    ):
        session.execute(statement.execution_options(synchronize_session=False))
