"""the Housing Options queue's "every request" pages, oldest first, read from an index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 01:10:00

"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_housing_options_requests_requested_at', 'housing_options_requests', ['requested_at', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_housing_options_requests_requested_at', table_name='housing_options_requests')
