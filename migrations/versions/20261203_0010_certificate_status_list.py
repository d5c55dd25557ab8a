"""Revocation status lists: each issued certificate gets an index in its ministry's
W3C Bitstring Status List (unique per ministry), and a revocation gets a public reason
category beside the internal free-text reason. Existing certificates are backfilled:
indexes in order of issue, revocations by re-issue "superseded", the others "other".

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

CATEGORIES = (
    "revocation_category IS NULL OR revocation_category IN "
    "('issued_in_error', 'misconduct', 'superseded', 'holder_request', 'other')"
)


def upgrade():
    op.create_table(
        "status_list_counter",
        sa.Column("ministry_id", sa.Integer(), nullable=False),
        sa.Column("last_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ministry_id"],
            ["ministry.id"],
            name=op.f("fk_status_list_counter_ministry_id_ministry"),
        ),
        sa.PrimaryKeyConstraint("ministry_id", name=op.f("pk_status_list_counter")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revocation_category", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("status_index", sa.Integer(), nullable=True))

    connection = op.get_bind()
    certificate = sa.table(
        "certificate",
        sa.column("id", sa.Integer()),
        sa.column("ministry_id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("revocation_reason", sa.String()),
        sa.column("revocation_category", sa.String()),
        sa.column("status_index", sa.Integer()),
    )
    counter = sa.table(
        "status_list_counter",
        sa.column("ministry_id", sa.Integer()),
        sa.column("last_index", sa.Integer()),
    )
    connection.execute(
        certificate.update()
        .where(certificate.c.status == "revoked", certificate.c.revocation_reason == "reissued")
        .values(revocation_category="superseded")
    )
    connection.execute(
        certificate.update()
        .where(certificate.c.status == "revoked", certificate.c.revocation_category.is_(None))
        .values(revocation_category="other")
    )
    last: dict[int, int] = {}
    rows = connection.execute(
        sa.select(certificate.c.id, certificate.c.ministry_id)
        .where(certificate.c.status != "pending")
        .order_by(certificate.c.id)
    ).all()
    for certificate_id, ministry_id in rows:
        last[ministry_id] = last.get(ministry_id, -1) + 1
        connection.execute(
            certificate.update()
            .where(certificate.c.id == certificate_id)
            .values(status_index=last[ministry_id])
        )
    if last:
        connection.execute(
            counter.insert(),
            [{"ministry_id": key, "last_index": value} for key, value in last.items()],
        )

    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_certificate_ministry_id_status_index"), ["ministry_id", "status_index"]
        )
        batch_op.create_check_constraint(op.f("ck_certificate_revocation_category"), CATEGORIES)


def downgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_certificate_revocation_category"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("uq_certificate_ministry_id_status_index"), type_="unique"
        )
        batch_op.drop_column("status_index")
        batch_op.drop_column("revocation_category")

    op.drop_table("status_list_counter")
