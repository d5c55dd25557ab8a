"""Reports: figures on learning, read from the database and never written to it.

Two audiences, two permissions (:mod:`training.authz`):

* **Ministry reports** (``view_ministry_reports``: coordinators for their own ministry,
  administrators for any ministry they name): completion per learner and module,
  summaries per post, per module and per cohort, overdue learners, and quiz item
  analysis. Every function works inside a :class:`Scope` built by :func:`scope`, which
  checks the ministry and every id given as a filter through ``authz``: an id of another
  ministry answers 404, exactly like one that does not exist.
* **Regional reports** (``view_regional_reports``): per ministry, counts and rates only.
  No query behind them selects a person's name, e-mail or id.

Definitions:

* *Learners* are users with the learner role; deactivated ones stay in every report
  (flagged ``inactive``), since their training happened.
* A learner's *status* on a module comes from their newest :class:`ModuleProgress` for
  it (the version they are on): no row is ``not_started``, a row without
  ``completed_at`` is ``in_progress``, a row with it ``completed``. ``best_score`` and
  ``completed_at`` come from the same row.
* The *program* is the cohort's when a cohort is filtered on, otherwise the first one
  (the consular program); its modules are the report's modules.

Filters: ``cohort`` and ``post`` narrow the learners of every ministry report;
``status`` narrows the completion rows; ``date_from``/``date_to`` (inclusive days, UTC)
narrow the completion rows to modules completed in the period and the item analysis to
attempts submitted in it. In the regional reports the dates narrow completions and
certificates; headcounts, starts and scores are as of today.

Every function runs a fixed number of SQL queries whatever the number of learners,
modules or attempts (the tests count them), and :func:`completion_stream` reads its rows
in chunks of :data:`CHUNK_ROWS`, so that an export of any size holds a bounded number of
rows in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, String, and_, case, exists, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import FunctionElement

from training import authz
from training.accounts.models import Role, User, UserRole
from training.catalog.models import (
    Module,
    ModuleVersion,
    Program,
    ProgramModule,
    Question,
    in_language,
)
from training.certificates.models import VALID, Certificate
from training.cohorts import services as cohorts
from training.cohorts.models import Cohort, CohortMember
from training.cohorts.services import CohortSummary
from training.errors import NotFound, ValidationFailed
from training.extensions import db
from training.links.models import (
    REJECTED,
    REPORTED,
    VERIFIED,
    ExternalCompletion,
    ExternalCourse,
    ExternalCourseCredit,
)
from training.ministries import services as ministries
from training.ministries.models import Ministry, Post
from training.progress.models import ModuleProgress, ProgramCompletion
from training.quizzes.models import IN_PROGRESS, Attempt, AttemptAnswer

if TYPE_CHECKING:
    # A SELECT of any columns.
    Query = Select[*tuple[Any, ...]]

T = TypeVar("T")

NOT_STARTED = "not_started"
IN_PROGRESS_STATUS = "in_progress"
COMPLETED = "completed"
STATUSES = (NOT_STARTED, IN_PROGRESS_STATUS, COMPLETED)

# Rows fetched from the database at a time when streaming an export.
CHUNK_ROWS = 1000
# Item analysis: a question needs this many graded answers before it gets an index, and
# the upper and lower groups are this share (per cent) of its answers.
MIN_ANSWERS = 5
GROUP_PERCENT = 27
# A question is flagged for review below these values (classical test theory: an item
# that discriminates below 0.2 discriminates poorly; a negative one misleads the better
# learners more than the weaker ones).
REVIEW_DISCRIMINATION = 0.2
REVIEW_FACILITY = 0.3


# --- Filters and scope ------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the coordinator asked for. Ids are kept as given: :func:`scope` checks them."""

    cohort: Any = None
    post: Any = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    module: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> Filters:
        """The filters of a report's loaded query (see :mod:`training.reports.schemas`)."""
        return cls(
            cohort=query.get("cohort"),
            post=query.get("post"),
            status=query.get("status"),
            date_from=query.get("date_from"),
            date_to=query.get("date_to"),
            module=query.get("module"),
        )

    def check(self) -> None:
        problems: dict[str, list[str]] = {}
        if self.status is not None and self.status not in STATUSES:
            problems["status"] = [_("Estado no válido.")]
        if self.date_from and self.date_to and self.date_to < self.date_from:
            problems["to"] = [_("La fecha final no puede ser anterior a la inicial.")]
        if problems:
            raise ValidationFailed(details={"fields": problems})

    def period(self) -> tuple[datetime | None, datetime | None]:
        """The dates as a half-open range of UTC instants: [from 00:00, day after to 00:00)."""
        start = datetime.combine(self.date_from, time(), UTC) if self.date_from else None
        end = (
            datetime.combine(self.date_to + timedelta(days=1), time(), UTC)
            if self.date_to
            else None
        )
        return start, end


