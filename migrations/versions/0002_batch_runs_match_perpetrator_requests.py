"""batch runs match perpetrator requests too

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('perpetrator_proposals', sa.JSON(), server_default=sa.text("'[]'"),
                                      nullable=False))
        batch_op.add_column(sa.Column('perpetrator_unplaced', sa.JSON(), server_default=sa.text("'{}'"),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.drop_column('perpetrator_unplaced')
        batch_op.drop_column('perpetrator_proposals')
