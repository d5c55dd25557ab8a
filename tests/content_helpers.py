"""Fixtures for tests that need a catalogue: the small valid content, synced."""

from __future__ import annotations

from typing import Any

import pytest

from tests.catalog.conftest import VALID
from training.catalog import services as catalog
from training.catalog.models import Module
from training.extensions import db


@pytest.fixture
def synced_content(app: Any) -> dict[str, Module]:
    """Modules ``alfa`` (3 lessons, quiz of 3: single, true/false, multiple) and ``beta``
    (prerequisite: alfa), and the program ``programa-prueba``."""
    catalog.sync(VALID)
    db.session.commit()
    return {module.slug: module for module in db.session.scalars(db.select(Module))}


def correct_answers(attempt: dict[str, Any], app: Any) -> list[dict[str, Any]]:
    """The right answer to every question of an attempt, read from the database."""
    from training.catalog.models import Question

    answers = []
    for question in attempt["questions"]:
        row = db.session.scalars(
            db.select(Question).where(Question.key == question["id"]).order_by(Question.id.desc())
        ).first()
        answers.append(
            {"question": question["id"], "choices": [c.key for c in row.choices if c.correct]}
        )
    return answers


def wrong_answers(attempt: dict[str, Any], app: Any) -> list[dict[str, Any]]:
    from training.catalog.models import Question

    answers = []
    for question in attempt["questions"]:
        row = db.session.scalars(
            db.select(Question).where(Question.key == question["id"]).order_by(Question.id.desc())
        ).first()
        answers.append(
            {
                "question": question["id"],
                "choices": [next(c.key for c in row.choices if not c.correct)],
            }
        )
    return answers
