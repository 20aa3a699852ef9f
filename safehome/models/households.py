"""Households (cases), their members, referrals and housing needs assessments."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safehome.codes import (
    DASH_HIGH_RISK,
    DASH_MEDIUM_RISK,
    AssessmentAnswer,
    CaseStatus,
    CloseReason,
    Gender,
    ReferralSource,
    Risk,
    Tenure,
)
from safehome.models.base import Base, SealedJSON, coded, utcnow

household_excluded_areas = Table(
    "household_excluded_areas",
    Base.metadata,
    Column("household_id", ForeignKey("households.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("named_areas.id", ondelete="CASCADE"), primary_key=True),
)


def risk_of(dash_score: int | None, marac: bool) -> Risk:
    """The risk level the service works to: MARAC or DASH 14+ is high."""
    if marac or (dash_score is not None and dash_score >= DASH_HIGH_RISK):
        return Risk.HIGH
    if dash_score is not None and dash_score >= DASH_MEDIUM_RISK:
        return Risk.MEDIUM
    return Risk.STANDARD


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on ``day`` (a 29 February birthday turns over on 1 March)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


class Household(Base):
    """A case: the household referred to the service.

    ``reference`` is the unique code the referring service gave the person;
    it follows them across services and across repeat referrals, so it is
    not unique here (a person may have several cases over the years).
    """

    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint("dash_score IS NULL OR (dash_score >= 0 AND dash_score <= 24)", name="dash_score_range"),
        Index("ix_households_status_risk", "status", "risk"),
        # Counts over the open cases by worker and risk (the dashboard's "my open cases", the work lists'
        # caseload and high-risk counts) read this index alone, never the rows with their sealed columns.
        Index("ix_households_status_worker_risk", "status", "worker_id", "risk"),
        # The case list of open cases, or of a worker's cases, newest first, reads a page of one of these
        # (not every open case, or every case, sorted or filtered).
        Index("ix_households_status_opened", "status", "opened_at", "id"),
        Index("ix_households_worker_opened", "worker_id", "opened_at", "id"),
        # The work lists' "waiting longest" walk the open cases in this order and stop at the tenth.
        Index("ix_households_status_waiting", "status", "waiting_since", "opened_at", "id"),
        Index("ix_households_opened_at", "opened_at"),  # the quarterly return: cases opened and closed
        Index("ix_households_closed_at", "closed_at"),
        # One open case per reference: a second referral joins it (services/referrals.py), and two
        # workers taking the same reference at the same moment cannot open two cases.
        Index("uq_households_open_reference", "reference", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[CaseStatus] = mapped_column(coded(CaseStatus), default=CaseStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[CloseReason | None] = mapped_column(coded(CloseReason))
    reopened_at: Mapped[datetime | None]  # the last reopen; the whole history is in CaseStatusChange
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # indexed with opened_at, below

    dash_score: Mapped[int | None]
    marac: Mapped[bool] = mapped_column(default=False)
    # Derived from dash_score and marac by set_risk(); stored so lists can sort by it.
    risk: Mapped[Risk] = mapped_column(coded(Risk), default=Risk.STANDARD)

    pets: Mapped[list] = mapped_column(default=list)
    needs: Mapped[list] = mapped_column(default=list)
    languages: Mapped[list] = mapped_column(default=list)
    interpreter: Mapped[bool] = mapped_column(default=False)
    unit_types: Mapped[list | None]  # acceptable unit types; None = any temporary type
    tenure_at_entry: Mapped[Tenure] = mapped_column(coded(Tenure, "tenure_entry"), default=Tenure.UNKNOWN)
    consent_to_share: Mapped[bool] = mapped_column(default=False)
    equality: Mapped[dict] = mapped_column(default=dict)
    waiting_since: Mapped[date | None]

    # Confidential: sealed at rest, opened only by services that audit the view.
    address = mapped_column(SealedJSON("household.address"))  # {"line1", "line2", "town", "postcode"}
    home_location = mapped_column(SealedJSON("household.home_location"))  # {"lat", "lon"}
    avoid = mapped_column(SealedJSON("household.avoid"))  # [{"label", "lat", "lon", "km"}]
    # [{"label", "lat", "lon", "km", "weight", "known_to_perpetrator"}]
    prefer = mapped_column(SealedJSON("household.prefer"))
    # Whether the perpetrator knows the home (usually the home they shared or left): only places the perpetrator
    # knows keep a linked perpetrator request away (services/perpetrator.py); a secret one never shapes its outcome.
    home_known_to_perpetrator: Mapped[bool] = mapped_column(default=True, server_default=true())

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    members: Mapped[list[Member]] = relationship(
        back_populates="household", order_by="Member.position", cascade="all, delete-orphan"
    )
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="household", order_by="Referral.received_at", cascade="all, delete-orphan"
    )
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="household", order_by="Assessment.assessed_at", cascade="all, delete-orphan"
    )
    excluded_areas = relationship("NamedArea", secondary=household_excluded_areas, order_by="NamedArea.name")
    worker = relationship("User")

    def set_risk(self, dash_score: int | None, marac: bool) -> None:
        """Record the DASH score and MARAC flag, keeping ``risk`` in step."""
        self.dash_score = dash_score
        self.marac = marac
        self.risk = risk_of(dash_score, marac)

    @property
    def lead(self) -> Member | None:
        return self.members[0] if self.members else None

    @property
    def is_repeat(self) -> bool:
        """Any referral of this case came within 12 months of an earlier one of the same reference."""
        return any(referral.is_repeat for referral in self.referrals)

    def __repr__(self) -> str:
        return f"<Household {self.id}>"


class Member(Base):
    """A person in the household; position 0 is the lead person."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("household_id", "position", name="uq_members_household_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(120))
    birth_date: Mapped[date]
    gender: Mapped[Gender] = mapped_column(coded(Gender))

    household: Mapped[Household] = relationship(back_populates="members")

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day`` (a 29 February birthday turns over on 1 March)."""
        return age_on(self.birth_date, day)

    def __repr__(self) -> str:
        return f"<Member {self.id}>"


class Referral(Base):
    """One referral received: it opens a case, or joins the open case of the same reference."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_reference_received", "reference", "received_at"),
                      Index("ix_referrals_received_at", "received_at"))  # the quarterly return

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    source: Mapped[ReferralSource] = mapped_column(coded(ReferralSource))
    received_at: Mapped[datetime]
    referrer_agency: Mapped[str | None] = mapped_column(String(120))
    referrer_contact: Mapped[str | None] = mapped_column(String(200))
    is_repeat: Mapped[bool] = mapped_column(default=False)  # same reference referred within 12 months
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    household: Mapped[Household] = relationship(back_populates="referrals")

    def __repr__(self) -> str:
        return f"<Referral {self.id}>"


class Assessment(Base):
    """The housing needs assessment: can the household stay safely at home?"""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    safe_to_stay: Mapped[AssessmentAnswer] = mapped_column(coded(AssessmentAnswer, "answer_safe"))
    perpetrator_lives_there: Mapped[AssessmentAnswer] = mapped_column(coded(AssessmentAnswer, "answer_lives"))
    sanctuary_suitable: Mapped[AssessmentAnswer] = mapped_column(coded(AssessmentAnswer, "answer_sanctuary"))
    perpetrator_would_leave: Mapped[AssessmentAnswer] = mapped_column(coded(AssessmentAnswer, "answer_leave"))
    options_considered: Mapped[list] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    household: Mapped[Household] = relationship(back_populates="assessments")

    def __repr__(self) -> str:
        return f"<Assessment {self.id}>"
