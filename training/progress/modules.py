"""A learner's view of the catalogue: which version of each module they are on, what
they have read and passed, what is locked, and the program.

Each function that builds a page's data runs a fixed number of queries, whatever the
number of modules, attempts or events (the tests count them).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, String, and_, bindparam, case, cast, func, select
from sqlalchemy.orm import aliased, defer
from sqlalchemy.sql.elements import BindParameter

from training import authz
from training.accounts.models import User
from training.catalog import cache
from training.catalog.cache import LessonText, VersionText
from training.catalog.models import Lesson, Module, ModuleVersion, Program, in_language
from training.errors import NotFound
from training.extensions import db
from training.progress.models import LessonProgress, ModuleProgress, ProgramCompletion
from training.progress.programs import followed_with_completion
from training.quizzes.models import IN_PROGRESS, Attempt, AttemptGrant


@dataclass
class ModuleView:
    """A module as one learner sees it."""

    module: Module
    version: VersionText
    progress: ModuleProgress | None
    attempts_used: int = 0
    attempts_allowed: int = 0
    attempt_in_progress: int | None = None
    missing_prerequisites: list[VersionText] = field(default_factory=list)
    # The numbers of the lessons of ``version`` the learner read, when asked for.
    read_numbers: frozenset[int] | None = None

    @property
    def slug(self) -> str:
        return self.module.slug

    @property
    def status(self) -> str:
        if self.progress is None:
            return "in_progress" if self.attempts_used else "not_started"
        return self.progress.status

    @property
    def best_score(self) -> int | None:
        return self.progress.best_score if self.progress else None

    @property
    def locked(self) -> bool:
        return bool(self.missing_prerequisites)

    @property
    def attempts_left(self) -> int:
        return max(0, self.attempts_allowed - self.attempts_used)

    def lock_reason(self, language: str) -> str | None:
        if not self.missing_prerequisites:
            return None
        titles = ", ".join(in_language(v.title, language) for v in self.missing_prerequisites)
        return _("Complete primero: %(modules)s", modules=titles)


def learner(actor: Any) -> User:
    return authz.require(actor, authz.Permission.learn)


@functools.cache
def _module_views_statement() -> Select[Any]:
    """:func:`module_views`'s query, built once: a statement object reused keeps
    SQLAlchemy's cache key and compiled form instead of building them per request."""
    user_id: BindParameter[int] = bindparam("user_id")
    newest = (
        select(ModuleProgress.id)
        .where(ModuleProgress.user_id == user_id, ModuleProgress.module_id == Module.id)
        .order_by(ModuleProgress.started_at.desc(), ModuleProgress.id.desc())
        .limit(1)
        .correlate(Module)
        .scalar_subquery()
    )
    completed = (
        select(ModuleProgress.id)
        .where(
            ModuleProgress.user_id == user_id,
            ModuleProgress.module_id == Module.id,
            ModuleProgress.completed_at.is_not(None),
        )
        .correlate(Module)
        .exists()
    )
    used = (
        select(func.count(Attempt.id))
        .where(Attempt.user_id == user_id, Attempt.module_id == Module.id)
        .correlate(Module)
        .scalar_subquery()
    )
    in_progress = (
        select(func.max(Attempt.id))
        .where(
            Attempt.user_id == user_id,
            Attempt.module_id == Module.id,
            Attempt.status == IN_PROGRESS,
        )
        .correlate(Module)
        .scalar_subquery()
    )
    granted = (
        select(func.sum(AttemptGrant.extra))
        .where(AttemptGrant.user_id == user_id, AttemptGrant.module_id == Module.id)
        .correlate(Module)
        .scalar_subquery()
    )
    current = aliased(ModuleVersion, name="current_version")
    pinned = aliased(ModuleVersion, name="pinned_version")
    read = (
        select(func.aggregate_strings(cast(Lesson.number, String), ","))
        .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
        .where(
            LessonProgress.user_id == user_id,
            Lesson.module_version_id == func.coalesce(pinned.id, current.id),
        )
        .correlate_except(Lesson, LessonProgress)
        .scalar_subquery()
    )
    return (
        select(
            Module,
            current.id,
            current.content_hash,
            ModuleProgress,
            pinned.id,
            pinned.content_hash,
            completed.label("completed"),
            used.label("used"),
            in_progress.label("in_progress"),
            granted.label("granted"),
            case((Module.slug == bindparam("read_of", type_=String()), read), else_=None).label(
                "read"
            ),
        )
        .select_from(Module)
        .join(current, current.id == Module.current_version_id)
        # The user and module conditions are implied by ``newest``; stated, they let
        # PostgreSQL use the (user, module) index instead of hashing the whole table.
        .outerjoin(
            ModuleProgress,
            and_(
                ModuleProgress.user_id == user_id,
                ModuleProgress.module_id == Module.id,
                ModuleProgress.id == newest,
            ),
        )
        .outerjoin(pinned, pinned.id == ModuleProgress.module_version_id)
        .where(Module.active.is_(True))
    )


