"""The inventory: providers, their sites, the units on them, named areas."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, Numeric, String, UniqueConstraint,
                        select, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safehome.codes import SiteKind, UnitStatus, UnitType
from safehome.models.base import Base, SealedJSON, coded, utcnow


class Provider(Base):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sites: Mapped[list[Site]] = relationship(back_populates="provider")

    def __repr__(self) -> str:
        return f"<Provider {self.id}>"


class Site(Base):
    """A building or address. Units in one refuge share a site.

    The address and the point are sealed: a refuge's location is the most
    sensitive fact the system holds. ``area`` (the local authority) is kept in
    the clear so the vacancy board can filter without opening locations.

    ``kind``: a site houses victims or perpetrators, never both. Each unit keeps a
    copy (``Unit.site_kind``) held to it by a foreign key on (id, kind), and a check
    on the unit ties the perpetrator type to the perpetrator kind, so no row, however
    written, puts a perpetrator unit on a site that houses victims (or the reverse).
    The distance between the two kinds is kept by ``services/segregation.py``.
    """

    __tablename__ = "sites"
    # Found by name within a provider (forms, CSV import), so a name names one site.
    __table_args__ = (
        UniqueConstraint("provider_id", "name", name="uq_sites_provider_name"),
        # The vacancy board's choice of areas, read from this index alone.
        Index("ix_sites_live_area", "area",
              sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),
        # What the units' foreign key on (site_id, site_kind) refers to.
        Index("uq_sites_id_kind", "id", "kind", unique=True),
        # The live sites of one kind and their version, read from this index alone (services/segregation.py).
        Index("ix_sites_live_kind", "kind", "updated_at", "id",
              sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    area: Mapped[str] = mapped_column(String(80), index=True)
    # The postcode district ("LE2"): coarse enough to show on the vacancy board, where the
    # sealed address and point are not.
    district: Mapped[str] = mapped_column(String(8), default="")
    # A row written without a kind houses victims: then no perpetrator unit can go on it.
    kind: Mapped[SiteKind] = mapped_column(coded(SiteKind), default=SiteKind.VICTIM,
                                           server_default=SiteKind.VICTIM.value)
    address = mapped_column(SealedJSON("site.address"), nullable=False)  # {"line1", "line2", "town", "postcode"}
    location = mapped_column(SealedJSON("site.location"), nullable=False)  # {"lat", "lon"}
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by every change through the ORM or a Core UPDATE: the segregation rule keeps the live sites'
    # points for their version (services/segregation.py).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    provider: Mapped[Provider] = relationship(back_populates="sites")
    units: Mapped[list[Unit]] = relationship(back_populates="site", foreign_keys="Unit.site_id")

    def __repr__(self) -> str:
        return f"<Site {self.id}>"


def _from_site(column):
    """A column default: ``column`` of the unit's site (or its provider), read when a unit is inserted without it."""
    sites, providers = Site.__table__, Provider.__table__

    def default(context):
        site_id = context.get_current_parameters()["site_id"]
        return context.connection.scalar(select(column).select_from(sites.join(providers))
                                         .where(sites.c.id == site_id))
    return default


