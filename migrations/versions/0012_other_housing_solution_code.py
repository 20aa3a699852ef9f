"""a coded kind for each "other housing solution" (the quarterly return counts codes, never the free-text detail)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:00:00

Requests of kind "other" made before the list existed said what they were only in
their free-text detail: they become "other" (counted, never labelled by the detail).
The detail is no longer required (the code is), so retention may clear it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

CODES = ('family_friends', 'supported_housing', 'home_with_sanctuary', 'out_of_area_refuge', 'other')
CODED = "(kind = 'other' AND other_solution IS NOT NULL) OR (kind != 'other' AND other_solution IS NULL)"


def upgrade():
    with op.batch_alter_table('housing_options_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('other_solution', sa.Enum(*CODES, name='otherhousingsolution', native_enum=False,
                                                                create_constraint=True, length=32), nullable=True))
    op.execute("UPDATE housing_options_requests SET other_solution = 'other' WHERE kind = 'other'")
    with op.batch_alter_table('housing_options_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_housing_options_requests_other_needs_detail'), type_='check')
        batch_op.create_check_constraint(op.f('ck_housing_options_requests_other_solution_coded'), CODED)


def downgrade():
    # A detail cleared since (by retention) comes back as the code's label, so the old rule holds again.
    op.execute("UPDATE housing_options_requests SET other_detail = 'Other' "
               "WHERE kind = 'other' AND other_detail IS NULL")
    with op.batch_alter_table('housing_options_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_housing_options_requests_other_solution_coded'), type_='check')
        batch_op.drop_constraint(op.f('ck_housing_options_requests_otherhousingsolution'), type_='check')
        batch_op.drop_column('other_solution')
        batch_op.create_check_constraint(op.f('ck_housing_options_requests_other_needs_detail'),
                                         "kind != 'other' OR other_detail IS NOT NULL")
