"""Reports: quiz item analysis (facility and discrimination of each question)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    case,
    cast,
    func,
    literal,
    select,
    tuple_,
    union_all,
)

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

from training.reports import cache, queries
from training.reports.scope import Scope

# Item analysis: a question needs this many graded answers before it gets an index, and
# the upper and lower groups are this share (per cent) of its answers.
MIN_ANSWERS = 5
GROUP_PERCENT = 27


def graded(*conditions: Any) -> list[Any]:
    """The conditions on :class:`Attempt` that keep the graded attempts (submitted or
    expired, with a score), with ``conditions`` added."""
    return [Attempt.status != IN_PROGRESS, Attempt.score.is_not(None), *conditions]


UPPER = 1
LOWER = -1


@dataclass(frozen=True)
class GradedAttempts:
    """Per module version, the graded attempts that meet some conditions: how many, and
    the sums of their ids and of score × id. Together they are the *version* of the
    data the item analyses read (see :mod:`training.reports.cache`): grading, removing
    or regrading any of those attempts changes them."""

    counts: tuple[tuple[int, int, int, int], ...]

    def sizes(self) -> dict[int, int]:
        """Each version's number of attempts."""
        return {version: n for version, n, _ids, _scores in self.counts}


def graded_attempts(conditions: list[Any]) -> GradedAttempts:
    """The :class:`GradedAttempts` that meet ``conditions`` (see :func:`graded`); one
    query, answered from the index on the attempts' version, score and id."""
    rows = db.session.execute(
        select(
            Attempt.module_version_id,
            func.count(),
            func.sum(Attempt.id),
            # In 64 bits: score × id overflows PostgreSQL's integer past 21 million ids.
            func.sum(cast(Attempt.score, BigInteger) * Attempt.id),
        )
        .where(*conditions)
        .group_by(Attempt.module_version_id)
        .order_by(Attempt.module_version_id)
    ).all()
    return GradedAttempts(
        tuple((int(row[0]), int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in rows)
    )


def kelley_group(conditions: list[Any], attempts: GradedAttempts) -> ColumnElement[int]:
    """Which of Kelley's groups an attempt that meets ``conditions`` (see :func:`graded`)
    falls in: :data:`UPPER`, :data:`LOWER` or 0 (neither), as a column of
    :class:`Attempt`; ``attempts`` are those attempts counted (:func:`graded_attempts`).

    The attempts at each module version are ranked by score, ties broken by attempt,
    newest first; with ``n`` of them, the upper group is the ``k`` best and the lower
    group the ``k`` worst, ``k`` = :func:`group_size` (``n``). Ranking every attempt
    (a window function) sorts them all on each request; instead, one small query finds
    each version's ``k``-th best and ``k``-th worst attempt, read from the index on
    (version, score, id): an attempt is in the upper group when its (score, id) is at
    least the ``k``-th best's, in the lower one when at most the ``k``-th worst's. The
    groups are the ranking's: (score, id) orders a version's attempts totally, as the
    ranking does, and the two groups never overlap (``2k < n + 1``).
    """
    sizes = {version: group_size(n) for version, n in attempts.sizes().items()}
    sizes = {version: k for version, k in sizes.items() if k > 0}
    if not sizes:
        return literal(0)
    key = (Attempt.score, Attempt.id)
    parts = []
    for version, k in sorted(sizes.items()):
        for side, order in ((UPPER, [c.desc() for c in key]), (LOWER, list(key))):
            parts.append(
                select(literal(version).label("version"), literal(side).label("side"), *key)
                .where(*conditions, Attempt.module_version_id == version)
                .order_by(*order)
                .limit(1)
                .offset(k - 1)
                .subquery()
                .select()
            )
    bounds: dict[int, dict[int, tuple[int, int]]] = {}
    for row in db.session.execute(union_all(*parts)):
        bounds.setdefault(row.version, {})[row.side] = (row.score, row.id)
    groups = {
        version: case(
            (tuple_(*key) >= tuple_(*sides[UPPER]), UPPER),
            (tuple_(*key) <= tuple_(*sides[LOWER]), LOWER),
            else_=0,
        )
        for version, sides in bounds.items()
        # Both bounds, unless attempts went away between the two queries.
        if len(sides) == 2
    }
    if not groups:
        return literal(0)
    return case(groups, value=Attempt.module_version_id, else_=0)


def group_answers(conditions: list[Any], attempts: GradedAttempts) -> Query:
    """Per question and Kelley group (``question_id``, ``kelley``: see
    :func:`kelley_group`), the graded answers (``answers``) and their credit
    (``credit``) in the attempts that meet ``conditions`` (see :func:`graded`): one
    pass over the answers joined to their attempts, both read from covering indexes
    (migration 0017), after the small query of :func:`kelley_group`. At most three rows
    per question; :func:`fold` makes them one :class:`Indices`."""
    group = kelley_group(conditions, attempts).label("kelley")
    credit = AttemptAnswer.credit
    return (
        select(
            AttemptAnswer.question_id,
            group,
            func.count(credit).label("answers"),
            func.sum(credit).label("credit"),
        )
        .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
        .where(*conditions, credit.is_not(None))
        .group_by(AttemptAnswer.question_id, group)
    )


@dataclass
class Indices:
    """A question's graded answers and their credit: in all, in the upper and in the
    lower group."""

    answers: int = 0
    credit: float = 0.0
    upper_answers: int = 0
    upper_credit: float = 0.0
    lower_answers: int = 0
    lower_credit: float = 0.0

    def add(self, group: int, answers: int, credit: float) -> None:
        self.answers += answers
        self.credit += credit
        if group == UPPER:
            self.upper_answers += answers
            self.upper_credit += credit
        elif group == LOWER:
            self.lower_answers += answers
            self.lower_credit += credit

    def facility(self) -> float:
        return round(self.credit / self.answers, 3)

    def discrimination(self) -> float | None:
        """Facility in the upper group minus that in the lower; None when either is
        empty."""
        if not self.upper_answers or not self.lower_answers:
            return None
        return round(
            self.upper_credit / self.upper_answers - self.lower_credit / self.lower_answers, 3
        )


def fold(rows: Iterable[Any]) -> dict[int, Indices]:
    """The rows of :func:`group_answers` (or any rows with its columns), per question."""
    found: dict[int, Indices] = {}
    for row in rows:
        indices = found.setdefault(row.question_id, Indices())
        indices.add(int(row.kelley), int(row.answers), float(row.credit or 0.0))
    return found


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
    attempts (of the filtered learners, module and period): three queries (see
    :func:`group_answers`), one while those attempts are unchanged since the same
    figures were last computed in this process (:mod:`training.reports.cache`).

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
    start, end = scope.filters.period()
    conditions = graded(
        Attempt.ministry_id == scope.ministry.id,
        *queries.within(Attempt.submitted_at, start, end),
    )
    conditions += queries.people_conditions(Attempt.user_id, scope)
    if scope.filters.module:
        conditions.append(
            Attempt.module_id.in_(select(Module.id).where(Module.slug == scope.filters.module))
        )
    attempts = graded_attempts(conditions)
    filters = scope.filters
    key = (
        "items",
        scope.ministry.id,
        scope.post.id if scope.post is not None else None,
        scope.cohort.id if scope.cohort is not None else None,
        filters.date_from,
        filters.date_to,
        filters.module,
    )
    found = cache.results().get_or_compute(
        key, attempts, lambda: tuple(_item_analysis(conditions, attempts))
    )
    return list(found)


def _item_analysis(conditions: list[Any], attempts: GradedAttempts) -> list[ItemStatistic]:
    stats = group_answers(conditions, attempts).subquery("stats")
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
    indices = fold(rows)
    items = []
    seen = set()
    for row in rows:
        if row.question_id in seen:
            continue
        seen.add(row.question_id)
        question = indices[row.question_id]
        facility = discrimination = None
        if question.answers >= MIN_ANSWERS:
            facility = question.facility()
            discrimination = question.discrimination()
        items.append(
            ItemStatistic(
                question_id=row.question_id,
                question=row.key,
                module=row.slug,
                version=row.number,
                type=row.type,
                topic=row.topic,
                text=dict(row.text or {}),
                answers=question.answers,
                facility=facility,
                discrimination=discrimination,
            )
        )
    return items
