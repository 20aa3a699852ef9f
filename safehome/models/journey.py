"""The rest of the housing journey: sanctuary installs, Housing Options, move-on, outcomes, case history.

Data and invariants only; the workflows (which state may follow which) are
in the services of the same names. Days in people's lives (installed,
surveyed, moved on, decided) are ``date``; the moments a record was written
are UTC timestamps.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safehome.codes import (
    CaseStatus,
    CloseReason,
    ConsentFrom,
    HousingDuty,
    HousingOptionsKind,
    HousingOptionsState,
    MoveOnBlocker,
    OtherHousingSolution,
    OutcomeMeasureKind,
    OutcomeStage,
    SanctuaryReviewStage,
    SanctuaryState,
    SanctuaryWorkKind,
    Surveyor,
)
from safehome.models.base import Base, coded, utcnow


# Sanctuary installs ------------------------------------------------------------

class SanctuaryInstall(Base):
    """Security measures fitted to a household's own home so they can stay there.

    Each step's date (and who or what did it) is kept on the install, so the
    life of one install reads as one row; the state says how far it has got.
    """

    __tablename__ = "sanctuary_installs"
    __table_args__ = (
        CheckConstraint("risk_dash_score IS NULL OR (risk_dash_score >= 0 AND risk_dash_score <= 24)",
                        name="risk_dash_score_range"),
        Index("ix_sanctuary_installs_state", "state"),
        Index("ix_sanctuary_installs_fire_checked_on", "fire_checked_on"),  # own homes secured in a quarter
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    state: Mapped[SanctuaryState] = mapped_column(coded(SanctuaryState), default=SanctuaryState.REQUESTED)
    requested_on: Mapped[date]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The DASH score the risk check relied on, copied so a later re-assessment does not rewrite history.
    risk_checked_on: Mapped[date | None]
    risk_dash_score: Mapped[int | None]
    consent_from: Mapped[ConsentFrom | None] = mapped_column(coded(ConsentFrom))
    consent_on: Mapped[date | None]
    surveyed_by: Mapped[Surveyor | None] = mapped_column(coded(Surveyor))
    surveyed_on: Mapped[date | None]
    works_ordered_on: Mapped[date | None]
    installed_on: Mapped[date | None]
    fire_checked_on: Mapped[date | None]
    fire_checked_by: Mapped[str | None] = mapped_column(String(120))  # the fire service station or officer
    ended_on: Mapped[date | None]
    equipment_removed: Mapped[bool] = mapped_column(default=False)
    withdrawn_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    household = relationship("Household")
    works: Mapped[list[SanctuaryWork]] = relationship(
        back_populates="install", order_by="SanctuaryWork.id", cascade="all, delete-orphan")
    reviews: Mapped[list[SanctuaryReview]] = relationship(
        back_populates="install", order_by="SanctuaryReview.due_on", cascade="all, delete-orphan")

    @property
    def total_cost(self) -> Decimal:
        return sum((w.cost for w in self.works), Decimal("0"))

    def __repr__(self) -> str:
        return f"<SanctuaryInstall {self.id} {self.state.value}>"


class SanctuaryWork(Base):
    """One item of work on a sanctuary install: what, by which contractor, when, for how much."""

    __tablename__ = "sanctuary_works"
    __table_args__ = (
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        CheckConstraint("fitted_on IS NULL OR fitted_on >= ordered_on", name="fitted_after_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    install_id: Mapped[int] = mapped_column(ForeignKey("sanctuary_installs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SanctuaryWorkKind] = mapped_column(coded(SanctuaryWorkKind))
    contractor: Mapped[str] = mapped_column(String(120))
    ordered_on: Mapped[date]
    fitted_on: Mapped[date | None]
    cost: Mapped[Decimal] = mapped_column(Numeric(9, 2), default=Decimal("0"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    install: Mapped[SanctuaryInstall] = relationship(back_populates="works")

    def __repr__(self) -> str:
        return f"<SanctuaryWork {self.id} {self.kind.value}>"


class SanctuaryReview(Base):
    """A review due at 3 or 6 months after installation; ``done_on`` empty until it happens."""

    __tablename__ = "sanctuary_reviews"
    __table_args__ = (
        UniqueConstraint("install_id", "stage", name="uq_sanctuary_reviews_install_stage"),
        # Work lists look for reviews not yet done, by due date.
        Index("ix_sanctuary_reviews_open_due", "due_on",
              sqlite_where=text("done_on IS NULL"), postgresql_where=text("done_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    install_id: Mapped[int] = mapped_column(ForeignKey("sanctuary_installs.id", ondelete="CASCADE"))
    stage: Mapped[SanctuaryReviewStage] = mapped_column(coded(SanctuaryReviewStage))
    due_on: Mapped[date]
    done_on: Mapped[date | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    equipment_working: Mapped[bool | None]

    install: Mapped[SanctuaryInstall] = relationship(back_populates="reviews")

    def __repr__(self) -> str:
        return f"<SanctuaryReview {self.id} {self.stage.value}>"


# Housing Options -----------------------------------------------------------------

class HousingOptionsRequest(Base):
    """A case sent to the council's Housing Options team, and their answer."""

    __tablename__ = "housing_options_requests"
    __table_args__ = (
        # A request for another housing solution says which, as a code (the return counts codes); others have none.
        CheckConstraint("(kind = 'other' AND other_solution IS NOT NULL) OR (kind != 'other' AND other_solution IS NULL)",
                        name="other_solution_coded"),
        CheckConstraint("answered_on IS NULL OR state != 'requested'", name="answered_not_waiting"),
        Index("ix_housing_options_requests_state", "state", "requested_at"),
        Index("ix_housing_options_requests_answered", "state", "answered_on"),  # confirmed in a quarter
        # The queue's "every request" pages, oldest first (id after it: SQLite's rowid, PostgreSQL's key).
        Index("ix_housing_options_requests_requested_at", "requested_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    kind: Mapped[HousingOptionsKind] = mapped_column(coded(HousingOptionsKind))
    other_solution: Mapped[OtherHousingSolution | None] = mapped_column(coded(OtherHousingSolution))
    # The worker's own words on the other solution, for the case only: never counted or reported.
    other_detail: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[HousingOptionsState] = mapped_column(coded(HousingOptionsState),
                                                       default=HousingOptionsState.REQUESTED)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)  # from the housing worker to Housing Options
    # The answer: confirmed or refused, on which day, by whom, and why.
    answered_on: Mapped[date | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answer_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    household = relationship("Household")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    decisions: Mapped[list[HousingOptionsDecision]] = relationship(
        back_populates="request", order_by="HousingOptionsDecision.decided_on", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<HousingOptionsRequest {self.id} {self.state.value}>"


class HousingOptionsDecision(Base):
    """A decision Housing Options records on a request (the duty owed, a transfer approved...)."""

    __tablename__ = "housing_options_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("housing_options_requests.id", ondelete="CASCADE"),
                                            index=True)
    decision: Mapped[HousingDuty] = mapped_column(coded(HousingDuty))
    decided_on: Mapped[date]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[HousingOptionsRequest] = relationship(back_populates="decisions")

    def __repr__(self) -> str:
        return f"<HousingOptionsDecision {self.id} {self.decision.value}>"


# Move-on -------------------------------------------------------------------------

class MoveOnPlan(Base):
    """The plan to move a household on from one stay in temporary accommodation to a settled home.

    One plan per placement. The move on itself (the day, planned or not, where
    to and the tenure at exit) is the placement's move out, kept once, on the
    placement; the plan reads it from there.
    """

    __tablename__ = "move_on_plans"
    __table_args__ = (
        UniqueConstraint("placement_id", name="uq_move_on_plans_placement_id"),
        Index("ix_move_on_plans_target", "target_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="CASCADE"))
    target_on: Mapped[date]
    ready_on: Mapped[date | None]  # the day the household was ready to move
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    household = relationship("Household")
    placement = relationship("Placement")
    blockers: Mapped[list[MoveOnBlock]] = relationship(
        back_populates="plan", order_by="MoveOnBlock.since", cascade="all, delete-orphan")

    @property
    def moved_in_on(self) -> date | None:
        return self.placement.moved_in_on

    @property
    def moved_on_on(self) -> date | None:
        return self.placement.moved_out_on

    @property
    def open_blockers(self) -> list[MoveOnBlock]:
        return [b for b in self.blockers if b.cleared_on is None]

    def __repr__(self) -> str:
        return f"<MoveOnPlan {self.id}>"


class MoveOnBlock(Base):
    """A reason the household cannot move on yet, from ``since`` until ``cleared_on``."""

    __tablename__ = "move_on_blocks"
    __table_args__ = (
        CheckConstraint("reason != 'other' OR detail IS NOT NULL", name="other_needs_detail"),
        CheckConstraint("cleared_on IS NULL OR cleared_on >= since", name="cleared_after_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("move_on_plans.id", ondelete="CASCADE"), index=True)
    reason: Mapped[MoveOnBlocker] = mapped_column(coded(MoveOnBlocker))
    detail: Mapped[str | None] = mapped_column(String(200))
    since: Mapped[date]
    cleared_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[MoveOnPlan] = relationship(back_populates="blockers")

    def __repr__(self) -> str:
        return f"<MoveOnBlock {self.id} {self.reason.value}>"


# Outcomes and the case's history ---------------------------------------------------

class OutcomeMeasure(Base):
    """One outcome measured at intake, review or exit: a 1-5 score, or yes/no, never both."""

    __tablename__ = "outcome_measures"
    __table_args__ = (
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),
        CheckConstraint("(score IS NULL) != (achieved IS NULL)", name="score_or_achieved"),
        # A household's measures; with id and score, the return's "first intake score" reads the index alone.
        Index("ix_outcome_measures_household_first", "household_id", "stage", "kind", "measured_on", "id", "score"),
        # Exits in a quarter, with what the return counts of them: read from the index alone.
        Index("ix_outcome_measures_stage_kind_on_scores", "stage", "kind", "measured_on", "household_id", "score",
              "achieved"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    stage: Mapped[OutcomeStage] = mapped_column(coded(OutcomeStage))
    kind: Mapped[OutcomeMeasureKind] = mapped_column(coded(OutcomeMeasureKind))
    score: Mapped[int | None]
    achieved: Mapped[bool | None]
    measured_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by = relationship("User")

    def __repr__(self) -> str:
        return f"<OutcomeMeasure {self.id} {self.stage.value} {self.kind.value}>"


class CaseStatusChange(Base):
    """Every close and reopen of a case, so "cases closed this quarter" survives a reopen."""

    __tablename__ = "case_status_changes"
    __table_args__ = (
        CheckConstraint("(status = 'closed') = (reason IS NOT NULL)", name="closed_with_reason"),
        Index("ix_case_status_changes_household_at", "household_id", "at"),
        # Closes and reopens in a quarter, and their cases, from the index alone.
        Index("ix_case_status_changes_status_at_household", "status", "at", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    status: Mapped[CaseStatus] = mapped_column(coded(CaseStatus))
    reason: Mapped[CloseReason | None] = mapped_column(coded(CloseReason))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    by_user = relationship("User")

    def __repr__(self) -> str:
        return f"<CaseStatusChange {self.id} {self.status.value}>"
