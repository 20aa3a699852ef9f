"""the unit pool's version: units by the time they last changed

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 21:45:00

"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_units_updated_at', 'units', ['updated_at'], unique=False)


def downgrade():
    op.drop_index('ix_units_updated_at', table_name='units')
