"""Index a ministry's people by name (staff lists and reports read them in that order).

The new index starts with ``ministry_id``, so it replaces the index on that column alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 02:00:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(
            'ix_user_account_ministry_name', ['ministry_id', 'full_name', 'id'], unique=False
        )
        batch_op.drop_index('ix_user_account_ministry_id')


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index('ix_user_account_ministry_id', ['ministry_id'], unique=False)
        batch_op.drop_index('ix_user_account_ministry_name')