@dataclass(frozen=True)
class ModuleInfo:
    id: int
    slug: str
    title: dict[str, str]
    position: int

    def title_in(self, language: str) -> str:
        return in_language(self.title, language) or self.slug


@dataclass(frozen=True)
class ProgramInfo:
    id: int
    slug: str
    title: dict[str, str]
    modules: tuple[ModuleInfo, ...]

    @property
    def module_ids(self) -> list[int]:
        return [module.id for module in self.modules]

    def module(self, module_id: int) -> ModuleInfo:
        return next(module for module in self.modules if module.id == module_id)


@dataclass(frozen=True)
class Scope:
    """A ministry report's frame: whose figures, on which program, for which learners."""

    actor: User
    ministry: Ministry
    program: ProgramInfo | None
    cohort: Cohort | None
    post: Post | None
    filters: Filters
    # The ministry's posts when a post filter needed them (see :func:`posts`).
    post_list: list[Post] | None = None


def report_ministry(actor: User, code: Any = None) -> Ministry:
    """The ministry a report is about: the actor's own, or the one named by ``code``
    when the actor sees every ministry (another ministry's code answers 404 otherwise)."""
    if code in (None, ""):
        return actor.ministry
    if str(code).strip().upper() == actor.ministry.code:
        return actor.ministry
    ministry = ministries.get_ministry(str(code))
    authz.check_ministry(actor, ministry.id)
    return ministry


def _in_ministry(model: Any, record_id: Any, actor: User, ministry: Ministry) -> Any:
    """A record named by a filter: within the actor's reach and of the report's ministry."""
    record = authz.get_scoped(model, record_id, actor)
    if record.ministry_id != ministry.id:
        raise NotFound()
    return record


def scope(actor: Any, filters: Filters | None = None, ministry_code: Any = None) -> Scope:
    """Check the actor may see ministry reports and resolve the filters' ids (404 for ids
    of other ministries, 422 for malformed values)."""
    user = authz.require(actor, authz.Permission.view_ministry_reports)
    filters = filters or Filters()
    filters.check()
    ministry = report_ministry(user, ministry_code)
    cohort = (
        _in_ministry(Cohort, filters.cohort, user, ministry)
        if filters.cohort not in (None, "")
        else None
    )
    post = post_list = None
    if filters.post not in (None, ""):
        # The filter's post is one of the ministry's posts, which the report pages list
        # anyway: loaded first, the check below finds the post without another query.
        post_list = _ministry_posts(ministry)
        post = _in_ministry(Post, filters.post, user, ministry)
    program = load_program(cohort.program_id if cohort is not None else None)
    return Scope(user, ministry, program, cohort, post, filters, post_list)


def load_program(program_id: int | None = None) -> ProgramInfo | None:
    """The program (the first one when no id is given) and its modules, in one query."""
    wanted: Any = (
        program_id if program_id is not None else select(func.min(Program.id)).scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Program.id.label("program_id"),
            Program.slug.label("program_slug"),
            Program.title.label("program_title"),
            ProgramModule.position,
            Module.id.label("module_id"),
            Module.slug.label("module_slug"),
            ModuleVersion.title.label("module_title"),
        )
        .select_from(Program)
        .outerjoin(ProgramModule, ProgramModule.program_id == Program.id)
        .outerjoin(Module, Module.id == ProgramModule.module_id)
        .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .where(Program.id == wanted)
        .order_by(ProgramModule.position)
    ).all()
    if not rows:
        return None
    modules = tuple(
        ModuleInfo(row.module_id, row.module_slug, dict(row.module_title or {}), row.position)
        for row in rows
        if row.module_id is not None
    )
    first = rows[0]
    return ProgramInfo(first.program_id, first.program_slug, dict(first.program_title), modules)


# --- Building blocks --------------------------------------------------------------------


def _learners(scope: Scope, *columns: Any) -> Query:
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
    return _narrow_people(statement, User.id, scope)


