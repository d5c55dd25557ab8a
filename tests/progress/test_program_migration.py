"""Migration 0014 makes existing programs version 1 and pins every learner already on
their way (a module started, or a cohort of the program) to it, on both databases; a
later version then leaves them where they were."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.catalog.conftest import VALID
from tests.factories import create_user
from tests.test_migrations import empty_database, migration_app  # noqa: F401
from training.catalog import services as catalog
from training.cohorts.models import Cohort, CohortMember
from training.extensions import db
from training.ministries.services import seed_ministries
from training.progress import services as progress


def test_upgrade_pins_learners_on_their_way_to_version_1(migration_app: Any) -> None:  # noqa: F811
    upgrade()
    seed_ministries()
    catalog.sync(VALID, item_checks="skip")
    started, in_cohort, newcomer = (create_user(ministry="GT") for _ in range(3))
    progress.mark_lesson_read(started, "alfa", 1)
    program = progress.program_view(started).program
    cohort = Cohort(
        ministry_id=in_cohort.ministry_id,
        program_id=program.id,
        name="Primer grupo",
        starts_on=date(2026, 1, 1),
        deadline=date(2026, 12, 31),
        created_by_id=in_cohort.id,
    )
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=in_cohort.id))
    db.session.commit()
    ids = (started.id, in_cohort.id, newcomer.id, program.id)
    db.session.remove()

    downgrade(revision="0013")
    upgrade()

    with db.engine.connect() as connection:
        versions = connection.execute(text("SELECT version, superseded_at FROM program")).all()
        pins = connection.execute(
            text("SELECT user_id, program_slug, program_id FROM program_enrolment ORDER BY user_id")
        ).all()
    assert [tuple(row) for row in versions] == [(1, None)]
    started_id, cohort_id, _newcomer_id, program_id = ids
    assert [tuple(row) for row in pins] == [
        (started_id, "programa-prueba", program_id),
        (cohort_id, "programa-prueba", program_id),
    ]
