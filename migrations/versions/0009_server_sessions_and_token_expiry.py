"""browser sessions kept on the server (web_sessions); every API token expires

Tokens made before this with no expiry are given one: 365 days (the default
SAFEHOME_TOKEN_MAX_DAYS) after they were made, so the oldest stop at once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 12:00:00

"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

LEGACY_TOKEN_DAYS = 365


def upgrade():
    op.create_table('web_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('expiry', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('session_id', name=op.f('uq_web_sessions_session_id'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_expiry'), ['expiry'], unique=False)

    tokens = sa.table('api_tokens', sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime(timezone=True)),
                      sa.column('expires_at', sa.DateTime(timezone=True)))
    connection = op.get_bind()
    # In Python rather than SQL: date arithmetic is spelt differently on SQLite and PostgreSQL.
    for token_id, created_at in connection.execute(sa.select(tokens.c.id, tokens.c.created_at)
                                                   .where(tokens.c.expires_at.is_(None))).all():
        connection.execute(tokens.update().where(tokens.c.id == token_id)
                           .values(expires_at=created_at + timedelta(days=LEGACY_TOKEN_DAYS)))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=True)
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_expiry'))
    op.drop_table('web_sessions')
