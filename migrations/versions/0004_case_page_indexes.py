"""indexes for the caseworkers' pages at national scale

Open cases by worker and risk (the dashboard's and the work lists' counts read the index alone),
open cases newest first (the case list of open cases), open cases by wait (the work lists'
"waiting longest"), and a worker's cases newest first (replacing the index of worker_id alone).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:00:00

"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index('ix_households_status_worker_risk', ['status', 'worker_id', 'risk'], unique=False)
        batch_op.create_index('ix_households_status_opened', ['status', 'opened_at', 'id'], unique=False)
        # Replaces the index of worker_id alone: the same lookups, and a worker's cases newest first.
        batch_op.drop_index('ix_households_worker_id')
        batch_op.create_index('ix_households_worker_opened', ['worker_id', 'opened_at', 'id'], unique=False)
        batch_op.create_index('ix_households_status_waiting', ['status', 'waiting_since', 'opened_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index('ix_households_status_waiting')
        batch_op.drop_index('ix_households_worker_opened')
        batch_op.create_index('ix_households_worker_id', ['worker_id'], unique=False)
        batch_op.drop_index('ix_households_status_opened')
        batch_op.drop_index('ix_households_status_worker_risk')
