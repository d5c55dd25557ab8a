"""When each learner last opened each lesson (issue 11 item 4): a retake after a failure
waits until the lessons of the missed objectives were opened again after it.

Nothing is backfilled: "read" (lesson_progress) says a lesson was finished once, not when it
was last opened, and a retake only counts openings after the failed attempt anyway.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import training.database

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lesson_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", training.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lesson.id"], name=op.f("fk_lesson_view_lesson_id_lesson")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_lesson_view_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_view")),
        sa.UniqueConstraint("user_id", "lesson_id", name=op.f("uq_lesson_view_user_id_lesson_id")),
    )
    with op.batch_alter_table("lesson_view", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lesson_view_lesson_id"), ["lesson_id"], unique=False)


def downgrade():
    with op.batch_alter_table("lesson_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_view_lesson_id"))
    op.drop_table("lesson_view")
