"""Indexes for the reports at scale (issue 13): the newest progress row per learner and
module, the graded attempts of a ministry or a module version in score order (Kelley's
groups of the item analyses), and the answers' credit read without the answer rows.

* ``module_progress (user_id, module_id, started_at, id)`` replaces ``(user_id,
  module_id)``, its prefix: "is there a newer row for this learner and module" becomes
  one index seek.
* ``attempt (ministry_id, module_version_id, score, id, status)`` replaces
  ``(ministry_id)`` and ``attempt (module_version_id, score, id, status)`` replaces
  ``(module_version_id)``: each version's attempts counted and its k-th best and worst
  found from the index, and the attempts joined to their answers without reading them.
* ``attempt_answer (attempt_id, question_id, credit)``: the item analyses' one pass over
  the answers reads this index only, not the rows with their selections.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:00:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_module_progress_user_module_started",
        "module_progress",
        ["user_id", "module_id", "started_at", "id"],
    )
    op.drop_index("ix_module_progress_user_module", table_name="module_progress")
    op.create_index(
        "ix_attempt_ministry_version_score",
        "attempt",
        ["ministry_id", "module_version_id", "score", "id", "status"],
    )
    op.drop_index("ix_attempt_ministry_id", table_name="attempt")
    op.create_index(
        "ix_attempt_version_score", "attempt", ["module_version_id", "score", "id", "status"]
    )
    op.drop_index("ix_attempt_module_version_id", table_name="attempt")
    op.create_index(
        "ix_attempt_answer_attempt_credit",
        "attempt_answer",
        ["attempt_id", "question_id", "credit"],
    )


def downgrade():
    op.drop_index("ix_attempt_answer_attempt_credit", table_name="attempt_answer")
    op.create_index("ix_attempt_module_version_id", "attempt", ["module_version_id"])
    op.drop_index("ix_attempt_version_score", table_name="attempt")
    op.create_index("ix_attempt_ministry_id", "attempt", ["ministry_id"])
    op.drop_index("ix_attempt_ministry_version_score", table_name="attempt")
    op.create_index("ix_module_progress_user_module", "module_progress", ["user_id", "module_id"])
    op.drop_index("ix_module_progress_user_module_started", table_name="module_progress")
