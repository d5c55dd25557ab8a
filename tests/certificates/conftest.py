from __future__ import annotations

from typing import Any

import pytest

from tests.content_helpers import synced_content  # noqa: F401
from training.catalog.models import Program, Question
from training.extensions import db
from training.progress import services as progress
from training.quizzes import services as quizzes
from training.quizzes.models import Answer


def pass_module(user: Any, slug: str) -> None:
    """Read every lesson of the module and pass its quiz, through the services."""
    view = progress.module_view(user, slug)
    for lesson in view.version.lessons:
        progress.mark_lesson_read(user, slug, lesson.number)
    attempt, _created = progress.start_attempt(user, slug)
    answers = []
    for item in attempt.items:
        question: Question = item.question
        answers.append(Answer(question.key, tuple(c.key for c in question.choices if c.correct)))
    quizzes.submit(user, attempt.id, answers)
    db.session.commit()


def complete_program(user: Any) -> None:
    """Read every lesson and pass every quiz of the test program, through the services."""
    for slug in ("alfa", "beta"):
        pass_module(user, slug)


@pytest.fixture
def program(synced_content: Any) -> Program:  # noqa: F811
    return db.session.scalars(db.select(Program)).one()


@pytest.fixture
def graduate(learner: Any, program: Program) -> Any:
    """A learner of Guatemala who completed the program (and so has a certificate)."""
    complete_program(learner)
    return learner