def module_views(
    actor: Any, slugs: Iterable[str] | None = None, *, read_of: str | None = None
) -> list[ModuleView]:
    """Every active module (or those named) as the learner sees it, in catalogue order.

    One query: each active module with its current version, the learner's newest
    progress row and that row's version (the one they are on), whether they completed it
    in any version, their attempts (count, the one in progress) and the extra attempts
    granted to them; for module ``read_of``, also the lessons they read of their version.
    """
    user = learner(actor)
    parameters = {"user_id": user.id, "read_of": read_of}
    rows = db.session.execute(_module_views_statement(), parameters).all()
    # The versions' content comes from memory (it never changes for an id and hash); the
    # query brings only what changes: which version, and what the learner did.
    currents = {row[0].slug: cache.version(row[1], row[2]) for row in rows}
    completed = {row[0].slug for row in rows if row.completed}

    views = []
    for module, _current_id, _current_hash, progress, pinned_id, pinned_hash, *counts in rows:
        _done, attempts_used, attempt_in_progress, extra, read_numbers = counts
        version = (
            cache.version(pinned_id, pinned_hash) if progress is not None else currents[module.slug]
        )
        missing = [
            currents[slug]
            for slug in version.prerequisites
            if slug in currents and slug not in completed
        ]
        views.append(
            ModuleView(
                module=module,
                version=version,
                progress=progress,
                attempts_used=int(attempts_used or 0),
                attempts_allowed=version.max_attempts + int(extra or 0),
                attempt_in_progress=attempt_in_progress,
                missing_prerequisites=missing,
                read_numbers=(
                    frozenset(int(number) for number in (read_numbers or "").split(",") if number)
                    if module.slug == read_of
                    else None
                ),
            )
        )
    views.sort(key=lambda view: (view.version.position, view.slug))
    if slugs is not None:
        wanted = set(slugs)
        views = [view for view in views if view.slug in wanted]
    return views


def module_view(actor: Any, slug: str) -> ModuleView:
    """One module for the learner, 404 when there is no such active module."""
    if not isinstance(slug, str) or len(slug) > 60:
        raise NotFound()
    views = module_views(actor, [slug], read_of=slug)
    if not views:
        raise NotFound(_("No existe ese módulo."))
    return views[0]


@dataclass(frozen=True)
class ReadingView:
    """A module and the learner's version of it, without what only the module pages
    show (status, attempts, locks): what the lesson and job aid pages and the lesson API
    need."""

    module: Module
    version: ModuleVersion

    @property
    def slug(self) -> str:
        return self.module.slug


def reading_view(actor: Any, slug: str, *, job_aid: bool = False) -> ReadingView:
    """The version of module ``slug`` the learner reads, the one :func:`module_view`
    gives (the version of their newest progress row, else the current one), in one
    query; 404 the same. The job aid's HTML is loaded only when asked for."""
    user = learner(actor)
    if not isinstance(slug, str) or len(slug) > 60:
        raise NotFound()
    row = db.session.execute(
        _reading_statement(job_aid=job_aid, with_lesson=False), {"user_id": user.id, "slug": slug}
    ).first()
    if row is None:
        raise NotFound(_("No existe ese módulo."))
    return ReadingView(module=row[0], version=row[1])


