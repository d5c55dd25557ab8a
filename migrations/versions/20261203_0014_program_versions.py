"""Program versions: a program is versioned like a module (``program.version``,
``program.superseded_at``; one current row per slug) and each learner follows one
version (``program_enrolment``).

Existing programs become version 1. Every learner who has started a module of a program
or belongs to a cohort of it is pinned to that version, so the next change of
``program.yaml`` leaves what they must complete as it was.

Downgrading is refused while a program has more than one version: the older schema has
one row per slug and cannot say which version each cohort and certificate followed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import training.database

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("superseded_at", training.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_constraint(batch_op.f("uq_program_slug"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_program_slug_version"), ["slug", "version"])
        batch_op.create_check_constraint(batch_op.f("ck_program_version"), "version >= 1")
    op.create_index(
        "uq_program_current_slug",
        "program",
        ["slug"],
        unique=True,
        postgresql_where=sa.text("superseded_at IS NULL"),
        sqlite_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "program_enrolment",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("program_slug", sa.String(length=60), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("pinned_at", training.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_program_enrolment_program_id_program"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_program_enrolment_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "program_slug", name=op.f("pk_program_enrolment")),
    )
    with op.batch_alter_table("program_enrolment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_program_enrolment_program_id"), ["program_id"], unique=False
        )
    # Pin everyone already on their way: learners with a module of the program started,
    # and members of its cohorts.
    op.execute(
        """
        INSERT INTO program_enrolment (user_id, program_slug, program_id, pinned_at)
        SELECT DISTINCT learners.user_id, program.slug, program.id, CURRENT_TIMESTAMP
        FROM (
            SELECT module_progress.user_id AS user_id, program_module.program_id AS program_id
            FROM module_progress
            JOIN program_module ON program_module.module_id = module_progress.module_id
            UNION
            SELECT cohort_member.user_id, cohort.program_id
            FROM cohort_member JOIN cohort ON cohort.id = cohort_member.cohort_id
        ) AS learners
        JOIN program ON program.id = learners.program_id
        """
    )


def downgrade():
    connection = op.get_bind()
    versions = connection.execute(
        sa.text("SELECT COUNT(*) FROM program WHERE version > 1")
    ).scalar()
    if versions:
        raise RuntimeError(
            f"{versions} program version(s) after the first exist; the schema before 0014 "
            "keeps one row per program and cannot hold them."
        )
    with op.batch_alter_table("program_enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_program_enrolment_program_id"))
    op.drop_table("program_enrolment")
    op.drop_index("uq_program_current_slug", table_name="program")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_program_version"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_program_slug_version"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_program_slug"), ["slug"])
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("version")
