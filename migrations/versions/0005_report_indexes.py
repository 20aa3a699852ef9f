"""indexes for the quarterly return at national scale (200,000 cases)

The outcomes read what they count from the index alone: each exit measured in the quarter with its
household, score and answer; each household's first intake score. Closes and reopens in a quarter carry
their case. Each new index replaces one that is a prefix of it, so every other lookup is served as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 21:30:00

"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# (table, old index, its columns, new index, its columns)
REPLACED = (
    ('outcome_measures', 'ix_outcome_measures_household_stage', ['household_id', 'stage', 'kind', 'measured_on'],
     'ix_outcome_measures_household_first', ['household_id', 'stage', 'kind', 'measured_on', 'id', 'score']),
    ('outcome_measures', 'ix_outcome_measures_stage_kind_on', ['stage', 'kind', 'measured_on'],
     'ix_outcome_measures_stage_kind_on_scores',
     ['stage', 'kind', 'measured_on', 'household_id', 'score', 'achieved']),
    ('case_status_changes', 'ix_case_status_changes_status_at', ['status', 'at'],
     'ix_case_status_changes_status_at_household', ['status', 'at', 'household_id']),
)


def upgrade():
    for table, old, _old_columns, new, new_columns in REPLACED:
        op.create_index(new, table, new_columns, unique=False)
        op.drop_index(old, table_name=table)


def downgrade():
    for table, old, old_columns, new, _new_columns in reversed(REPLACED):
        op.create_index(old, table, old_columns, unique=False)
        op.drop_index(new, table_name=table)