class Unit(Base):
    """A place that takes one household: a refuge room, a flat, a bedsit.

    ``site_area``, ``site_name`` and ``provider_name`` copy the site's area and name
    and its provider's name, so that one index serves the vacancy board's order
    (area, then site) and another the units list's (provider, site), and a page
    reads only its rows. They are filled on insert (``_from_site``) and kept true
    by ``services.inventory.update_site`` and ``update_provider``, the only places
    those names change. ``site_kind`` copies the site's kind and is held to it by
    the database (see ``Site``).
    """

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint("bedspaces >= 1", name="bedspaces_positive"),
        CheckConstraint("bedrooms >= 0", name="bedrooms_not_negative"),
        CheckConstraint("max_male_age IS NULL OR (max_male_age >= 0 AND max_male_age <= 120)", name="max_male_age_range"),
        CheckConstraint("weekly_cost >= 0", name="weekly_cost_not_negative"),
        UniqueConstraint("site_id", "name", name="uq_units_site_name"),
        # A perpetrator unit only on a site housing perpetrators, any other type only on one housing victims.
        ForeignKeyConstraint(["site_id", "site_kind"], ["sites.id", "sites.kind"], name="fk_units_site_kind_sites"),
        CheckConstraint("(type = 'perpetrator' AND site_kind = 'perpetrator') "
                        "OR (type <> 'perpetrator' AND site_kind = 'victim')", name="kind_matches_site"),
        Index("ix_units_status_type", "status", "type"),
        # The vacancy board reads live units by status and the day they free: a partial index
        # keeps retired units (which only grow) out of its way. With it and the next one the board's
        # counts by type and the units list's total are read from an index alone: type and site_id
        # for the counts and the provider's scope, retired_at because SQLite reads it from the
        # index's columns, not from its partial WHERE.
        Index("ix_units_live_status_frees", "status", "frees_on", "type", "site_id", "retired_at",
              sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),
        Index("ix_units_live_status_type", "status", "type", "site_id", "retired_at",
              sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),
        # The board's two orders, so a page reads only its own rows: free now by area, site and
        # unit name; freeing soon by day, then the same. (site_id, name) is unique, so no id is needed.
        Index("ix_units_board_now", "status", "site_area", "site_name", "site_id", "name",
              sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),
        Index("ix_units_list", "provider_name", "site_name", "site_id", "name",
              sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),
        Index("ix_units_board_soon", "frees_on", "site_area", "site_name", "site_id", "name",
              sqlite_where=text("retired_at IS NULL AND frees_on IS NOT NULL"),
              postgresql_where=text("retired_at IS NULL AND frees_on IS NOT NULL")),
        # The matching engine's cached unit pool asks for the latest change and the units changed
        # since (services/inventory.py, inventory_version) before every suggestion and every count kept by it.
        Index("ix_units_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    type: Mapped[UnitType] = mapped_column(coded(UnitType))
    bedspaces: Mapped[int]
    bedrooms: Mapped[int] = mapped_column(default=1)
    lead_genders: Mapped[list] = mapped_column(default=list)
    max_male_age: Mapped[int | None]
    pets: Mapped[list] = mapped_column(default=list)
    features: Mapped[list] = mapped_column(default=list)
    languages: Mapped[list] = mapped_column(default=list)
    weekly_cost: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    status: Mapped[UnitStatus] = mapped_column(coded(UnitStatus), default=UnitStatus.AVAILABLE)
    frees_on: Mapped[date | None]
    site_area: Mapped[str | None] = mapped_column(String(80), default=_from_site(Site.__table__.c.area))
    site_name: Mapped[str | None] = mapped_column(String(120), default=_from_site(Site.__table__.c.name))
    provider_name: Mapped[str | None] = mapped_column(String(120), default=_from_site(Provider.__table__.c.name))
    site_kind: Mapped[SiteKind] = mapped_column(coded(SiteKind), default=_from_site(Site.__table__.c.kind))
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    site: Mapped[Site] = relationship(back_populates="units", foreign_keys=[site_id])
    status_changes: Mapped[list[UnitStatusChange]] = relationship(
        back_populates="unit", order_by="UnitStatusChange.at", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.type.value}>"


class UnitStatusChange(Base):
    """Every change of a unit's status, with who and when: voids and turnaround come from here."""

    __tablename__ = "unit_status_changes"
    __table_args__ = (Index("ix_unit_status_changes_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    from_status: Mapped[UnitStatus | None] = mapped_column(coded(UnitStatus, "unitstatus_from"))
    to_status: Mapped[UnitStatus] = mapped_column(coded(UnitStatus, "unitstatus_to"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(200))

    unit: Mapped[Unit] = relationship(back_populates="status_changes")

    def __repr__(self) -> str:
        return f"<UnitStatusChange {self.id}>"


class NamedArea(Base):
    """A council, ward or district boundary, offered as an exclusion area.

    Public boundaries, so stored in the clear (GeoJSON, lon/lat order).
    """

    __tablename__ = "named_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # council, ward, district
    geometry: Mapped[dict]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<NamedArea {self.id}>"
