"""Scenario questions: a question of type 'scenario' keeps its branching steps as JSON
(``question.scenario``), and a learner's answer keeps the ordered decisions taken
(``attempt_answer.path``). Existing questions and answers are unchanged (both NULL).

Downgrading is refused while any scenario question exists: the older schema cannot
hold it, and deleting it would take graded attempts with it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_TYPES = "type IN ('single', 'multiple', 'true_false')"
NEW_TYPES = "type IN ('single', 'multiple', 'true_false', 'scenario')"


def upgrade():
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scenario", sa.JSON(), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_question_type"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_question_type"), NEW_TYPES)
    with op.batch_alter_table("attempt_answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("path", sa.JSON(), nullable=True))


def downgrade():
    connection = op.get_bind()
    scenarios = connection.execute(
        sa.text("SELECT COUNT(*) FROM question WHERE type = 'scenario'")
    ).scalar()
    if scenarios:
        raise RuntimeError(
            f"{scenarios} scenario question(s) exist; the schema before 0013 cannot hold "
            "them. Remove the module versions that use them first."
        )
    with op.batch_alter_table("attempt_answer", schema=None) as batch_op:
        batch_op.drop_column("path")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_question_type"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_question_type"), OLD_TYPES)
        batch_op.drop_column("scenario")
