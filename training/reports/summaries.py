"""Reports: summaries per module, per post and per cohort, and the external courses
beside the modules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select

from training.accounts.models import User
from training.catalog.models import (
    in_language,
)
from training.certificates.models import VALID, Certificate
from training.cohorts import services as cohorts
from training.cohorts.services import CohortSummary
from training.extensions import db
from training.links.models import (
    REJECTED,
    REPORTED,
    VERIFIED,
    ExternalCompletion,
    ExternalCourse,
    ExternalCourseCredit,
)
from training.ministries.models import Post
from training.progress.models import ModuleProgress, ProgramCompletion

if TYPE_CHECKING:
    # A SELECT of any columns.
    Query = Select[*tuple[Any, ...]]

from training.reports import queries
from training.reports.queries import count_learners
from training.reports.scope import ModuleInfo, Scope, posts

# --- External courses beside the modules ------------------------------------------------


@dataclass(frozen=True)
class ExternalSummary:
    """One external course (IOM's virtual course first) as the scope's learners followed
    it: completions reported and awaiting review, verified, rejected."""

    course_id: int
    provider: str
    title: dict[str, str]
    active: bool
    counts_toward_program: bool
    learners: int
    reported: int
    verified: int
    rejected: int

    def title_in(self, language: str) -> str:
        return in_language(self.title, language)

    @property
    def not_reported(self) -> int:
        return self.learners - self.reported - self.verified - self.rejected

    @property
    def verified_rate(self) -> float | None:
        return queries.ratio(self.verified, self.learners)


def external_summaries(scope: Scope, *, learners: int | None = None) -> list[ExternalSummary]:
    """Per external course the ministry sees (its own and those registered for every
    ministry; a withdrawn one only while someone of the scope completed it): how many of
    the scope's learners reported it, had it verified or rejected, and whether the
    ministry counts it toward the program. The dates narrow completions to those
    completed in the period. One query (two without ``learners``)."""

    def tally(status: str) -> Any:
        return func.sum(case((ExternalCompletion.status == status, 1), else_=0))

    completions = (
        queries.learners(
            scope,
            ExternalCompletion.course_id.label("course_id"),
            tally(REPORTED).label("reported"),
            tally(VERIFIED).label("verified"),
            tally(REJECTED).label("rejected"),
        )
        .join(ExternalCompletion, ExternalCompletion.user_id == User.id)
        .group_by(ExternalCompletion.course_id)
    )
    if scope.filters.date_from:
        completions = completions.where(ExternalCompletion.completed_on >= scope.filters.date_from)
    if scope.filters.date_to:
        completions = completions.where(ExternalCompletion.completed_on <= scope.filters.date_to)
    done = completions.subquery()
    rows = db.session.execute(
        select(
            ExternalCourse.id,
            ExternalCourse.provider,
            ExternalCourse.title,
            ExternalCourse.active,
            ExternalCourseCredit.course_id.label("credit"),
            done.c.reported,
            done.c.verified,
            done.c.rejected,
        )
        .outerjoin(
            ExternalCourseCredit,
            and_(
                ExternalCourseCredit.course_id == ExternalCourse.id,
                ExternalCourseCredit.ministry_id == scope.ministry.id,
            ),
        )
        .outerjoin(done, done.c.course_id == ExternalCourse.id)
        .where(
            or_(
                ExternalCourse.ministry_id.is_(None),
                ExternalCourse.ministry_id == scope.ministry.id,
            ),
            or_(ExternalCourse.active, done.c.course_id.is_not(None)),
        )
        .order_by(ExternalCourse.provider, ExternalCourse.id)
    ).all()
    if not rows:
        return []
    if learners is None:
        learners = count_learners(scope)
    return [
        ExternalSummary(
            course_id=row.id,
            provider=row.provider,
            title=row.title,
            active=row.active,
            counts_toward_program=row.credit is not None,
            learners=learners,
            reported=int(row.reported or 0),
            verified=int(row.verified or 0),
            rejected=int(row.rejected or 0),
        )
        for row in rows
    ]


# --- Summaries --------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleSummary:
    module: ModuleInfo
    learners: int
    started: int
    completed: int
    average_best_score: float | None

    @property
    def not_started(self) -> int:
        return self.learners - self.started

    @property
    def in_progress(self) -> int:
        return self.started - self.completed

    @property
    def completion_rate(self) -> float | None:
        return queries.ratio(self.completed, self.learners)


def module_summaries(scope: Scope, *, learners: int | None = None) -> list[ModuleSummary]:
    """Per module of the program: learners, how many started and completed it, and their
    average best score; two queries (one when ``learners``, the number of learners in the
    scope, is given)."""
    program = scope.program
    if program is None or not program.modules:
        return []
    latest, is_newest = queries.newest_progress()
    rows = db.session.execute(
        queries.learners(
            scope,
            latest.module_id,
            func.count(latest.id),
            func.count(latest.completed_at),
            func.avg(latest.best_score),
        )
        .join(latest, and_(latest.user_id == User.id, is_newest))
        .where(latest.module_id.in_(program.module_ids))
        .group_by(latest.module_id)
    ).all()
    if learners is None:
        learners = count_learners(scope)
    found = {row[0]: row for row in rows}
    summaries = []
    for module in program.modules:
        row = found.get(module.id)
        if row is None:
            summaries.append(ModuleSummary(module, learners, 0, 0, None))
        else:
            summaries.append(
                ModuleSummary(module, learners, int(row[1]), int(row[2]), queries.mean(row[3]))
            )
    return summaries


@dataclass(frozen=True)
class PostSummary:
    post_id: int | None
    post: str | None
    learners: int
    inactive: int
    started: int
    completed: int
    certificates: int

    @property
    def completion_rate(self) -> float | None:
        return queries.ratio(self.completed, self.learners)


def post_summaries(scope: Scope, post_list: list[Post] | None = None) -> list[PostSummary]:
    """Per post (and for learners without one): learners, how many started the program,
    completed it and hold a valid certificate (one query, plus the posts when not given)."""
    program = scope.program
    post_list = posts(scope) if post_list is None else post_list
    if program is None:
        started: ColumnElement[bool] | None = None
        completed: ColumnElement[bool] | None = None
        certified: ColumnElement[bool] | None = None
    else:
        started = exists().where(
            ModuleProgress.user_id == User.id, ModuleProgress.module_id.in_(program.module_ids)
        )
        completed = exists().where(
            ProgramCompletion.user_id == User.id, ProgramCompletion.program_id == program.id
        )
        certified = exists().where(
            Certificate.user_id == User.id,
            Certificate.program_id == program.id,
            Certificate.status == VALID,
        )

    def flag(condition: ColumnElement[bool] | None) -> Any:
        if condition is None:
            return func.sum(0)
        return func.sum(case((condition, 1), else_=0))

    rows = db.session.execute(
        queries.learners(
            scope,
            User.post_id,
            func.count(User.id),
            func.sum(case((User.active.is_(True), 0), else_=1)),
            flag(started),
            flag(completed),
            flag(certified),
        ).group_by(User.post_id)
    ).all()
    found = {row[0]: row for row in rows}

    def summary(post_id: int | None, name: str | None) -> PostSummary:
        row = found.get(post_id)
        if row is None:
            return PostSummary(post_id, name, 0, 0, 0, 0, 0)
        return PostSummary(post_id, name, *(int(value or 0) for value in row[1:]))

    shown = [p for p in post_list if scope.post is None or p.id == scope.post.id]
    summaries = [summary(post.id, post.name) for post in shown]
    if None in found:
        summaries.append(summary(None, None))
    return summaries


def cohort_summaries(scope: Scope, *, every_cohort: bool = False) -> list[CohortSummary]:
    """The ministry's cohorts (only the filtered one unless ``every_cohort``) with their
    members (at the filtered post), how many completed the cohort's program, and so how
    many are overdue; one query (:func:`training.cohorts.services.tally`)."""
    return cohorts.tally(
        scope.ministry.id,
        post_id=scope.post.id if scope.post is not None else None,
        cohort_id=scope.cohort.id if scope.cohort is not None and not every_cohort else None,
    )
