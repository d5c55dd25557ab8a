"""Reports: item statistics for content authors, across every ministry (counts only).

Where :mod:`training.reports.items` shows a coordinator how their own ministry's learners
fare on each question, this report tells the people who write the question banks which
questions to rewrite: it pools the graded answers of every ministry, names nobody and
adds how often each option is chosen, with flags for the usual warning signs.

Five queries whatever the number of modules (see :func:`item_statistics`): the graded
attempts per module version and the bounds of their Kelley groups, the indices per
question (see :func:`training.reports.items.group_answers`), the selections per question
(grouped in the database, so a few rows per question however many learners answered)
and the questions with their options. While the graded attempts are unchanged, the
figures computed last in this process serve again after the first of those queries
(:mod:`training.reports.cache`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import Select, Text, cast, func, or_, select

from training.catalog.models import Choice, Module, ModuleVersion, Question, in_language
from training.errors import NotFound
from training.extensions import db
from training.quizzes.models import Attempt, AttemptAnswer
from training.reports import cache
from training.reports.items import (
    GradedAttempts,
    Indices,
    fold,
    graded,
    graded_attempts,
    group_answers,
)

if TYPE_CHECKING:
    Query = Select[*tuple[Any, ...]]

# A question gets its indices (and so its flags) from this many graded answers on: with
# fewer, one learner more or less swings the facility by more than 0.1 and the 27 %
# groups hold one or two attempts.
MIN_ANSWERS = 10
# Flags (the thresholds the authors' guidelines use).
FACILITY_ABOVE = 0.9  # nearly everybody gets it right: it tells nothing
FACILITY_BELOW = 0.2  # nearly nobody does: wrong key, or a misleading text
DISCRIMINATION_BELOW = 0.15  # does not separate those who know from those who do not
OPTION_BELOW = 0.05  # an option almost nobody chooses is no distractor

TOO_EASY = "too_easy"
TOO_HARD = "too_hard"
LOW_DISCRIMINATION = "low_discrimination"
UNUSED_OPTION = "unused_option"
FLAGS = (TOO_EASY, TOO_HARD, LOW_DISCRIMINATION, UNUSED_OPTION)


@dataclass(frozen=True)
class OptionUse:
    """One option of a question and how many of its answers selected it."""

    key: str
    correct: bool
    text: dict[str, str]
    chosen: int
    share: float | None  # of the question's answers; None below MIN_ANSWERS

    @property
    def rare(self) -> bool:
        return self.share is not None and self.share < OPTION_BELOW

    def text_in(self, language: str) -> str:
        return in_language(self.text, language)


@dataclass(frozen=True)
class ItemStatistics:
    question_id: int
    question: str
    module: str
    version: int
    type: str
    objective: str | None
    text: dict[str, str]
    attempts: int  # graded answers: the attempts that drew the question
    blank: int  # of those, the ones left without any option selected
    facility: float | None
    discrimination: float | None
    options: tuple[OptionUse, ...] = field(default=())

    @property
    def flags(self) -> tuple[str, ...]:
        """The warning signs, in the order of :data:`FLAGS`."""
        found = []
        if self.facility is not None:
            if self.facility > FACILITY_ABOVE:
                found.append(TOO_EASY)
            if self.facility < FACILITY_BELOW:
                found.append(TOO_HARD)
        if self.discrimination is not None and self.discrimination < DISCRIMINATION_BELOW:
            found.append(LOW_DISCRIMINATION)
        if any(option.rare for option in self.options):
            found.append(UNUSED_OPTION)
        return tuple(found)

    def text_in(self, language: str) -> str:
        return in_language(self.text, language)


def flag_label(flag: str) -> str:
    return {
        TOO_EASY: _("demasiado fácil (facilidad > %(limit)s)", limit=FACILITY_ABOVE),
        TOO_HARD: _("demasiado difícil (facilidad < %(limit)s)", limit=FACILITY_BELOW),
        LOW_DISCRIMINATION: _("discrimina poco (< %(limit)s)", limit=DISCRIMINATION_BELOW),
        UNUSED_OPTION: _("opción elegida por menos del %(percent)d %%", percent=5),
    }[flag]


def modules() -> list[tuple[str, dict[str, str]]]:
    """Every module's slug and current title, in the program's order (the page's filter)."""
    rows = db.session.execute(
        select(Module.slug, ModuleVersion.title)
        .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .order_by(ModuleVersion.position, Module.slug)
    ).all()
    return [(row.slug, dict(row.title or {})) for row in rows]


def item_statistics(module: str | None = None) -> list[ItemStatistics]:
    """The statistics of every question answered in a graded attempt, of any ministry,
    and of every question of the modules' current versions (answered or not); only
    module ``module`` (a slug) when given: :class:`NotFound` when no module has it.

    Method (classical test theory):

    * Each graded answer is one observation; an attempt that did not draw the question
      says nothing about it. A question left blank counts, as a wrong answer.
    * *Facility*: the mean credit of the answers, so the share of right answers for
      single-choice and true/false questions, and the mean partial credit for the
      others (multiple response, scenarios).
    * *Discrimination*, upper-lower 27 % (Kelley): the graded attempts at each module
      version are ranked by score (ties: newest first); the best 27 % (rounded half
      up) form the upper group and the worst 27 % the lower one. A question's index is
      its facility among the answers of upper-group attempts minus that among the
      lower-group ones, from -1 to 1. Chosen over the point-biserial correlation
      because it reads directly ("the strong get it right 60 points more often than
      the weak"), it does not assume the score is normally distributed, it is the one
      the coordinators' item analysis already shows (the two reports agree), and it is
      computed entirely in SQL with a window function, the same on both databases. The
      attempt's score includes the question itself (with 10 questions an attempt, this
      inflates the index a little; the flag threshold is low enough for it).
    * Option use: how many answers selected each option, and their share of the
      question's answers (several per answer in multiple response).
    * Below :data:`MIN_ANSWERS` answers a question has counts only: no index, no share,
      no flag.
    """
    module_id = None
    if module is not None:
        module_id = db.session.scalar(select(Module.id).where(Module.slug == module))
        if module_id is None:
            raise NotFound(_("No existe el módulo %(slug)s.", slug=module))
    conditions = graded() if module_id is None else graded(Attempt.module_id == module_id)
    attempts = graded_attempts(conditions)
    found = cache.results().get_or_compute(
        ("item-statistics", module_id),
        attempts,
        lambda: tuple(_item_statistics(module_id, conditions, attempts)),
    )
    return list(found)


def _item_statistics(
    module_id: int | None, conditions: list[Any], attempts: GradedAttempts
) -> list[ItemStatistics]:
    indices = fold(db.session.execute(group_answers(conditions, attempts)))
    chosen: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    blank: dict[int, int] = defaultdict(int)
    for row in db.session.execute(_selections(conditions)):
        ids = json.loads(row.selected) if row.selected else []
        if not ids:
            blank[row.question_id] += int(row.answers)
        for choice_id in set(ids):
            chosen[row.question_id][choice_id] += int(row.answers)
    return _items(_questions(module_id, indices), indices, chosen, blank)


def _selections(conditions: list[Any]) -> Query:
    """How many graded answers made each distinct selection: a handful of rows per
    question (the JSON list as text: equal lists are equal texts)."""
    selected = cast(AttemptAnswer.choice_ids, Text)
    return (
        select(
            AttemptAnswer.question_id,
            selected.label("selected"),
            func.count().label("answers"),
        )
        .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
        .where(*conditions, AttemptAnswer.credit.is_not(None))
        .group_by(AttemptAnswer.question_id, selected)
    )


def _questions(module_id: int | None, indices: dict[int, Indices]) -> list[Any]:
    """The questions to show, each with its options (one row per option), in the
    program's order."""
    objective = getattr(Question, "objective", None)
    columns: list[Any] = [
        Question.id,
        Question.key,
        Question.type,
        Question.text,
        ModuleVersion.number,
        Module.slug,
        Choice.id.label("choice_id"),
        Choice.key.label("choice_key"),
        Choice.correct,
        Choice.text.label("choice_text"),
    ]
    if objective is not None:
        columns.append(objective.label("objective"))
    statement: Query = (
        select(*columns)
        .join(ModuleVersion, ModuleVersion.id == Question.module_version_id)
        .join(Module, Module.id == ModuleVersion.module_id)
        .outerjoin(Choice, Choice.question_id == Question.id)
        .where(or_(Module.current_version_id == ModuleVersion.id, Question.id.in_(list(indices))))
        .order_by(
            ModuleVersion.position,
            Module.slug,
            ModuleVersion.number,
            Question.position,
            Choice.position,
        )
    )
    if module_id is not None:
        statement = statement.where(Module.id == module_id)
    return list(db.session.execute(statement))


def _items(
    rows: Iterable[Any],
    indices: dict[int, Indices],
    chosen: dict[int, dict[int, int]],
    blank: dict[int, int],
) -> list[ItemStatistics]:
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.id, []).append(row)
    items = []
    for question_id, options in grouped.items():
        first = options[0]
        stats = indices.get(question_id)
        answers = stats.answers if stats is not None else 0
        enough = answers >= MIN_ANSWERS
        facility = discrimination = None
        if enough and stats is not None:
            facility = stats.facility()
            discrimination = stats.discrimination()
        counts = chosen.get(question_id, {})
        items.append(
            ItemStatistics(
                question_id=question_id,
                question=first.key,
                module=first.slug,
                version=first.number,
                type=first.type,
                objective=getattr(first, "objective", None),
                text=dict(first.text or {}),
                attempts=answers,
                blank=blank.get(question_id, 0),
                facility=facility,
                discrimination=discrimination,
                options=tuple(
                    OptionUse(
                        key=option.choice_key,
                        correct=bool(option.correct),
                        text=dict(option.choice_text or {}),
                        chosen=counts.get(option.choice_id, 0),
                        share=(
                            round(counts.get(option.choice_id, 0) / answers, 3) if enough else None
                        ),
                    )
                    for option in options
                    if option.choice_id is not None
                ),
            )
        )
    return items
