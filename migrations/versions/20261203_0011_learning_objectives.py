"""Learning objectives and the quiz's review rules (issue 11).

Module versions keep their objectives as a list of ``{id, es, en[, fr]}``: existing ones,
stored as ``{es: [...], en: [...]}``, get generated ids ``o1``, ``o2``… Lessons list the
objective ids they teach (none for existing lessons), questions the objective they assess
(null for existing questions: their attempts keep their scores). Each version gets the
quiz's review policy, whether a retake waits for the learner to review, and how long,
with the defaults of quiz.yaml.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 12:00:00.000000
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

REVIEW = "review IN ('immediate', 'after_pass_or_last_attempt')"


def _version_table() -> Any:
    return sa.table(
        "module_version", sa.column("id", sa.Integer()), sa.column("objectives", sa.JSON())
    )


def objectives_with_ids(old: Any) -> list[dict[str, str]]:
    """``{es: [a, b], en: [a2, b2]}`` -> ``[{id: o1, es: a, en: a2}, {id: o2, ...}]``.
    Spanish decides how many there are; a language with fewer texts falls back to Spanish."""
    if isinstance(old, list):
        return old
    spanish = list(old.get("es") or [])
    converted = []
    for index, text in enumerate(spanish):
        objective = {"id": f"o{index + 1}", "es": text}
        for language in ("en", "fr"):
            texts = old.get(language) or []
            if language == "en" or index < len(texts):
                objective[language] = texts[index] if index < len(texts) else text
        converted.append(objective)
    return converted


def objectives_by_language(new: Any) -> dict[str, list[str]]:
    if isinstance(new, dict):
        return new
    old: dict[str, list[str]] = {"es": [], "en": []}
    for objective in new:
        for language in ("es", "en", "fr"):
            if language in objective:
                old.setdefault(language, []).append(objective[language])
    return old


def _convert(function: Any) -> None:
    connection = op.get_bind()
    version = _version_table()
    for version_id, objectives in connection.execute(
        sa.select(version.c.id, version.c.objectives)
    ).all():
        connection.execute(
            version.update()
            .where(version.c.id == version_id)
            .values(objectives=function(objectives))
        )


def upgrade():
    # Plain ADD/DROP COLUMN, with the checks inline, rather than batch mode: on SQLite a
    # batch rebuilds the table, which the rows pointing at module_version and lesson
    # forbid once a catalogue exists.
    op.add_column(
        "module_version",
        sa.Column(
            "review",
            sa.String(length=40),
            sa.CheckConstraint(REVIEW, name=op.f("ck_module_version_review")),
            nullable=False,
            server_default="after_pass_or_last_attempt",
        ),
    )
    op.add_column(
        "module_version",
        sa.Column("retake_requires_review", sa.Boolean(), nullable=False, server_default="1"),
    )
    op.add_column(
        "module_version",
        sa.Column(
            "retake_after_hours",
            sa.Integer(),
            sa.CheckConstraint(
                "retake_after_hours >= 0", name=op.f("ck_module_version_retake_after_hours")
            ),
            nullable=False,
            server_default="0",
        ),
    )
    _convert(objectives_with_ids)
    op.add_column(
        "lesson", sa.Column("objectives", sa.JSON(), nullable=False, server_default="[]")
    )
    op.add_column("question", sa.Column("objective", sa.String(length=60), nullable=True))


def downgrade():
    op.drop_column("question", "objective")
    op.drop_column("lesson", "objectives")
    _convert(objectives_by_language)
    op.drop_column("module_version", "retake_after_hours")
    op.drop_column("module_version", "retake_requires_review")
    op.drop_column("module_version", "review")
