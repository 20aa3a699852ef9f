"""Taking a referral: it opens a case, or joins the open case of the same reference.

The reference is the unique code the referring service (Family, Victim &
Survivor; Perpetrator; another agency) gave the person. It follows them
through every contact, so it is how their history is found. Its shape:
2 to 10 letters, a dash, then 1 to 29 letters or digits (at most 40
characters), for example ``FVS-20240117`` or ``MARAC-A12``; it is stored
in capitals, so ``fvs-1`` and ``FVS-1`` are the same person.

A referral is a repeat when the same reference had a referral received in
the 12 calendar months before it, counted in UK dates: a referral on
10 March 2025 repeats one of 10 March 2024 or later. Twelve months before
29 February is 28 February of the year before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from safehome import UK_TIME
from safehome.codes import AuditAction, CaseStatus, ReferralSource
from safehome.errors import FieldProblem, ValidationError
from safehome.models import Household, Referral
from safehome.models.base import utcnow
from safehome.services import Actor, audit, households

REFERENCE_RE = re.compile(r"^[A-Z]{2,10}-[A-Z0-9]{1,29}$")
REFERENCE_HELP = "2 to 10 letters, a dash, then letters or digits, e.g. FVS-20240117"
REFERRAL_FIELDS = ("reference", "source", "received_at", "referrer_agency", "referrer_contact")
EARLIEST_RECEIVED = datetime(2000, 1, 1, tzinfo=timezone.utc)
# A referral keyed in as it arrives may carry a clock a few minutes ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)


def normalise_reference(text) -> str | None:
    """A reference in its stored form (capitals, no spaces around), or None if it is not one."""
    if not isinstance(text, str):
        return None
    reference = text.strip().upper()
    return reference if REFERENCE_RE.match(reference) else None


def twelve_months_before(day: date) -> date:
    """The same day a year earlier; 29 February goes to 28 February."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def is_repeat(session: Session, reference: str, received_at: datetime) -> bool:
    """Whether the reference had a referral received in the 12 months (UK dates) up to ``received_at``."""
    first_day = twelve_months_before(received_at.astimezone(UK_TIME).date())
    since = datetime.combine(first_day, time.min, UK_TIME).astimezone(timezone.utc)
    earlier = select(Referral.id).where(Referral.reference == reference, Referral.received_at >= since,
                                        Referral.received_at <= received_at).limit(1)
    return session.scalar(earlier) is not None


@dataclass(frozen=True)
class Intake:
    """The result of taking a referral."""

    referral: Referral
    household: Household
    joined: bool  # True when the referral joined an open case of the same reference


def _check_referral(session: Session, data: dict, *, now: datetime, geocoder: str
                    ) -> tuple[dict, households.CheckedDetails, list[FieldProblem]]:
    referral_data = {key: data[key] for key in REFERRAL_FIELDS if key in data}
    details, problems = households.check_details(
        session, {key: value for key, value in data.items() if key not in REFERRAL_FIELDS},
        today=households.today_uk(now), geocoder=geocoder)
    check = households.Checker(session, households.today_uk(now), geocoder)
    raw_reference = check.text("reference", referral_data.get("reference"), 40, required=True)
    reference = normalise_reference(raw_reference)
    if raw_reference and reference is None:
        check.fail("reference", f"must be {REFERENCE_HELP}")
    clean = {
        "reference": reference,
        "source": check.code("source", referral_data.get("source"), ReferralSource.codes()),
        "received_at": _received_at(check, referral_data.get("received_at"), now),
        "referrer_agency": check.text("referrer_agency", referral_data.get("referrer_agency"), 120),
        "referrer_contact": check.text("referrer_contact", referral_data.get("referrer_contact"), 200),
    }
    return clean, details, check.problems + problems


def _received_at(check, value, now: datetime) -> datetime | None:
    if value is None:
        return now
    if not isinstance(value, datetime) or value.tzinfo is None:
        return check.fail("received_at", "must be a date and time with its time zone")
    # Years first: arithmetic on an absurd year could overflow.
    if not EARLIEST_RECEIVED.year <= value.year <= now.year + 1 or value < EARLIEST_RECEIVED:
        return check.fail("received_at", "must be a date since 2000")
    if value > now + CLOCK_SKEW:
        return check.fail("received_at", "is in the future")
    return value


def referral_problems(session: Session, data: dict, *, now: datetime | None = None,
                      geocoder: str = "") -> list[FieldProblem]:
    """Every problem in a referral, without saving it (a form re-shown with other mistakes uses this)."""
    return _check_referral(session, data, now=now or utcnow(), geocoder=geocoder)[2]


def take_referral(session: Session, actor: Actor, data: dict, *, now: datetime | None = None,
                  geocoder: str = "") -> Intake:
    """Take a referral: open a case, or join the open case of the same reference.

    ``data`` holds the referral (reference, source, received_at,
    referrer_agency, referrer_contact) and the household's details (see
    ``households.check_details``). A referral joining an open case records
    the referral and the latest DASH score and MARAC flag on it; the case's
    other details stay as they are (edit the case to change them). Raises
    ValidationError naming every problem; nothing is written then.
    """
    now = now or utcnow()
    clean, details, problems = _check_referral(session, data, now=now, geocoder=geocoder)
    if problems:
        raise ValidationError("The referral was not saved.", problems)
    repeat = is_repeat(session, clean["reference"], clean["received_at"])
    household = session.scalar(select(Household).where(Household.reference == clean["reference"],
                                                       Household.status == CaseStatus.OPEN))
    joined = household is not None
    if joined:
        household.set_risk(details.values["dash_score"], details.values["marac"])
    else:
        household = Household(reference=clean["reference"], status=CaseStatus.OPEN, worker_id=actor.user_id,
                              waiting_since=clean["received_at"].astimezone(UK_TIME).date())
        households.apply_details(household, details)
        session.add(household)
        session.flush()
        audit.record(session, actor, AuditAction.CREATE, "household", household.id)
    referral = Referral(household=household, reference=clean["reference"], source=ReferralSource(clean["source"]),
                        received_at=clean["received_at"], referrer_agency=clean["referrer_agency"],
                        referrer_contact=clean["referrer_contact"], is_repeat=repeat, created_by_id=actor.user_id)
    session.add(referral)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "referral", referral.id,
                 f"household={household.id} repeat={repeat} joined={joined}")
    return Intake(referral, household, joined)


def history(session: Session, user, reference_text: str | None) -> list[Household]:
    """The cases of a reference the user may see, newest first; none if it is not a reference."""
    reference = normalise_reference(reference_text)
    return households.cases_of_reference(session, user, reference) if reference else []
