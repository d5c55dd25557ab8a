"""Reports: the building blocks of the report queries (the learners in scope, a
learner's newest progress row per module, ratios, periods, streaming)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, Select, String, and_, case, exists, func, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import FunctionElement

from training.accounts.models import Role, User, UserRole
from training.certificates.models import VALID, Certificate
from training.cohorts.models import CohortMember
from training.extensions import db
from training.progress.models import ModuleProgress
from training.reports.scope import Scope

if TYPE_CHECKING:
    # A SELECT of any columns.
    Query = Select[*tuple[Any, ...]]


T = TypeVar("T")

# Rows fetched from the database at a time when streaming an export.
CHUNK_ROWS = 1000

# --- Building blocks --------------------------------------------------------------------


def learners(scope: Scope, *columns: Any) -> Query:
    """SELECT ``columns`` FROM the scope's learners (role, ministry, post, cohort)."""
    statement = (
        select(*columns)
        .select_from(User)
        .join(
            UserRole,
            and_(UserRole.user_id == User.id, UserRole.role == Role.learner.value),
        )
        .where(User.ministry_id == scope.ministry.id)
    )
    return narrow_people(statement, User.id, scope)


def narrow_people(statement: Query, user_id: Any, scope: Scope) -> Query:
    """Keep rows whose ``user_id`` is at the filtered post and in the filtered cohort."""
    return statement.where(*people_conditions(user_id, scope))


def people_conditions(user_id: Any, scope: Scope) -> list[ColumnElement[bool]]:
    """The conditions that ``user_id`` is at the filtered post and in the filtered
    cohort (none without those filters)."""
    conditions = []
    if scope.post is not None:
        conditions.append(user_id.in_(select(User.id).where(User.post_id == scope.post.id)))
    if scope.cohort is not None:
        conditions.append(
            user_id.in_(
                select(CohortMember.user_id).where(CohortMember.cohort_id == scope.cohort.id)
            )
        )
    return conditions


def newest_progress() -> tuple[Any, ColumnElement[bool]]:
    """An alias of :class:`ModuleProgress` to outer-join on a learner and a module, and
    the condition that keeps only their newest row (no later one exists: none started
    later, nor at the same instant with a higher id). Written as ``NOT EXISTS`` with a
    row-value comparison, so that both databases answer it with one seek in the index on
    (user, module, started_at, id) (migration 0017)."""
    progress = aliased(ModuleProgress, name="progress")
    newer = aliased(ModuleProgress, name="newer")
    is_newest = ~exists().where(
        newer.user_id == progress.user_id,
        newer.module_id == progress.module_id,
        tuple_(newer.started_at, newer.id) > tuple_(progress.started_at, progress.id),
    )
    return progress, is_newest


def certificate_column(column: Any, program_id: int) -> Any:
    """The learner's certificate of the program with a serial, as a scalar subquery: the
    valid one when there is one, otherwise the latest issued (revoked) one."""
    return (
        select(column)
        .where(
            Certificate.user_id == User.id,
            Certificate.program_id == program_id,
            Certificate.serial.is_not(None),
        )
        .order_by(
            case((Certificate.status == VALID, 0), else_=1),
            Certificate.issued_at.desc(),
            Certificate.id.desc(),
        )
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )


def ratio(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent, one decimal; None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


def mean(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None


class utc_month(FunctionElement[str]):
    """``YYYY-MM`` of a UTC timestamp column, on SQLite and PostgreSQL."""

    type = String()
    inherit_cache = True


@compiles(utc_month)
def _utc_month_sqlite(element: utc_month, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"strftime('%Y-%m', {column})"


@compiles(utc_month, "postgresql")
def _utc_month_postgresql(element: utc_month, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM')"


def within(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


def stream(statement: Query, make_row: Callable[[Any], T]) -> Iterator[T]:
    """The rows of ``statement``, fetched :data:`CHUNK_ROWS` at a time (a server-side
    cursor on PostgreSQL): memory stays bounded whatever the number of rows."""
    result = db.session.execute(statement.execution_options(yield_per=CHUNK_ROWS))
    try:
        for row in result:
            yield make_row(row)
    finally:
        result.close()


def count_learners(scope: Scope) -> int:
    """How many learners the scope covers (one query)."""
    return int(db.session.scalar(learners(scope, func.count(User.id))) or 0)
