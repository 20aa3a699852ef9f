"""vacancy board and units list: the site's area and name and the provider's name on each unit, and indexes that
serve the board's and the list's order and counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

LIVE = sa.text('retired_at IS NULL')
LIVE_WITH_DAY = sa.text('retired_at IS NULL AND frees_on IS NOT NULL')


def upgrade():
    op.add_column('units', sa.Column('site_area', sa.String(length=80), nullable=True))
    op.add_column('units', sa.Column('site_name', sa.String(length=120), nullable=True))
    op.add_column('units', sa.Column('provider_name', sa.String(length=120), nullable=True))
    # Existing units take their site's area and name and their provider's name (new ones get them on insert).
    op.execute('UPDATE units SET site_area = (SELECT sites.area FROM sites WHERE sites.id = units.site_id), '
               'site_name = (SELECT sites.name FROM sites WHERE sites.id = units.site_id), '
               'provider_name = (SELECT providers.name FROM sites JOIN providers ON providers.id = sites.provider_id '
               'WHERE sites.id = units.site_id)')
    # The board's counts by type and the units list's total, read from these two indexes alone.
    op.drop_index('ix_units_live_status_frees', table_name='units', sqlite_where=LIVE, postgresql_where=LIVE)
    op.create_index('ix_units_live_status_frees', 'units', ['status', 'frees_on', 'type', 'site_id', 'retired_at'],
                    unique=False, sqlite_where=LIVE, postgresql_where=LIVE)
    op.create_index('ix_units_live_status_type', 'units', ['status', 'type', 'site_id', 'retired_at'], unique=False,
                    sqlite_where=LIVE, postgresql_where=LIVE)
    op.create_index('ix_units_board_now', 'units', ['status', 'site_area', 'site_name', 'site_id', 'name'],
                    unique=False, sqlite_where=LIVE, postgresql_where=LIVE)
    op.create_index('ix_units_list', 'units', ['provider_name', 'site_name', 'site_id', 'name'],
                    unique=False, sqlite_where=LIVE, postgresql_where=LIVE)
    op.create_index('ix_sites_live_area', 'sites', ['area'], unique=False, sqlite_where=LIVE, postgresql_where=LIVE)
    op.create_index('ix_units_board_soon', 'units', ['frees_on', 'site_area', 'site_name', 'site_id', 'name'],
                    unique=False, sqlite_where=LIVE_WITH_DAY, postgresql_where=LIVE_WITH_DAY)


def downgrade():
    op.drop_index('ix_units_board_soon', table_name='units')
    op.drop_index('ix_units_board_now', table_name='units')
    op.drop_index('ix_sites_live_area', table_name='sites')
    op.drop_index('ix_units_list', table_name='units')
    op.drop_index('ix_units_live_status_type', table_name='units')
    op.drop_index('ix_units_live_status_frees', table_name='units', sqlite_where=LIVE, postgresql_where=LIVE)
    op.create_index('ix_units_live_status_frees', 'units', ['status', 'frees_on'], unique=False,
                    sqlite_where=LIVE, postgresql_where=LIVE)
    op.drop_column('units', 'provider_name')
    op.drop_column('units', 'site_name')
    op.drop_column('units', 'site_area')