@functools.cache
def _reading_statement(*, job_aid: bool, with_lesson: bool) -> Select[Any]:
    """The module ``slug`` and the version the learner ``user_id`` reads (bound when
    executed); with the lesson ``number`` of it and the learner's reading of it if
    ``with_lesson``. Built once per variant (see :func:`_module_views_statement`)."""
    user_id: BindParameter[int] = bindparam("user_id")
    started = (
        select(ModuleProgress.module_version_id)
        .where(ModuleProgress.user_id == user_id, ModuleProgress.module_id == Module.id)
        .order_by(ModuleProgress.started_at.desc(), ModuleProgress.id.desc())
        .limit(1)
        .correlate(Module)
        .scalar_subquery()
    )
    columns = (Lesson.id, LessonProgress.id) if with_lesson else ()
    statement: Any = (
        select(Module, ModuleVersion, *columns)
        .select_from(Module)
        .join(ModuleVersion, ModuleVersion.id == func.coalesce(started, Module.current_version_id))
        .where(
            Module.slug == bindparam("slug"),
            Module.active.is_(True),
            Module.current_version_id.is_not(None),
        )
    )
    if with_lesson:
        statement = statement.outerjoin(
            Lesson,
            and_(
                Lesson.module_version_id == ModuleVersion.id,
                Lesson.number == bindparam("number"),
            ),
        ).outerjoin(
            LessonProgress,
            and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id),
        )
    if not job_aid:
        statement = statement.options(defer(ModuleVersion.job_aid_html))
    return statement


def lesson_counts(views: list[ModuleView]) -> dict[int, int]:
    """Number of lessons of each version shown (from the content cache)."""
    return {view.version.id: len(cache.lessons(view.version)) for view in views}


def read_lesson_numbers(actor: Any, version: ModuleVersion) -> set[int]:
    user = learner(actor)
    return set(
        db.session.scalars(
            select(Lesson.number)
            .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
            .where(LessonProgress.user_id == user.id, Lesson.module_version_id == version.id)
        )
    )


def lesson_number(number: Any) -> int | None:
    """``number`` from a URL as a lesson number, None when it cannot be one."""
    if isinstance(number, str) and number.isdigit() and len(number) <= 3:
        number = int(number)
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    return None


def lesson(view: ModuleView | ReadingView, number: Any) -> LessonText:
    """Lesson ``number`` of the learner's version of the module, or NotFound."""
    wanted = lesson_number(number)
    for item in cache.lessons(view.version):
        if item.number == wanted:
            return item
    raise NotFound(_("No existe esa lección."))


@dataclass(frozen=True)
class LessonState:
    """What a (conditional) lesson request needs to know besides the content: the
    lesson's id and number and whether the learner read it."""

    id: int
    number: int
    read: bool


def reading_lesson(actor: Any, slug: str, number: Any) -> tuple[ReadingView, LessonState]:
    """:func:`reading_view` and lesson ``number`` of that version with whether the
    learner read it, in one query; NotFound for the module first, then the lesson."""
    user = learner(actor)
    wanted = lesson_number(number)
    if wanted is None or not isinstance(slug, str) or len(slug) > 60:
        reading_view(user, slug)
        raise NotFound(_("No existe esa lección."))
    row = db.session.execute(
        _reading_statement(job_aid=False, with_lesson=True),
        {"user_id": user.id, "slug": slug, "number": wanted},
    ).first()
    if row is None:
        raise NotFound(_("No existe ese módulo."))
    view = ReadingView(module=row[0], version=row[1])
    if row[2] is None:
        raise NotFound(_("No existe esa lección."))
    return view, LessonState(id=row[2], number=wanted, read=row[3] is not None)


# --- The program ------------------------------------------------------------------------


@dataclass
class ProgramView:
    program: Program | None
    modules: list[ModuleView]
    completion: ProgramCompletion | None

    @property
    def completed(self) -> bool:
        return self.completion is not None

    @property
    def completed_count(self) -> int:
        return sum(1 for view in self.modules if view.status == "completed")

    @property
    def percent(self) -> int:
        return int(100 * self.completed_count / len(self.modules)) if self.modules else 0

    def next_step(self) -> ModuleView | None:
        """The first module the learner can work on and has not completed."""
        for view in self.modules:
            if view.status != "completed" and not view.locked:
                return view
        return None


def program_view(actor: Any) -> ProgramView:
    """The first program, in the version the learner follows (see ``progress.programs``)."""
    user = learner(actor)
    followed = followed_with_completion(user)
    views = module_views(user)
    if not followed:
        return ProgramView(None, views, None)
    program, completion = followed[0]
    order = {row.module_id: row.position for row in program.program_modules}
    in_program = sorted(
        (v for v in views if v.module.id in order), key=lambda view: order[view.module.id]
    )
    return ProgramView(program, in_program, completion)
