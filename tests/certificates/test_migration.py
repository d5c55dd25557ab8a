"""Migration 0010 gives every certificate already issued an index in its ministry's
status list and every revocation a category, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.factories import create_user
from tests.test_migrations import empty_database, migration_app  # noqa: F401
from training.catalog.models import Program
from training.certificates import status_list
from training.certificates.models import Certificate
from training.extensions import db
from training.ministries.services import get_ministry, seed_ministries


def _certificate(
    user: Any, program: Program, status: str, serial: str | None, **extra: Any
) -> Certificate:
    return Certificate(
        code=f"CODE{serial or user.id}".replace("-", "")[:32],
        user_id=user.id,
        ministry_id=user.ministry_id,
        program_id=program.id,
        status=status,
        serial=serial,
        holder_name=user.full_name,
        language="es",
        hours=3,
        modules=[],
        subject_id=f"urn:uuid:{serial or user.id}",
        **extra,
    )


def test_upgrade_backfills_status_indexes_and_categories(migration_app: Any) -> None:  # noqa: F811
    upgrade()
    seed_ministries()
    db.session.commit()
    first, second, waiting = (create_user(ministry="GT") for _ in range(3))
    mexican = create_user(ministry="MX")
    program = Program(
        slug="p",
        content_hash="x",
        title={"es": "P"},
        description={"es": "P"},
        min_score=80,
        hours=3,
    )
    db.session.add(program)
    db.session.flush()
    rows = [
        _certificate(first, program, "revoked", "GT-1", revocation_reason="reissued"),
        _certificate(mexican, program, "valid", "MX-1"),
        _certificate(second, program, "revoked", "GT-2", revocation_reason="fraude"),
        _certificate(first, program, "valid", "GT-3"),
        _certificate(waiting, program, "pending", None),
    ]
    db.session.add_all(rows)
    db.session.commit()
    ids = [row.id for row in rows]
    db.session.remove()

    downgrade(revision="0008")
    upgrade()

    with db.engine.connect() as connection:
        found = {
            row.id: (row.status_index, row.revocation_category)
            for row in connection.execute(
                text("SELECT id, status_index, revocation_category FROM certificate")
            )
        }
    assert [found[i] for i in ids] == [
        (0, "superseded"),
        (0, None),
        (1, "other"),
        (2, None),
        (None, None),
    ]
    # The next certificate issued continues each ministry's list.
    assert status_list.take_index(get_ministry("GT").id) == 3
    assert status_list.take_index(get_ministry("MX").id) == 1
    db.session.rollback()
