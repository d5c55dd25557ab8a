"""Reports: completion per learner and module, and overdue learners (pages and
streamed exports)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, exists, func, select

from training.accounts.models import User
from training.catalog.models import (
    ProgramModule,
)
from training.certificates.models import Certificate
from training.cohorts.models import Cohort, CohortMember
from training.extensions import db
from training.ministries.models import Post
from training.progress.models import ModuleProgress, ProgramCompletion

if TYPE_CHECKING:
    # A SELECT of any columns.
    Query = Select[*tuple[Any, ...]]

from training.reports import queries
from training.reports.queries import count_learners
from training.reports.scope import (
    COMPLETED,
    IN_PROGRESS_STATUS,
    NOT_STARTED,
    ModuleInfo,
    ProgramInfo,
    Scope,
)

# --- Completion per learner and module --------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompletionRow:
    learner_id: int
    full_name: str
    email: str
    post: str | None
    inactive: bool
    module: ModuleInfo
    status: str
    best_score: int | None
    completed_at: datetime | None
    certificate_serial: str | None
    certificate_status: str | None


def _completion_statement(scope: Scope) -> Query | None:
    program = scope.program
    if program is None or not program.modules:
        return None
    latest, is_newest = queries.newest_progress()
    statement = (
        queries.learners(
            scope,
            User.id,
            User.full_name,
            User.email,
            User.active,
            Post.name.label("post_name"),
            ProgramModule.module_id,
            latest.user_id.label("started"),
            latest.best_score,
            latest.completed_at,
            queries.certificate_column(Certificate.serial, program.id).label("serial"),
            queries.certificate_column(Certificate.status, program.id).label("certificate_status"),
        )
        .join(ProgramModule, ProgramModule.program_id == program.id)
        .outerjoin(Post, Post.id == User.post_id)
        .outerjoin(
            latest,
            and_(
                latest.user_id == User.id,
                latest.module_id == ProgramModule.module_id,
                is_newest,
            ),
        )
    )
    status = scope.filters.status
    if status == NOT_STARTED:
        statement = statement.where(latest.user_id.is_(None))
    elif status == IN_PROGRESS_STATUS:
        statement = statement.where(latest.user_id.is_not(None), latest.completed_at.is_(None))
    elif status == COMPLETED:
        statement = statement.where(latest.completed_at.is_not(None))
    start, end = scope.filters.period()
    statement = statement.where(*queries.within(latest.completed_at, start, end))
    return statement.order_by(User.full_name, User.id, ProgramModule.position)


def _completion_row(program: ProgramInfo, row: Any) -> CompletionRow:
    if row.started is None:
        status = NOT_STARTED
    elif row.completed_at is None:
        status = IN_PROGRESS_STATUS
    else:
        status = COMPLETED
    return CompletionRow(
        learner_id=row.id,
        full_name=row.full_name,
        email=row.email,
        post=row.post_name,
        inactive=not row.active,
        module=program.module(row.module_id),
        status=status,
        best_score=row.best_score,
        completed_at=row.completed_at,
        certificate_serial=row.serial,
        certificate_status=row.certificate_status,
    )


def completion_page(
    scope: Scope, page: int, per_page: int, *, learners: int | None = None
) -> tuple[list[CompletionRow], int]:
    """One page of the completion report (one row per learner and module, by name) and
    the number of rows in all pages; two queries (one when ``learners``, the number of
    learners in the scope, is given and no status or date narrows the rows)."""
    statement = _completion_statement(scope)
    if statement is None or scope.program is None:
        return [], 0
    filters = scope.filters
    offset = (page - 1) * per_page
    if filters.status or filters.date_from or filters.date_to:
        rows = db.session.execute(statement.limit(per_page).offset(offset)).all()
    else:
        # Every learner has one row per module, in the learners' order: the page's rows
        # are those of a few learners, found first from the index on (ministry, name, id)
        # (the rows of the learners before them are never built).
        modules = len(scope.program.modules)
        window = (
            queries.learners(scope, User.id)
            .order_by(User.full_name, User.id)
            .limit(-(-(offset % modules + per_page) // modules))
            .offset(offset // modules)
        )
        statement = statement.where(User.id.in_(window.scalar_subquery()))
        rows = db.session.execute(statement.limit(per_page).offset(offset % modules)).all()
    if filters.status or filters.date_from or filters.date_to:
        total = int(
            db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
            or 0
        )
    else:
        # Every learner has a row for every module: no need to count the rows.
        if learners is None:
            learners = count_learners(scope)
        total = learners * len(scope.program.modules)
    return [_completion_row(scope.program, row) for row in rows], total


def completion_stream(scope: Scope) -> Iterator[CompletionRow]:
    """Every row of the completion report, streamed (see :func:`queries.stream`). The query is
    built now, from the scope as the request loaded it; its rows are read while the
    response streams, after a commit may have expired the request's objects."""
    statement = _completion_statement(scope)
    program = scope.program
    if statement is None or program is None:
        return iter(())
    return queries.stream(statement, lambda row: _completion_row(program, row))


