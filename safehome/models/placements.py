"""Placements: a household in a unit, the events of its life, and the batch match runs.

The workflow (which moves are allowed, who may make them) is in
``services/placements.py``; the invariant the database can hold is held here:
a unit has at most one live placement (offered, accepted or moved in), by a
partial unique index, so two people clicking at the same moment cannot both win.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safehome.codes import (
    LIVE_PLACEMENT_STATES,
    DecisionBy,
    DeclineReason,
    MatchRunStatus,
    PlacementSource,
    PlacementState,
    Tenure,
)
from safehome.models.base import Base, coded, utcnow

_LIVE = text("state IN ({})".format(", ".join(f"'{s.value}'" for s in LIVE_PLACEMENT_STATES)))


class Placement(Base):
    """One household's placement in one unit, from the offer to moving out."""

    __tablename__ = "placements"
    __table_args__ = (
        # No double booking: one live placement per unit, whatever two people click at once.
        Index("uq_placements_live_unit", "unit_id", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("ix_placements_household_state", "household_id", "state"),
        Index("ix_placements_state_expires", "state", "expires_at"),
        # The reports: moves in, moves out and offers in a quarter.
        Index("ix_placements_moved_in_on", "moved_in_on"),
        Index("ix_placements_moved_out_on", "moved_out_on"),
        Index("ix_placements_offered_at", "offered_at"),
        CheckConstraint("decline_reason IS NULL OR state = 'declined'", name="decline_reason_only_declined"),
        CheckConstraint("moved_out_on IS NULL OR moved_in_on IS NOT NULL", name="moved_out_after_in"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    state: Mapped[PlacementState] = mapped_column(coded(PlacementState), default=PlacementState.SUGGESTED)
    source: Mapped[PlacementSource] = mapped_column(coded(PlacementSource), default=PlacementSource.HAND)
    match_run_id: Mapped[int | None] = mapped_column(ForeignKey("match_runs.id"), index=True)
    # The engine's fit when offered, and why (caseworker words, no locations or names).
    fit: Mapped[float | None]
    why: Mapped[list] = mapped_column(default=list)

    offered_at: Mapped[datetime | None]
    offered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime | None]  # the hold: an offer unanswered by then lapses
    decided_at: Mapped[datetime | None]
    decision_by: Mapped[DecisionBy | None] = mapped_column(coded(DecisionBy))
    decline_reason: Mapped[DeclineReason | None] = mapped_column(coded(DeclineReason))
    decline_note: Mapped[str | None] = mapped_column(Text)
    moved_in_on: Mapped[date | None]
    moved_out_on: Mapped[date | None]
    move_out_planned: Mapped[bool | None]
    destination: Mapped[str | None] = mapped_column(String(200))  # the kind of place, never an address
    exit_tenure: Mapped[Tenure | None] = mapped_column(coded(Tenure, "tenure_exit_placement"))
    # A manager's override of a soft preference (or of the one-live-offer rule), with the reason.
    override_reason: Mapped[str | None] = mapped_column(Text)
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    household = relationship("Household")
    unit = relationship("Unit")
    offered_by = relationship("User", foreign_keys=[offered_by_id])
    events: Mapped[list[PlacementEvent]] = relationship(
        back_populates="placement", order_by="PlacementEvent.id", cascade="all, delete-orphan")

    @property
    def live(self) -> bool:
        return self.state in LIVE_PLACEMENT_STATES

    def __repr__(self) -> str:
        return f"<Placement {self.id} {self.state.value}>"


class PlacementEvent(Base):
    """One move of a placement's state: who, when, from, to, and a note."""

    __tablename__ = "placement_events"
    __table_args__ = (Index("ix_placement_events_household_at", "household_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="CASCADE"), index=True)
    # Kept on the event so a household's whole story is one indexed read.
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system (a lapse)
    from_state: Mapped[PlacementState | None] = mapped_column(coded(PlacementState, "placementstate_from"))
    to_state: Mapped[PlacementState] = mapped_column(coded(PlacementState, "placementstate_to"))
    note: Mapped[str | None] = mapped_column(Text)

    placement: Mapped[Placement] = relationship(back_populates="events")
    by_user = relationship("User")

    def __repr__(self) -> str:
        return f"<PlacementEvent {self.id}>"


class MatchRun(Base):
    """One batch match: who ran it, over how much, how it went, and what it proposed.

    ``proposals`` is a list of ``{"household_id", "unit_id", "fit", "why"}`` (ids and engine
    words only); ``unplaced`` maps a household id (as a string) to the engine's
    ``{"reason", "detail"}``. Offers go out only when a manager approves.

    Waiting perpetrator-accommodation requests are matched in the same run (so the engine keeps
    each apart from its victim): ``perpetrator_proposals`` is a list of ``{"request_id", "unit_id",
    "fit", "why"}`` and ``perpetrator_unplaced`` maps a request id (as a string) to the engine's
    ``{"reason", "detail"}``. Only managers see a run; the perpetrator service never does.
    """

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[MatchRunStatus] = mapped_column(coded(MatchRunStatus), default=MatchRunStatus.QUEUED)
    households: Mapped[int] = mapped_column(default=0)  # the inputs' sizes
    units: Mapped[int] = mapped_column(default=0)
    solver_status: Mapped[str | None] = mapped_column(String(20))
    objective: Mapped[dict | None]  # {"high_risk_placed", "placed", "fit"}
    seconds: Mapped[float | None]
    proposals: Mapped[list] = mapped_column(default=list)
    unplaced: Mapped[dict] = mapped_column(default=dict)
    perpetrator_proposals: Mapped[list] = mapped_column(default=list, server_default=text("'[]'"))
    perpetrator_unplaced: Mapped[dict] = mapped_column(default=dict, server_default=text("'{}'"))
    error: Mapped[str | None] = mapped_column(String(200))  # an exception's type, never data
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    started_by = relationship("User", foreign_keys=[started_by_id])

    def __repr__(self) -> str:
        return f"<MatchRun {self.id} {self.status.value}>"
