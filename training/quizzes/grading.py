"""Grading by question type: a registry, so that a new type is one function.

Each grader takes the set of correct choice ids and the set the learner selected and
returns the credit for the question, between 0 and 1.

Partial credit for ``multiple`` (documented for learners on the quiz page): each correct
choice ticked earns an equal share of the question; each wrong choice ticked takes one
share away; the credit never goes below zero. Ticking everything therefore earns
nothing unless everything is correct, and only a perfect answer counts as correct.

Types answered by a path of decisions rather than a set of choices (``scenario``) have
their own graders in ``PATH_GRADERS``: they take the item's definition and the ordered
option ids the learner chose.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from training.quizzes import scenarios

Grader = Callable[[frozenset[int], frozenset[int]], float]
GRADERS: dict[str, Grader] = {}
PathGrader = Callable[[Mapping[str, Any], Sequence[str]], float]
PATH_GRADERS: dict[str, PathGrader] = {}


def grader(*types: str) -> Callable[[Grader], Grader]:
    def register(function: Grader) -> Grader:
        for question_type in types:
            GRADERS[question_type] = function
        return function

    return register


@grader("single", "true_false")
def exactly_the_correct_one(correct: frozenset[int], selected: frozenset[int]) -> float:
    return 1.0 if selected == correct else 0.0


@grader("multiple")
def shares_minus_wrong_ticks(correct: frozenset[int], selected: frozenset[int]) -> float:
    if not correct:
        return 0.0
    right = len(selected & correct)
    wrong = len(selected - correct)
    return max(0.0, (right - wrong) / len(correct))


def path_grader(*types: str) -> Callable[[PathGrader], PathGrader]:
    def register(function: PathGrader) -> PathGrader:
        for question_type in types:
            PATH_GRADERS[question_type] = function
        return function

    return register


@path_grader("scenario")
def mean_credit_unless_unsafe(definition: Mapping[str, Any], path: Sequence[str]) -> float:
    """Mean credit over the decisions walked; 0 for the whole item after an unsafe one
    (putting the person at risk is not partly right)."""
    return scenarios.credit(definition, path)


def grade_path(question_type: str, definition: Mapping[str, Any], path: Sequence[str]) -> float:
    return PATH_GRADERS[question_type](definition, path)


def grade(question_type: str, correct: frozenset[int], selected: frozenset[int]) -> float:
    return GRADERS[question_type](correct, selected)


def score(credits: list[float]) -> int:
    """The attempt's score, 0–100, rounded half up."""
    if not credits:
        return 0
    return int(100 * sum(credits) / len(credits) + 0.5)