# --- Overdue learners -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverdueRow:
    learner_id: int
    full_name: str
    email: str
    post: str | None
    inactive: bool
    cohort_id: int
    cohort: str
    deadline: date
    modules_completed: int
    modules_total: int

    @property
    def days_overdue(self) -> int:
        return (date.today() - self.deadline).days


def _overdue_statement(scope: Scope) -> Query:
    program_modules = (
        select(ProgramModule.module_id)
        .where(ProgramModule.program_id == Cohort.program_id)
        .correlate(Cohort)
    )
    modules_completed = (
        select(func.count(func.distinct(ModuleProgress.module_id)))
        .where(
            ModuleProgress.user_id == User.id,
            ModuleProgress.completed_at.is_not(None),
            ModuleProgress.module_id.in_(program_modules),
        )
        .correlate(User, Cohort)
        .scalar_subquery()
    )
    modules_total = (
        select(func.count(ProgramModule.module_id))
        .where(ProgramModule.program_id == Cohort.program_id)
        .correlate(Cohort)
        .scalar_subquery()
    )
    completed = exists().where(
        ProgramCompletion.user_id == CohortMember.user_id,
        ProgramCompletion.program_id == Cohort.program_id,
    )
    statement = (
        select(
            User.id,
            User.full_name,
            User.email,
            User.active,
            Post.name.label("post_name"),
            Cohort.id.label("cohort_id"),
            Cohort.name.label("cohort_name"),
            Cohort.deadline,
            modules_completed.label("modules_completed"),
            modules_total.label("modules_total"),
        )
        .select_from(CohortMember)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(User, User.id == CohortMember.user_id)
        .outerjoin(Post, Post.id == User.post_id)
        .where(
            Cohort.ministry_id == scope.ministry.id,
            User.ministry_id == scope.ministry.id,
            Cohort.deadline < date.today(),
            ~completed,
        )
    )
    statement = queries.narrow_people(statement, User.id, scope)
    return statement.order_by(Cohort.deadline, User.full_name, User.id, Cohort.id)


def _overdue_row(row: Any) -> OverdueRow:
    return OverdueRow(
        learner_id=row.id,
        full_name=row.full_name,
        email=row.email,
        post=row.post_name,
        inactive=not row.active,
        cohort_id=row.cohort_id,
        cohort=row.cohort_name,
        deadline=row.deadline,
        modules_completed=int(row.modules_completed or 0),
        modules_total=int(row.modules_total or 0),
    )


def overdue_page(scope: Scope, page: int, per_page: int) -> tuple[list[OverdueRow], int]:
    """Members of the ministry's cohorts whose deadline has passed without completing the
    cohort's program, oldest deadline first (one query, two past the last page)."""
    statement = _overdue_statement(scope)
    rows = db.session.execute(
        statement.add_columns(func.count().over().label("total_rows"))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if rows:
        total = int(rows[0].total_rows)
    elif page > 1:
        total = int(
            db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
            or 0
        )
    else:
        total = 0
    return [_overdue_row(row) for row in rows], total


def overdue_stream(scope: Scope) -> Iterator[OverdueRow]:
    """Every overdue learner, streamed; the query is built now (see
    :func:`completion_stream`)."""
    return queries.stream(_overdue_statement(scope), _overdue_row)
