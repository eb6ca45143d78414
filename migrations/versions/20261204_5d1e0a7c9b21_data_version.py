"""the data version: change detection through the database

Revision ID: 5d1e0a7c9b21
Revises: 919fb324886a
Create Date: 2026-12-04 11:40:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import tracker.types

revision = '5d1e0a7c9b21'
down_revision = '919fb324886a'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('changed_at', tracker.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version')),
    )
    op.bulk_insert(table, [{'id': 1, 'version': 1, 'changed_at': datetime.now(timezone.utc)}])


def downgrade():
    op.drop_table('data_version')
