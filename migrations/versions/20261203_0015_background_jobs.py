"""Background jobs: the schedule of the periodic jobs (``job_run``), the downloads
prepared in the background (``export``), and the outbox's
count of delivery attempts and delivery lease (``outbox_message.attempts``,
``outbox_message.locked_until``) that keep a message from being sent twice at once.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import training.database

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_run",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("next_due_at", training.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", training.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", training.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("runs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_run")),
    )
    op.create_table(
        "export",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", training.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", training.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", training.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'ready', 'failed')", name=op.f("ck_export_status")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_export_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export")),
    )
    op.create_index(op.f("ix_export_user_id"), "export", ["user_id"], unique=False)
    op.create_index(op.f("ix_export_expires_at"), "export", ["expires_at"], unique=False)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("locked_until", training.database.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("attempts")
    op.drop_index(op.f("ix_export_expires_at"), table_name="export")
    op.drop_index(op.f("ix_export_user_id"), table_name="export")
    op.drop_table("export")
    op.drop_table("job_run")
