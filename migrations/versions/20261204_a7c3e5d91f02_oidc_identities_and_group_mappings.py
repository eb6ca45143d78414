"""OpenID Connect identities, group mappings, and memberships that came from groups

Revision ID: a7c3e5d91f02
Revises: 919fb324886a
Create Date: 2026-12-04 10:34:43.314879

"""
from alembic import op
import sqlalchemy as sa
import tracker.types


# revision identifiers, used by Alembic.
revision = 'a7c3e5d91f02'
down_revision = '5d1e0a7c9b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email_at_provider', sa.String(length=254), nullable=True),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('without_mapped_group', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', tracker.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', tracker.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_identity_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_identity')),
    sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_user_identity_issuer'))
    )
    with op.batch_alter_table('user_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_identity_last_login_at'), ['last_login_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_identity_user_id'), ['user_id'], unique=False)

    op.create_table('group_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_name', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('employee', 'owner', 'director', 'admin', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tracker.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_group_mapping_department_id_department'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_mapping')),
    sa.UniqueConstraint('group_name', name=op.f('uq_group_mapping_group_name'))
    )
    with op.batch_alter_table('group_mapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_mapping_department_id'), ['department_id'], unique=False)

    with op.batch_alter_table('department_membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_groups', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('department_membership', schema=None) as batch_op:
        batch_op.drop_column('from_groups')

    with op.batch_alter_table('group_mapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_mapping_department_id'))

    op.drop_table('group_mapping')
    with op.batch_alter_table('user_identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_identity_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_identity_last_login_at'))

    op.drop_table('user_identity')
