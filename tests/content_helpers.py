"""Fixtures for tests that need a catalogue: the small valid content, synced."""

from __future__ import annotations

import shutil
from pathlib import Path
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
    # The small banks are drawn whole on purpose (tests know every question): below the
    # item-writing bar, which tests/catalog/test_item_checks.py covers on its own bank.
    catalog.sync(VALID, item_checks="skip")
    db.session.commit()
    return {module.slug: module for module in db.session.scalars(db.select(Module))}


def _question(attempt: dict[str, Any], key: str) -> Any:
    """The newest question ``key`` of the attempt's module (keys repeat across modules)."""
    from training.catalog.models import Module, ModuleVersion, Question

    return db.session.scalars(
        db.select(Question)
        .join(ModuleVersion, ModuleVersion.id == Question.module_version_id)
        .join(Module, Module.id == ModuleVersion.module_id)
        .where(Module.slug == attempt["module"], Question.key == key)
        .order_by(Question.id.desc())
    ).first()


def correct_answers(attempt: dict[str, Any], app: Any) -> list[dict[str, Any]]:
    """The right answer to every choice question of an attempt, read from the database
    (scenario items are decided step by step, not in the submission)."""
    answers = []
    for question in attempt["questions"]:
        row = _question(attempt, question["id"])
        if row.type == "scenario":
            continue
        answers.append(
            {"question": question["id"], "choices": [c.key for c in row.choices if c.correct]}
        )
    return answers


def wrong_answers(attempt: dict[str, Any], app: Any) -> list[dict[str, Any]]:
    """A wrong choice for every choice question; scenario items (decided step by step,
    never in the submission) are left unanswered, which is wrong too."""
    answers = []
    for question in attempt["questions"]:
        row = _question(attempt, question["id"])
        if row.type == "scenario":
            continue
        answers.append(
            {
                "question": question["id"],
                "choices": [next(c.key for c in row.choices if not c.correct)],
            }
        )
    return answers


def reopen_lessons(call: Any, slug: str = "alfa") -> None:
    """Open every lesson of the module again through the API: after a failed attempt, a
    retake waits until the lessons of the missed objectives were reopened."""
    detail = call("GET", f"/api/v1/modules/{slug}").get_json()
    for lesson in detail["lessons"]:
        response = call("GET", f"/api/v1/modules/{slug}/lessons/{lesson['number']}")
        assert response.status_code == 200


SCENARIO_FIXTURE = Path(__file__).parent / "quizzes" / "scenario_fixture"


@pytest.fixture
def scenario_content(app: Any, tmp_path: Path) -> dict[str, Module]:
    """The small valid content where module ``alfa``'s quiz is two items, both drawn: the
    single-choice q01 and the scenario s01 (three steps st1 -> st2 -> st3; at each, a is
    safe with credit 1, b is unsafe and ends the case, c has credit 0.5; st3 ends it)."""
    from tests.catalog.conftest import overlay

    target = tmp_path / "scenario-content"
    shutil.copytree(VALID, target)
    overlay(SCENARIO_FIXTURE, target)
    catalog.sync(target, item_checks="skip")
    db.session.commit()
    return {module.slug: module for module in db.session.scalars(db.select(Module))}