def _narrow_people(statement: Query, user_id: Any, scope: Scope) -> Query:
    """Keep rows whose ``user_id`` is at the filtered post and in the filtered cohort."""
    if scope.post is not None:
        statement = statement.where(
            user_id.in_(select(User.id).where(User.post_id == scope.post.id))
        )
    if scope.cohort is not None:
        statement = statement.where(
            user_id.in_(
                select(CohortMember.user_id).where(CohortMember.cohort_id == scope.cohort.id)
            )
        )
    return statement


def _newest_progress() -> tuple[Any, ColumnElement[bool]]:
    """An alias of :class:`ModuleProgress` to outer-join on a learner and a module, and
    the condition that keeps only their newest row (no later one exists). Written as
    ``NOT EXISTS`` so that both databases answer it from the (user, module) index."""
    progress = aliased(ModuleProgress, name="progress")
    newer = aliased(ModuleProgress, name="newer")
    is_newest = ~exists().where(
        newer.user_id == progress.user_id,
        newer.module_id == progress.module_id,
        or_(
            newer.started_at > progress.started_at,
            and_(newer.started_at == progress.started_at, newer.id > progress.id),
        ),
    )
    return progress, is_newest


def _certificate_column(column: Any, program_id: int) -> Any:
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


def _ratio(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent, one decimal; None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


def _mean(value: Any) -> float | None:
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


def _within(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


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
    latest, is_newest = _newest_progress()
    statement = (
        _learners(
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
            _certificate_column(Certificate.serial, program.id).label("serial"),
            _certificate_column(Certificate.status, program.id).label("certificate_status"),
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
    statement = statement.where(*_within(latest.completed_at, start, end))
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


def count_learners(scope: Scope) -> int:
    """How many learners the scope covers (one query)."""
    return int(db.session.scalar(_learners(scope, func.count(User.id))) or 0)


def completion_page(
    scope: Scope, page: int, per_page: int, *, learners: int | None = None
) -> tuple[list[CompletionRow], int]:
    """One page of the completion report (one row per learner and module, by name) and
    the number of rows in all pages; two queries (one when ``learners``, the number of
    learners in the scope, is given and no status or date narrows the rows)."""
    statement = _completion_statement(scope)
    if statement is None or scope.program is None:
        return [], 0
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    filters = scope.filters
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


def _stream(statement: Query, make_row: Callable[[Any], T]) -> Iterator[T]:
    """The rows of ``statement``, fetched :data:`CHUNK_ROWS` at a time (a server-side
    cursor on PostgreSQL): memory stays bounded whatever the number of rows."""
    result = db.session.execute(statement.execution_options(yield_per=CHUNK_ROWS))
    try:
        for row in result:
            yield make_row(row)
    finally:
        result.close()


def completion_stream(scope: Scope) -> Iterator[CompletionRow]:
    """Every row of the completion report, streamed (see :func:`_stream`). The query is
    built now, from the scope as the request loaded it; its rows are read while the
    response streams, after a commit may have expired the request's objects."""
    statement = _completion_statement(scope)
    program = scope.program
    if statement is None or program is None:
        return iter(())
    return _stream(statement, lambda row: _completion_row(program, row))


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
        return _ratio(self.verified, self.learners)


def external_summaries(scope: Scope, *, learners: int | None = None) -> list[ExternalSummary]:
    """Per external course the ministry sees (its own and those registered for every
    ministry; a withdrawn one only while someone of the scope completed it): how many of
    the scope's learners reported it, had it verified or rejected, and whether the
    ministry counts it toward the program. The dates narrow completions to those
    completed in the period. One query (two without ``learners``)."""

    def tally(status: str) -> Any:
        return func.sum(case((ExternalCompletion.status == status, 1), else_=0))

    completions = (
        _learners(
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
        return _ratio(self.completed, self.learners)


def module_summaries(scope: Scope, *, learners: int | None = None) -> list[ModuleSummary]:
    """Per module of the program: learners, how many started and completed it, and their
    average best score; two queries (one when ``learners``, the number of learners in the
    scope, is given)."""
    program = scope.program
    if program is None or not program.modules:
        return []
    latest, is_newest = _newest_progress()
    rows = db.session.execute(
        _learners(
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
                ModuleSummary(module, learners, int(row[1]), int(row[2]), _mean(row[3]))
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
        return _ratio(self.completed, self.learners)


def _ministry_posts(ministry: Ministry) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post).where(Post.ministry_id == ministry.id).order_by(Post.name, Post.id)
        )
    )


def posts(scope: Scope) -> list[Post]:
    """The ministry's posts, by name (for the filter and the per-post summary); no query
    when :func:`scope` loaded them already."""
    if scope.post_list is not None:
        return scope.post_list
    return _ministry_posts(scope.ministry)


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
        _learners(
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
    statement = _narrow_people(statement, User.id, scope)
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
    return _stream(_overdue_statement(scope), _overdue_row)


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
    graded: Query = select(
        Attempt.id,
        func.row_number()
        .over(
            partition_by=Attempt.module_version_id,
            order_by=(Attempt.score.desc(), Attempt.id.desc()),
        )
        .label("rank"),
        func.count().over(partition_by=Attempt.module_version_id).label("attempts"),
    ).where(
        Attempt.ministry_id == scope.ministry.id,
        Attempt.status != IN_PROGRESS,
        Attempt.score.is_not(None),
    )
    graded = _narrow_people(graded, Attempt.user_id, scope)
    start, end = scope.filters.period()
    graded = graded.where(*_within(Attempt.submitted_at, start, end))
    if scope.filters.module:
        graded = graded.where(
            Attempt.module_id.in_(select(Module.id).where(Module.slug == scope.filters.module))
        )
    ranked = graded.subquery("ranked")
    # rank <= k, with k = floor((n * 27 + 50) / 100), written without a division so that
    # both databases compute it in integers.
    threshold = ranked.c.attempts * GROUP_PERCENT + 50
    upper = ranked.c.rank * 100 <= threshold
    lower = (ranked.c.attempts - ranked.c.rank + 1) * 100 <= threshold
    credit = AttemptAnswer.credit
    stats = (
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
        .subquery("stats")
    )
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


# --- Regional figures (counts and rates only) -------------------------------------------


def _regional(actor: Any, filters: Filters | None) -> Filters:
    authz.require(actor, authz.Permission.view_regional_reports)
    filters = filters or Filters()
    filters.check()
    return filters


def _first_program_id() -> Any:
    return select(func.min(Program.id)).scalar_subquery()


def _first_program_modules() -> Any:
    return select(ProgramModule.module_id).where(ProgramModule.program_id == _first_program_id())


def _staff() -> Any:
    return (
        select(func.count(User.id))
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.learner.value))
        .where(User.ministry_id == Ministry.id)
        .correlate(Ministry)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class MinistryRef:
    code: str
    names: dict[str, str]
    staff: int

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["es"]


def _ministry_refs() -> list[MinistryRef]:
    rows = db.session.execute(
        select(
            Ministry.code, Ministry.name_es, Ministry.name_en, Ministry.name_fr, _staff()
        ).order_by(Ministry.code)
    ).all()
    return [
        MinistryRef(row[0], {"es": row[1], "en": row[2], "fr": row[3]}, int(row[4] or 0))
        for row in rows
    ]


@dataclass(frozen=True)
class RegionalMinistry:
    ministry: MinistryRef
    started: int
    completed: int
    certificates: int
    average_best_score: float | None

    @property
    def staff(self) -> int:
        return self.ministry.staff

    @property
    def start_rate(self) -> float | None:
        return _ratio(self.started, self.staff)

    @property
    def completion_rate(self) -> float | None:
        return _ratio(self.completed, self.staff)


def regional_ministries(actor: Any, filters: Filters | None = None) -> list[RegionalMinistry]:
    """Per ministry: staff (learners), how many started the program, completed it (in the
    period), certificates valid (issued in the period), average best score; one query."""
    filters = _regional(actor, filters)
    start, end = filters.period()
    modules = _first_program_modules()
    started = (
        select(func.count(func.distinct(ModuleProgress.user_id)))
        .where(ModuleProgress.ministry_id == Ministry.id, ModuleProgress.module_id.in_(modules))
        .correlate(Ministry)
        .scalar_subquery()
    )
    average = (
        select(func.avg(ModuleProgress.best_score))
        .where(ModuleProgress.ministry_id == Ministry.id, ModuleProgress.module_id.in_(modules))
        .correlate(Ministry)
        .scalar_subquery()
    )
    completed = (
        select(func.count(ProgramCompletion.id))
        .where(
            ProgramCompletion.ministry_id == Ministry.id,
            ProgramCompletion.program_id == _first_program_id(),
            *_within(ProgramCompletion.completed_at, start, end),
        )
        .correlate(Ministry)
        .scalar_subquery()
    )
    certificates = (
        select(func.count(Certificate.id))
        .where(
            Certificate.ministry_id == Ministry.id,
            Certificate.program_id == _first_program_id(),
            Certificate.status == VALID,
            *_within(Certificate.issued_at, start, end),
        )
        .correlate(Ministry)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Ministry.code,
            Ministry.name_es,
            Ministry.name_en,
            Ministry.name_fr,
            _staff(),
            started,
            completed,
            certificates,
            average,
        ).order_by(Ministry.code)
    ).all()
    return [
        RegionalMinistry(
            MinistryRef(row[0], {"es": row[1], "en": row[2], "fr": row[3]}, int(row[4] or 0)),
            started=int(row[5] or 0),
            completed=int(row[6] or 0),
            certificates=int(row[7] or 0),
            average_best_score=_mean(row[8]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class RegionalModule:
    ministry: MinistryRef
    module: ModuleInfo
    started: int
    completed: int
    average_best_score: float | None

    @property
    def completion_rate(self) -> float | None:
        return _ratio(self.completed, self.ministry.staff)


def regional_modules(actor: Any, filters: Filters | None = None) -> list[RegionalModule]:
    """Per ministry and module of the program: learners who started it, completed it (in
    the period) and their average best score; three queries."""
    filters = _regional(actor, filters)
    start, end = filters.period()
    program = load_program()
    refs = _ministry_refs()
    if program is None or not program.modules:
        return []
    in_period = and_(
        ModuleProgress.completed_at.is_not(None), *_within(ModuleProgress.completed_at, start, end)
    )
    rows = db.session.execute(
        select(
            Ministry.code,
            ModuleProgress.module_id,
            func.count(func.distinct(ModuleProgress.user_id)),
            func.count(func.distinct(case((in_period, ModuleProgress.user_id), else_=None))),
            func.avg(ModuleProgress.best_score),
        )
        .join(Ministry, Ministry.id == ModuleProgress.ministry_id)
        .where(ModuleProgress.module_id.in_(program.module_ids))
        .group_by(Ministry.code, ModuleProgress.module_id)
    ).all()
    found = {(row[0], row[1]): row for row in rows}
    items = []
    for ref in refs:
        for module in program.modules:
            row = found.get((ref.code, module.id))
            items.append(
                RegionalModule(
                    ref,
                    module,
                    started=int(row[2]) if row else 0,
                    completed=int(row[3]) if row else 0,
                    average_best_score=_mean(row[4]) if row else None,
                )
            )
    return items


@dataclass(frozen=True)
class RegionalPeriod:
    ministry: MinistryRef
    period: str
    completed: int
    certificates: int


def regional_periods(actor: Any, filters: Filters | None = None) -> list[RegionalPeriod]:
    """Per ministry and month (UTC) of completion: program completions and certificates
    issued (still valid) in that month, within the period; three queries."""
    filters = _regional(actor, filters)
    start, end = filters.period()
    refs = {ref.code: ref for ref in _ministry_refs()}
    completion_month = utc_month(ProgramCompletion.completed_at)
    completions = db.session.execute(
        select(Ministry.code, completion_month, func.count(ProgramCompletion.id))
        .join(Ministry, Ministry.id == ProgramCompletion.ministry_id)
        .where(
            ProgramCompletion.program_id == _first_program_id(),
            *_within(ProgramCompletion.completed_at, start, end),
        )
        .group_by(Ministry.code, completion_month)
    ).all()
    issue_month = utc_month(Certificate.issued_at)
    issued = db.session.execute(
        select(Ministry.code, issue_month, func.count(Certificate.id))
        .join(Ministry, Ministry.id == Certificate.ministry_id)
        .where(
            Certificate.program_id == _first_program_id(),
            Certificate.status == VALID,
            Certificate.issued_at.is_not(None),
            *_within(Certificate.issued_at, start, end),
        )
        .group_by(Ministry.code, issue_month)
    ).all()
    counts: dict[tuple[str, str], list[int]] = {}
    for code, month, count in completions:
        counts.setdefault((code, month), [0, 0])[0] = int(count)
    for code, month, count in issued:
        counts.setdefault((code, month), [0, 0])[1] = int(count)
    return [
        RegionalPeriod(refs[code], month, completed, certificates)
        for (code, month), (completed, certificates) in sorted(
            counts.items(), key=lambda item: (item[0][1], item[0][0])
        )
        if code in refs
    ]
