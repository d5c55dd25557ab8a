"""Reports: quiz item analysis (facility and discrimination of each question)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, case, func, select

from training.catalog.models import (
    Module,
    ModuleVersion,
    Question,
    in_language,
)
from training.extensions import db
from training.quizzes.models import IN_PROGRESS, Attempt, AttemptAnswer

if TYPE_CHECKING:
    # A SELECT of any columns.
    Query = Select[*tuple[Any, ...]]

from training.reports import queries
from training.reports.scope import Scope

# Item analysis: a question needs this many graded answers before it gets an index, and
# the upper and lower groups are this share (per cent) of its answers.
MIN_ANSWERS = 5
GROUP_PERCENT = 27


def graded_attempts() -> Query:
    """Every graded attempt with its rank by score within its module version (``rank``,
    1 the best) and the number of graded attempts at that version (``attempts``)."""
    return select(
        Attempt.id,
        func.row_number()
        .over(
            partition_by=Attempt.module_version_id,
            order_by=(Attempt.score.desc(), Attempt.id.desc()),
        )
        .label("rank"),
        func.count().over(partition_by=Attempt.module_version_id).label("attempts"),
    ).where(Attempt.status != IN_PROGRESS, Attempt.score.is_not(None))


def upper_lower_indices(ranked: Any) -> Query:
    """Per question, from the graded attempts ``ranked`` (columns ``id``, ``rank`` by score
    from the best, ``attempts`` in the group): answers and credit, and answers and credit
    in the upper and in the lower ``GROUP_PERCENT`` of the attempts (Kelley's groups).

    rank <= k, with k = floor((n * 27 + 50) / 100), written without a division so that
    both databases compute it in integers.
    """
    threshold = ranked.c.attempts * GROUP_PERCENT + 50
    upper = ranked.c.rank * 100 <= threshold
    lower = (ranked.c.attempts - ranked.c.rank + 1) * 100 <= threshold
    credit = AttemptAnswer.credit
    return (
        select(
            AttemptAnswer.question_id,
            func.count(credit).label("answers"),
            func.sum(credit).label("credit"),
            func.sum(case((upper, credit), else_=0.0)).label("upper_credit"),
            func.sum(case((upper, 1), else_=0)).label("upper_answers"),
            func.sum(case((lower, credit), else_=0.0)).label("lower_credit"),
            func.sum(case((lower, 1), else_=0)).label("lower_answers"),
        )
        .join(ranked, ranked.c.id == AttemptAnswer.attempt_id)
        .where(credit.is_not(None))
        .group_by(AttemptAnswer.question_id)
    )


# A question is flagged for review below these values (classical test theory: an item
# that discriminates below 0.2 discriminates poorly; a negative one misleads the better
# learners more than the weaker ones).
REVIEW_DISCRIMINATION = 0.2
REVIEW_FACILITY = 0.3


# --- Quiz item analysis -----------------------------------------------------------------


@dataclass(frozen=True)
class ItemStatistic:
    question_id: int
    question: str
    module: str
    version: int
    type: str
    topic: str
    text: dict[str, str]
    answers: int
    facility: float | None
    discrimination: float | None

    @property
    def review(self) -> bool:
        """Worth a content editor's look: too hard, or not separating strong from weak."""
        if self.facility is None or self.discrimination is None:
            return False
        return self.discrimination < REVIEW_DISCRIMINATION or self.facility < REVIEW_FACILITY

    def text_in(self, language: str) -> str:
        return in_language(self.text, language)


def group_size(answers: int) -> int:
    """Size of the upper and lower groups: 27 % of the answers, rounded half up."""
    return (answers * GROUP_PERCENT + 50) // 100


def item_analysis(scope: Scope) -> list[ItemStatistic]:
    """Facility and discrimination of every question answered in the ministry's graded
    attempts (of the filtered learners, module and period); one query.

    Method (classical test theory, Kelley's 27 % groups):

    * Each graded answer is one observation; a learner who tried twice counts twice.
    * *Facility* is the mean credit of the question's answers (credit is 1 for a right
      answer, 0 for a wrong one, a share in between for a partly right multiple-choice
      answer): the share of learners who get it right. Low facility: a hard question, or
      a misleading one.
    * *Discrimination*: the attempts at each version of a module's quiz are ranked by
      score (ties broken by attempt, newest first); the upper group is the best 27 %
      (rounded half up, see :func:`group_size`), the lower group the worst 27 %. A
      question's discrimination is its facility among the answers given in upper-group
      attempts minus its facility among those given in lower-group attempts. It runs from
      -1 to 1: near zero, the question does not separate learners who know the subject
      from those who do not; negative, the stronger learners get it wrong more often, so
      it misleads. (The attempt score includes the question itself.)
    * A question with fewer than :data:`MIN_ANSWERS` answers gets neither index (too few
      to mean anything): ``None``; nor gets a discrimination when no answer of it falls
      in one of the groups.
    """
    graded = graded_attempts().where(Attempt.ministry_id == scope.ministry.id)
    graded = queries.narrow_people(graded, Attempt.user_id, scope)
    start, end = scope.filters.period()
    graded = graded.where(*queries.within(Attempt.submitted_at, start, end))
    if scope.filters.module:
        graded = graded.where(
            Attempt.module_id.in_(select(Module.id).where(Module.slug == scope.filters.module))
        )
    ranked = graded.subquery("ranked")
    stats = upper_lower_indices(ranked).subquery("stats")
    rows = db.session.execute(
        select(
            stats,
            Question.key,
            Question.type,
            Question.topic,
            Question.text,
            ModuleVersion.number,
            Module.slug,
        )
        .join(Question, Question.id == stats.c.question_id)
        .join(ModuleVersion, ModuleVersion.id == Question.module_version_id)
        .join(Module, Module.id == ModuleVersion.module_id)
        .order_by(ModuleVersion.position, Module.slug, ModuleVersion.number, Question.position)
    ).all()
    items = []
    for row in rows:
        answers = int(row.answers)
        facility = discrimination = None
        if answers >= MIN_ANSWERS:
            facility = round(float(row.credit) / answers, 3)
            if row.upper_answers and row.lower_answers:
                discrimination = round(
                    float(row.upper_credit) / int(row.upper_answers)
                    - float(row.lower_credit) / int(row.lower_answers),
                    3,
                )
        items.append(
            ItemStatistic(
                question_id=row.question_id,
                question=row.key,
                module=row.slug,
                version=row.number,
                type=row.type,
                topic=row.topic,
                text=dict(row.text or {}),
                answers=answers,
                facility=facility,
                discrimination=discrimination,
            )
        )
    return items
