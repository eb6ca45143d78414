"""indexes for pages (issue 18, point 4)

The figures of "you said, we did" from an index alone, and from a finding to its actions
without a row lookup.

Revision ID: 44eb16f6d93d
Revises: a7c3e5d91f02
Create Date: 2026-12-04 12:00:43

"""
from alembic import op

revision = '44eb16f6d93d'
down_revision = 'b29f6916a800'
branch_labels = None
depends_on = None


def upgrade():
    # The new one first: foreign-key lookups by finding always have an index.
    op.create_index('ix_action_finding_finding_action', 'action_finding',
                    ['finding_id', 'action_id'])
    op.drop_index('ix_action_finding_finding_id', table_name='action_finding')
    op.create_index('ix_improvement_action_public_figures', 'improvement_action',
                    ['status', 'visibility', 'id', 'closed_on', 'deadline'])


def downgrade():
    op.drop_index('ix_improvement_action_public_figures', table_name='improvement_action')
    op.create_index('ix_action_finding_finding_id', 'action_finding', ['finding_id'])
    op.drop_index('ix_action_finding_finding_action', table_name='action_finding')
