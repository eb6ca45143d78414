"""SCIM provisioning: client tokens, provisioned accounts and groups, group members

Revision ID: 86d68d1707f1
Revises: a7c3e5d91f02
Create Date: 2026-12-04 11:19:18.996491

"""
from alembic import op
import sqlalchemy as sa
import tracker.types


# revision identifiers, used by Alembic.
revision = '86d68d1707f1'
down_revision = '68c73d833f19'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scim_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scim_id', sa.String(length=36), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', tracker.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tracker.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_group')),
    sa.UniqueConstraint('scim_id', name=op.f('uq_scim_group_scim_id'))
    )
    with op.batch_alter_table('scim_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_group_display_name'), ['display_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_scim_group_external_id'), ['external_id'], unique=False)

    op.create_table('scim_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', tracker.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', tracker.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', tracker.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_scim_token_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_token')),
    sa.UniqueConstraint('name', name=op.f('uq_scim_token_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_scim_token_token_hash'))
    )
    with op.batch_alter_table('scim_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_token_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('scim_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scim_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('user_name', sa.String(length=254), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('created_at', tracker.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tracker.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_scim_user_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_user')),
    sa.UniqueConstraint('scim_id', name=op.f('uq_scim_user_scim_id')),
    sa.UniqueConstraint('user_id', name=op.f('uq_scim_user_user_id')),
    sa.UniqueConstraint('user_name', name=op.f('uq_scim_user_user_name'))
    )
    with op.batch_alter_table('scim_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_user_external_id'), ['external_id'], unique=False)

    op.create_table('scim_group_member',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('scim_user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['scim_group.id'], name=op.f('fk_scim_group_member_group_id_scim_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scim_user_id'], ['scim_user.id'], name=op.f('fk_scim_group_member_scim_user_id_scim_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'scim_user_id', name=op.f('pk_scim_group_member'))
    )
    with op.batch_alter_table('scim_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_group_member_scim_user_id'), ['scim_user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('scim_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_group_member_scim_user_id'))

    op.drop_table('scim_group_member')
    with op.batch_alter_table('scim_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_user_external_id'))

    op.drop_table('scim_user')
    with op.batch_alter_table('scim_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_token_created_by_id'))

    op.drop_table('scim_token')
    with op.batch_alter_table('scim_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_group_external_id'))
        batch_op.drop_index(batch_op.f('ix_scim_group_display_name'))

    op.drop_table('scim_group')
