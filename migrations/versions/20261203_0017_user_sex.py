"""The user's optional answer on sex (``user_account.sex``), for the CRM indicators.

Unset (NULL) for everybody; a user chooses female, male, another or prefer not to say
on their account page. Downgrading drops the answers.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 17:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SEX_CHECK = "sex IS NULL OR sex IN ('female', 'male', 'another', 'prefer_not_to_say')"


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sex", sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(batch_op.f("ck_user_account_sex"), SEX_CHECK)


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_account_sex"), type_="check")
        batch_op.drop_column("sex")
