"""Draws: every objective asked, as evenly as the bank allows; a retake gets fresh questions."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from tests.catalog.conftest import FIXTURES
from training.catalog import services as catalog
from training.catalog.models import Module, Question
from training.extensions import db
from training.progress import attempts, remediation
from training.quizzes import draw
from training.quizzes import services as quizzes
from training.quizzes.models import Answer

BANK30 = FIXTURES / "bank30"


@dataclass
class FakeQuestion:
    id: int
    objective: str | None


def bank(sizes: dict[str, int]) -> list[Any]:
    questions, number = [], 0
    for objective, size in sizes.items():
        for _ in range(size):
            number += 1
            questions.append(FakeQuestion(number, objective))
    return questions


@pytest.mark.parametrize("seed", range(100))
def test_every_objective_is_asked_and_shares_are_even(seed: int) -> None:
    rng = random.Random(seed)
    questions = bank({"a": 10, "b": 10, "c": 10})
    drawn = draw.draw(questions, ["a", "b", "c"], 10, {}, rng)  # type: ignore[arg-type]
    counts = Counter(question.objective for question in drawn)
    assert sorted(counts.values()) == [3, 3, 4]
    assert len({question.id for question in drawn}) == 10


def test_a_small_objective_gives_its_share_to_the_others() -> None:
    questions = bank({"a": 1, "b": 10, "c": 10})
    for seed in range(50):
        drawn = draw.draw(questions, ["a", "b", "c"], 9, {}, random.Random(seed))  # type: ignore[arg-type]
        assert sorted(Counter(q.objective for q in drawn).items()) == [
            ("a", 1),
            ("b", 4),
            ("c", 4),
        ]


def test_the_extra_question_of_an_uneven_split_goes_to_every_objective_in_turn() -> None:
    questions = bank({"a": 10, "b": 10, "c": 10})
    favoured = Counter()
    for seed in range(300):
        drawn = draw.draw(questions, ["a", "b", "c"], 10, {}, random.Random(seed))  # type: ignore[arg-type]
        favoured.update(o for o, n in Counter(q.objective for q in drawn).items() if n == 4)
    assert set(favoured) == {"a", "b", "c"}
    assert min(favoured.values()) > 60


@pytest.mark.parametrize("seed", range(100))
def test_a_retake_prefers_unseen_then_least_recently_seen_questions(seed: int) -> None:
    rng = random.Random(seed)
    questions = bank({"a": 10, "b": 10, "c": 10})
    objectives = ["a", "b", "c"]
    seen: dict[int, int] = {}
    previous: set[int] = set()
    for number in range(1, 6):
        drawn = {q.id for q in draw.draw(questions, objectives, 10, seen, rng)}  # type: ignore[arg-type]
        # Bank = 3 x draw: consecutive attempts share at most 40 % of their questions;
        # here none, as each objective keeps enough questions not in the last attempt.
        assert len(drawn & previous) <= 4, (number, seed)
        assert not drawn & previous, (number, seed)
        if number == 2:
            assert not drawn & set(seen)
        seen.update(dict.fromkeys(drawn, number))
        previous = drawn


def test_a_bank_smaller_than_the_draw_gives_the_whole_bank() -> None:
    questions = bank({"a": 2, "b": 1})
    drawn = draw.draw(questions, ["a", "b", "c"], 10, {}, random.Random(1))  # type: ignore[arg-type]
    assert sorted(q.id for q in drawn) == [1, 2, 3]


def test_questions_without_an_objective_are_drawn_as_one_group() -> None:
    questions = bank({"a": 5}) + [FakeQuestion(100 + n, None) for n in range(5)]
    drawn = draw.draw(questions, ["a"], 4, {}, random.Random(3))  # type: ignore[arg-type]
    assert Counter(q.objective for q in drawn) == {"a": 2, None: 2}


# --- Through the service, on the fixture bank of 30 --------------------------------------


@pytest.fixture
def gamma(app: Any) -> Module:
    catalog.sync(BANK30)
    db.session.commit()
    return db.session.scalars(db.select(Module).where(Module.slug == "gamma")).one()


def _fail(user: Any, attempt: Any) -> None:
    answers = []
    for item in attempt.items:
        wrong = next(choice for choice in item.question.choices if not choice.correct)
        answers.append(Answer(item.question.key, (wrong.key,)))
    result = quizzes.submit(user, attempt.id, answers)
    assert result.passed is False
    # A retake waits until the lessons of the missed objectives are opened again.
    for lesson in attempt.module_version.lessons:
        remediation.note_opened(user, lesson)


def test_a_retake_after_a_failure_repeats_at_most_40_percent_on_a_bank_of_30(
    gamma: Module, make_user: Any
) -> None:
    objectives = {objective["id"] for objective in gamma.current_version.objectives}
    overlaps = []
    for _ in range(12):
        learner = make_user(roles=["learner"], ministry="GT")
        first, _created = attempts.start(learner, "gamma")
        db.session.commit()
        assert {item.question.objective for item in first.items} == objectives
        _fail(learner, first)
        db.session.commit()
        second, created = attempts.start(learner, "gamma")
        db.session.commit()
        assert created and second.number == 2 and len(second.items) == 10
        assert {item.question.objective for item in second.items} == objectives
        shared = {i.question_id for i in first.items} & {i.question_id for i in second.items}
        overlaps.append(len(shared) / len(first.items))
    # Each objective still has six or more unseen questions: nothing is repeated.
    assert max(overlaps) <= 0.4
    assert overlaps == [0.0] * 12


def test_reading_the_history_for_a_draw_is_one_query(
    gamma: Module, make_user: Any, queries: Any
) -> None:
    learner = make_user(roles=["learner"], ministry="GT")
    first, _created = attempts.start(learner, "gamma")
    _fail(learner, first)
    db.session.commit()
    version = gamma.current_version
    learner_id, _loaded = learner.id, (version.id, version.module_id)
    with queries() as recorded:
        seen = draw.seen_at(learner_id, version)
    assert len(recorded) == 1
    assert set(seen) == {item.question_id for item in first.items}
    assert set(seen.values()) == {1}
    assert db.session.get(Question, next(iter(seen))).module_version_id == version.id
