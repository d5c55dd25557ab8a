"""Grading by question type: a registry, so that a new type is one function.

Each grader takes the set of correct choice ids and the set the learner selected and
returns the credit for the question, between 0 and 1.

Partial credit for ``multiple`` (documented for learners on the quiz page): each correct
choice ticked earns an equal share of the question; each wrong choice ticked takes one
share away; the credit never goes below zero. Ticking everything therefore earns
nothing unless everything is correct, and only a perfect answer counts as correct.
"""

from __future__ import annotations

from collections.abc import Callable

Grader = Callable[[frozenset[int], frozenset[int]], float]
GRADERS: dict[str, Grader] = {}


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


def grade(question_type: str, correct: frozenset[int], selected: frozenset[int]) -> float:
    return GRADERS[question_type](correct, selected)


def score(credits: list[float]) -> int:
    """The attempt's score, 0–100, rounded half up."""
    if not credits:
        return 0
    return int(100 * sum(credits) / len(credits) + 0.5)
