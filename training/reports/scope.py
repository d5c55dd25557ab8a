"""Reports: the scope every ministry report works in (ministry, filters, program) and
the statuses a module can have."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Self

from flask_babel import gettext as _
from sqlalchemy import Select, select

from training import authz
from training.accounts.models import User
from training.catalog.models import (
    Module,
    ModuleVersion,
    Program,
    ProgramModule,
    first_program_id,
    in_language,
)
from training.cohorts.models import Cohort
from training.errors import NotFound, ValidationFailed
from training.extensions import db
from training.ministries import services as ministries
from training.ministries.models import Ministry, Post

if TYPE_CHECKING:
    # A SELECT of any columns.
    Query = Select[*tuple[Any, ...]]


NOT_STARTED = "not_started"
IN_PROGRESS_STATUS = "in_progress"
COMPLETED = "completed"
STATUSES = (NOT_STARTED, IN_PROGRESS_STATUS, COMPLETED)

# --- Filters and scope ------------------------------------------------------------------


class QueryFilters:
    """Filters read from a report's loaded query (see :mod:`training.reports.schemas`):
    a dataclass whose fields are named like the query's."""

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> Self:
        values = {field.name: query.get(field.name) for field in fields(cls)}  # type: ignore[arg-type]
        return cls(**values)


@dataclass(frozen=True)
class Filters(QueryFilters):
    """What the coordinator asked for. Ids are kept as given: :func:`scope` checks them."""

    cohort: Any = None
    post: Any = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    module: str | None = None

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


def all_ministries() -> list[Ministry]:
    """Every ministry, in code order: the choices of those who see every ministry."""
    return list(db.session.scalars(select(Ministry).order_by(Ministry.code)))


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
    wanted: Any = program_id if program_id is not None else first_program_id()
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
