"""A learner's view of the catalogue: which version of each module they are on, what
they have read and passed, what is locked, and the program.

Each function that builds a page's data runs a fixed number of queries, whatever the
number of modules, attempts or events (the tests count them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import defer, joinedload

from training import authz
from training.accounts.models import User
from training.catalog.models import Lesson, Module, ModuleVersion, Program, in_language
from training.errors import NotFound
from training.extensions import db
from training.progress.models import LessonProgress, ModuleProgress, ProgramCompletion
from training.progress.programs import followed_programs
from training.quizzes.models import IN_PROGRESS, Attempt, AttemptGrant


@dataclass
class ModuleView:
    """A module as one learner sees it."""

    module: Module
    version: ModuleVersion
    progress: ModuleProgress | None
    attempts_used: int = 0
    attempts_allowed: int = 0
    attempt_in_progress: int | None = None
    missing_prerequisites: list[ModuleVersion] = field(default_factory=list)

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


def _progress_rows(user: User) -> tuple[dict[int, ModuleProgress], set[int]]:
    """The learner's newest progress row per module (the version they are on), and the
    modules they completed in any version."""
    rows = db.session.scalars(
        select(ModuleProgress)
        .where(ModuleProgress.user_id == user.id)
        .order_by(ModuleProgress.module_id, ModuleProgress.started_at, ModuleProgress.id)
    ).all()
    latest = {row.module_id: row for row in rows}
    return latest, {row.module_id for row in rows if row.completed_at is not None}


def _attempt_counts(user: User) -> dict[int, tuple[int, int | None]]:
    rows = db.session.execute(
        select(
            Attempt.module_id,
            func.count(Attempt.id),
            func.max(case((Attempt.status == IN_PROGRESS, Attempt.id), else_=None)),
        )
        .where(Attempt.user_id == user.id)
        .group_by(Attempt.module_id)
    ).all()
    return {module_id: (count, in_progress) for module_id, count, in_progress in rows}


def _grants(user: User) -> dict[int, int]:
    rows = db.session.execute(
        select(AttemptGrant.module_id, func.sum(AttemptGrant.extra))
        .where(AttemptGrant.user_id == user.id)
        .group_by(AttemptGrant.module_id)
    ).all()
    return {module_id: int(total or 0) for module_id, total in rows}


def module_views(actor: Any, slugs: Iterable[str] | None = None) -> list[ModuleView]:
    """Every active module (or those named) as the learner sees it, in catalogue order."""
    user = learner(actor)
    statement = (
        select(Module)
        .where(Module.active.is_(True), Module.current_version_id.is_not(None))
        # The job aid's HTML is the biggest column and only its own page needs it.
        .options(joinedload(Module.current_version).defer(ModuleVersion.job_aid_html))
    )
    modules = list(db.session.scalars(statement).unique())
    progress, completed = _progress_rows(user)
    pinned_ids = {
        row.module_version_id
        for row in progress.values()
        if row.module_version_id not in {m.current_version_id for m in modules}
    }
    pinned = (
        {
            version.id: version
            for version in db.session.scalars(
                select(ModuleVersion).where(ModuleVersion.id.in_(pinned_ids))
            )
        }
        if pinned_ids
        else {}
    )
    attempts = _attempt_counts(user)
    grants = _grants(user)
    by_slug = {module.slug: module for module in modules}

    views = []
    for module in modules:
        row = progress.get(module.id)
        version = (
            pinned.get(row.module_version_id, module.current_version)
            if row is not None
            else module.current_version
        )
        assert version is not None
        used, in_progress = attempts.get(module.id, (0, None))
        missing = [
            by_slug[slug].current_version
            for slug in version.prerequisites
            if slug in by_slug and by_slug[slug].id not in completed
        ]
        views.append(
            ModuleView(
                module=module,
                version=version,
                progress=row,
                attempts_used=used,
                attempts_allowed=version.max_attempts + grants.get(module.id, 0),
                attempt_in_progress=in_progress,
                missing_prerequisites=[v for v in missing if v is not None],
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
    views = module_views(actor, [slug])
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
    started = (
        select(ModuleProgress.module_version_id)
        .where(ModuleProgress.user_id == user.id, ModuleProgress.module_id == Module.id)
        .order_by(ModuleProgress.started_at.desc(), ModuleProgress.id.desc())
        .limit(1)
        .correlate(Module)
        .scalar_subquery()
    )
    statement = (
        select(Module, ModuleVersion)
        .join(ModuleVersion, ModuleVersion.id == func.coalesce(started, Module.current_version_id))
        .where(Module.slug == slug, Module.active.is_(True), Module.current_version_id.is_not(None))
    )
    if not job_aid:
        statement = statement.options(defer(ModuleVersion.job_aid_html))
    row = db.session.execute(statement).first()
    if row is None:
        raise NotFound(_("No existe ese módulo."))
    return ReadingView(module=row[0], version=row[1])


def lesson_counts(views: list[ModuleView]) -> dict[int, int]:
    """Number of lessons of each version shown, in one query."""
    ids = {view.version.id for view in views}
    rows = (
        db.session.execute(
            select(Lesson.module_version_id, func.count(Lesson.id))
            .where(Lesson.module_version_id.in_(ids))
            .group_by(Lesson.module_version_id)
        ).all()
        if ids
        else []
    )
    return {int(version_id): int(count) for version_id, count in rows}


def read_lesson_numbers(actor: Any, version: ModuleVersion) -> set[int]:
    user = learner(actor)
    return set(
        db.session.scalars(
            select(Lesson.number)
            .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
            .where(LessonProgress.user_id == user.id, Lesson.module_version_id == version.id)
        )
    )


def lesson(view: ModuleView | ReadingView, number: Any) -> Lesson:
    """Lesson ``number`` of the learner's version of the module, or NotFound."""
    if isinstance(number, str) and number.isdigit() and len(number) <= 3:
        number = int(number)
    if isinstance(number, int) and not isinstance(number, bool):
        for item in view.version.lessons:
            if item.number == number:
                return item
    raise NotFound(_("No existe esa lección."))


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
    followed = followed_programs(user)
    program = followed[0] if followed else None
    views = module_views(user)
    if program is None:
        return ProgramView(None, views, None)
    order = {row.module_id: row.position for row in program.program_modules}
    in_program = sorted(
        (v for v in views if v.module.id in order), key=lambda view: order[view.module.id]
    )
    completion = db.session.scalars(
        select(ProgramCompletion).where(
            ProgramCompletion.user_id == user.id, ProgramCompletion.program_id == program.id
        )
    ).one_or_none()
    return ProgramView(program, in_program, completion)
