"""sites house victims or perpetrators, never both: a kind on each site, held on every unit by the database

Each site gets a kind: ``perpetrator`` when every unit on it is a perpetrator
unit, else ``victim`` (a site with no units houses victims, the safe default).
Each unit keeps its site's kind in ``site_kind``; a foreign key on
(site_id, site_kind) to the unique (id, kind) of sites, and a check tying the
perpetrator type to the perpetrator kind, keep any row from putting a
perpetrator unit on a site housing victims.

A site holding both (legacy data: the app never refused it before) is split:
its perpetrator units (live or retired) move to a new perpetrator site of the
same provider, at the same sealed address and point (the ciphertext is copied,
never opened), named "<site> (perpetrator units, site <id>)". The refuge keeps
its id and its other units. The new site is 0 km from the refuge, so the app
lists it on the managers' and administrators' dashboards as a breach and never
offers its units until someone moves or retires them. The split sites' ids are
logged (ids only, no names or places).

On SQLite the sites and units tables are rebuilt (a foreign key and a check
cannot be added in place); ``migrations/env.py`` keeps foreign keys off while
any migration runs, as SQLite's own procedure for changing a table asks, and
``PRAGMA foreign_key_check`` then proves every reference still holds.

Sites also get ``updated_at`` (from ``created_at``): the segregation rule keeps
the live sites' points per process for their version.

Downgrade drops the kinds; split sites stay split.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 10:00:00

"""
import logging

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')


def _kind() -> sa.Enum:
    return sa.Enum('victim', 'perpetrator', name='sitekind', native_enum=False, create_constraint=True, length=32)


KIND_MATCHES_SITE = ("(type = 'perpetrator' AND site_kind = 'perpetrator') "
                     "OR (type <> 'perpetrator' AND site_kind = 'victim')")
LIVE = sa.text('retired_at IS NULL')


def _split_mixed_sites(conn) -> None:
    """Move the perpetrator units of every site that also holds other units onto a new perpetrator site."""
    mixed = conn.execute(sa.text(
        "SELECT id, name FROM sites WHERE kind = 'victim' AND EXISTS "
        "(SELECT 1 FROM units WHERE units.site_id = sites.id AND units.type = 'perpetrator') ORDER BY id")).all()
    for site_id, name in mixed:
        new_name = f"{name[:80]} (perpetrator units, site {site_id})"
        conn.execute(sa.text(
            "INSERT INTO sites (provider_id, name, area, district, address, location, retired_at, created_at, "
            "updated_at, kind) SELECT provider_id, :name, area, district, address, location, retired_at, created_at, "
            "updated_at, 'perpetrator' FROM sites WHERE id = :id"), {"name": new_name, "id": site_id})
        new_id = conn.scalar(sa.text(
            "SELECT id FROM sites WHERE provider_id = (SELECT provider_id FROM sites WHERE id = :id) AND name = :name"),
            {"id": site_id, "name": new_name})
        conn.execute(sa.text("UPDATE units SET site_id = :new, site_name = :name "
                             "WHERE site_id = :old AND type = 'perpetrator'"),
                     {"new": new_id, "name": new_name, "old": site_id})
    if mixed:
        log.warning("sites housing both victims and perpetrators were split; the perpetrator units of site(s) %s "
                    "moved to new perpetrator sites at the same place: move or retire them (listed on the "
                    "dashboards as too close to victim accommodation)", ", ".join(str(row[0]) for row in mixed))


def upgrade():
    conn = op.get_bind()
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', _kind(), server_default='victim', nullable=False))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    conn.execute(sa.text("UPDATE sites SET updated_at = created_at"))
    conn.execute(sa.text(
        "UPDATE sites SET kind = 'perpetrator' WHERE EXISTS (SELECT 1 FROM units WHERE units.site_id = sites.id) "
        "AND NOT EXISTS (SELECT 1 FROM units WHERE units.site_id = sites.id AND units.type <> 'perpetrator')"))
    _split_mixed_sites(conn)
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index('uq_sites_id_kind', ['id', 'kind'], unique=True)
        batch_op.create_index('ix_sites_live_kind', ['kind', 'updated_at', 'id'], unique=False, sqlite_where=LIVE,
                              postgresql_where=LIVE)

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_kind', _kind(), nullable=True))
    conn.execute(sa.text("UPDATE units SET site_kind = (SELECT kind FROM sites WHERE sites.id = units.site_id)"))
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.alter_column('site_kind', existing_type=_kind(), nullable=False)
        batch_op.create_foreign_key('fk_units_site_kind_sites', 'sites', ['site_id', 'site_kind'], ['id', 'kind'])
        batch_op.create_check_constraint(op.f('ck_units_kind_matches_site'), KIND_MATCHES_SITE)


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_units_kind_matches_site'), type_='check')
        batch_op.drop_constraint('fk_units_site_kind_sites', type_='foreignkey')
        batch_op.drop_constraint(op.f('ck_units_sitekind'), type_='check')
        batch_op.drop_column('site_kind')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index('ix_sites_live_kind', sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.drop_index('uq_sites_id_kind')
        batch_op.drop_constraint(op.f('ck_sites_sitekind'), type_='check')
        batch_op.drop_column('kind')
        batch_op.drop_column('updated_at')
