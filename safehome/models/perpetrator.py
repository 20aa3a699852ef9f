"""Perpetrator accommodation: requests from the perpetrator service, and the events of their life.

The workflow is in ``services/perpetrator.py``. Held here: a perpetrator unit has
at most one live request (matched, accepted or moved in), by a partial unique index.
Victims never take perpetrator units (the engine's rule 1, checked on every offer),
so this index alone keeps a perpetrator unit from being given twice.

``household_id`` is the victim's case that the reference given on filing links to,
found by the server. It is never shown to the perpetrator service, nor is anything
else about the victim: not even whether the reference linked to anything.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safehome.codes import LIVE_PERPETRATOR_STATES, Gender, MappaLevel, PerpetratorState, PerpetratorStopReason
from safehome.models.base import Base, SealedJSON, coded, utcnow

_LIVE = text("state IN ({})".format(", ".join(f"'{s.value}'" for s in LIVE_PERPETRATOR_STATES)))

perpetrator_request_excluded_areas = Table(
    "perpetrator_request_excluded_areas",
    Base.metadata,
    Column("request_id", ForeignKey("perpetrator_requests.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("named_areas.id", ondelete="CASCADE"), primary_key=True),
)


class PerpetratorRequest(Base):
    """A request for alternative accommodation for a perpetrator, so the victim can stay at home."""

    __tablename__ = "perpetrator_requests"
    __table_args__ = (
        # No double booking: one live request per perpetrator unit, whatever two managers click at once.
        Index("uq_perpetrator_requests_live_unit", "unit_id", unique=True, sqlite_where=_LIVE,
              postgresql_where=_LIVE),
        Index("ix_perpetrator_requests_state", "state"),
        CheckConstraint("safe_km IS NULL OR (safe_km >= 0.5 AND safe_km <= 200)", name="safe_km_range"),
        CheckConstraint("moved_out_on IS NULL OR moved_in_on IS NOT NULL", name="moved_out_after_in"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The victim's reference as the perpetrator service gave it (normalised), and the case it links to.
    victim_reference: Mapped[str] = mapped_column(String(40), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL"), index=True)

    # The person: one adult.
    client_reference: Mapped[str | None] = mapped_column(String(40))  # the perpetrator service's own case number
    birth_date: Mapped[date]
    gender: Mapped[Gender] = mapped_column(coded(Gender, "gender_perpetrator"))
    needs: Mapped[list] = mapped_column(default=list)
    pets: Mapped[list] = mapped_column(default=list)
    languages: Mapped[list] = mapped_column(default=list)

    # Risk.
    marac: Mapped[bool] = mapped_column(default=False)
    under_probation: Mapped[bool] = mapped_column(default=False)
    mappa_level: Mapped[MappaLevel] = mapped_column(coded(MappaLevel), default=MappaLevel.NONE)
    court_conditions: Mapped[str | None] = mapped_column(Text)
    # Exclusion zones drawn by hand (GeoJSON polygons): sealed, they can outline where the victim lives.
    exclusion_zones = mapped_column(SealedJSON("perpetrator_request.exclusion_zones"))

    needed_from: Mapped[date]
    # How far from the victim's places the unit must be, set by the housing side (None: the default).
    safe_km: Mapped[float | None]

    state: Mapped[PerpetratorState] = mapped_column(coded(PerpetratorState), default=PerpetratorState.FILED)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    matched_at: Mapped[datetime | None]
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moved_in_on: Mapped[date | None]
    moved_out_on: Mapped[date | None]
    # Closed by the Safe Home service (a manager, or the victim's housing worker flagging it unsafe): who, when,
    # the coded reason and a note. Never shown to the perpetrator service, which sees one state for every stop.
    stopped_at: Mapped[datetime | None]
    stopped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stop_reason: Mapped[PerpetratorStopReason | None] = mapped_column(coded(PerpetratorStopReason))
    stop_note: Mapped[str | None] = mapped_column(Text)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    filed_by = relationship("User", foreign_keys=[filed_by_id])
    household = relationship("Household")
    unit = relationship("Unit")
    excluded_areas = relationship("NamedArea", secondary=perpetrator_request_excluded_areas,
                                  order_by="NamedArea.name")
    events: Mapped[list[PerpetratorRequestEvent]] = relationship(
        back_populates="request", order_by="PerpetratorRequestEvent.id", cascade="all, delete-orphan")

    @property
    def live(self) -> bool:
        return self.state in LIVE_PERPETRATOR_STATES

    def __repr__(self) -> str:
        return f"<PerpetratorRequest {self.id} {self.state.value}>"


class PerpetratorRequestEvent(Base):
    """One move of a request's state: who, when, from, to, and a note (the housing side's words)."""

    __tablename__ = "perpetrator_request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("perpetrator_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_state: Mapped[PerpetratorState | None] = mapped_column(coded(PerpetratorState, "perpetratorstate_from"))
    to_state: Mapped[PerpetratorState] = mapped_column(coded(PerpetratorState, "perpetratorstate_to"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    note: Mapped[str | None] = mapped_column(Text)

    request: Mapped[PerpetratorRequest] = relationship(back_populates="events")
    by_user = relationship("User")

    def __repr__(self) -> str:
        return f"<PerpetratorRequestEvent {self.id}>"
