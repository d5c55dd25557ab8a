"""Which questions an attempt gets.

* **Stratified**: every objective of the module is asked, and the draw is shared between
  objectives as evenly as their banks allow (sizes differ by at most one, unless an
  objective has too few questions, whose share then goes to the others).
* **Fresh on a retake**: within each objective, questions this learner has never seen come
  first, then those seen longest ago; so two consecutive attempts share as few questions
  as the bank allows (none while each objective still has enough unseen ones).

Pure functions over the bank: :func:`seen_at` reads the learner's history in one query.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from training.catalog.models import ModuleVersion, Question
from training.extensions import db
from training.quizzes.models import Attempt, AttemptQuestion

NEVER = 0


def seen_at(user_id: int, version: ModuleVersion) -> dict[int, int]:
    """For each question of ``version`` this learner was given, the number of the last
    attempt that had it (one query)."""
    rows = db.session.execute(
        select(AttemptQuestion.question_id, func.max(Attempt.number))
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(
            Attempt.user_id == user_id,
            Attempt.module_id == version.module_id,
            Attempt.module_version_id == version.id,
        )
        .group_by(AttemptQuestion.question_id)
    )
    return {row[0]: row[1] for row in rows}


def shares(capacities: Sequence[int], size: int, rng: random.Random) -> list[int]:
    """How many questions to draw from each group: as even as the capacities allow.

    The remainder of an uneven split goes to groups chosen at random, so that no
    objective is always the one asked once more.
    """
    counts = [0] * len(capacities)
    remaining = min(size, sum(capacities))
    while remaining:
        open_groups = [index for index, cap in enumerate(capacities) if counts[index] < cap]
        each, extra = divmod(remaining, len(open_groups))
        lucky = set(rng.sample(open_groups, k=extra))
        for index in open_groups:
            add = min(each + (1 if index in lucky else 0), capacities[index] - counts[index])
            counts[index] += add
            remaining -= add
    return counts


def draw(
    bank: Sequence[Question],
    objective_ids: Sequence[str],
    size: int,
    seen: dict[int, int],
    rng: random.Random,
) -> list[Question]:
    """``size`` questions of ``bank``, stratified by objective, freshest first, shuffled.

    ``seen`` maps question ids to the last attempt that had them. Questions with no
    objective (loaded before objectives existed) form one group of their own.
    """
    groups: dict[Any, list[Question]] = {objective: [] for objective in objective_ids}
    for question in bank:
        groups.setdefault(question.objective, []).append(question)
    ordered = [questions for questions in groups.values() if questions]
    counts = shares([len(questions) for questions in ordered], size, rng)
    drawn: list[Question] = []
    for questions, count in zip(ordered, counts, strict=True):
        # Random order first, then a stable sort by recency: ties stay random.
        candidates = rng.sample(list(questions), k=len(questions))
        candidates.sort(key=lambda question: seen.get(question.id, NEVER))
        drawn.extend(candidates[:count])
    rng.shuffle(drawn)
    return drawn
