"""perpetrator requests: places known to the perpetrator, and coded reasons for closing a request

The victim's home is marked known to the perpetrator (by default: usually the home they shared);
places to stay near carry their own flag inside the sealed list (default secret), so nothing here
changes them. A request's stop gets a coded reason (``stop_reason``); the free text it had is now
``stop_note``. Every request stopped before this was flagged unsafe by the victim's housing worker.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

STOP_REASONS = ('unsafe_for_victim', 'no_suitable_unit', 'not_eligible', 'duplicate_or_pattern',
                'circumstances_changed', 'other')


def upgrade():
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('home_known_to_perpetrator', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
    with op.batch_alter_table('perpetrator_requests', schema=None) as batch_op:
        batch_op.alter_column('stop_reason', new_column_name='stop_note', existing_type=sa.Text(),
                              existing_nullable=True)
    with op.batch_alter_table('perpetrator_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stop_reason', sa.Enum(*STOP_REASONS, name='perpetratorstopreason',
                                                             native_enum=False, create_constraint=True, length=32),
                                      nullable=True))
    op.execute("UPDATE perpetrator_requests SET stop_reason = 'unsafe_for_victim' WHERE state = 'stopped'")


def downgrade():
    with op.batch_alter_table('perpetrator_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_perpetrator_requests_perpetratorstopreason'), type_='check')
        batch_op.drop_column('stop_reason')
    with op.batch_alter_table('perpetrator_requests', schema=None) as batch_op:
        batch_op.alter_column('stop_note', new_column_name='stop_reason', existing_type=sa.Text(),
                              existing_nullable=True)
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_column('home_known_to_perpetrator')
