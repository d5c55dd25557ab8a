"""The external course registry: read, launch, register and change courses.

Rules (every function takes the acting user explicitly and flushes; the edge commits):

* A course registered by an administrator is global (``ministry_id`` NULL) and visible to
  every ministry; one registered by a coordinator belongs to, and is visible to, that
  ministry only. Coordinators change only their own ministry's courses; a course of
  another ministry answers 404, exactly like one that does not exist.
* "Counts toward the program" is per ministry (:class:`ExternalCourseCredit`), set by the
  ministry's coordinators for any course their ministry sees.
* ``/go/<id>`` redirects only to the URL stored for the course, and only to ``https``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from training import authz
from training.accounts.models import User
from training.audit import services as audit
from training.catalog.models import Module, ModuleVersion
from training.database import parse_id, utcnow
from training.errors import Forbidden, NotFound
from training.extensions import db
from training.links.cleaning import clean_course
from training.links.models import (
    ExternalCompletion,
    ExternalCourse,
    ExternalCourseCredit,
    ExternalCourseModule,
    ExternalLaunch,
    ExternalLinkCheck,
)
from training.progress import services as progress

# --- Reading the registry ---------------------------------------------------------------


@dataclass
class CourseView:
    """A course as one user sees it."""

    course: ExternalCourse
    counts_toward_program: bool
    completion: ExternalCompletion | None = None
    last_check: ExternalLinkCheck | None = None
    editable: bool = False

    @property
    def id(self) -> int:
        return self.course.id

    @property
    def broken(self) -> bool:
        """The last link check failed."""
        return self.last_check is not None and not self.last_check.ok

    @property
    def module_slugs(self) -> list[str]:
        return [module.slug for module in self.course.modules]


def _visible(statement: Select[Any], user: User) -> Select[Any]:
    """Global courses and the user's ministry's (administrators: every course)."""
    if authz.sees_all_ministries(user):
        return statement
    return statement.where(
        or_(ExternalCourse.ministry_id.is_(None), ExternalCourse.ministry_id == user.ministry_id)
    )


def _with_credit(user: User) -> Select[Any]:
    statement: Any = select(ExternalCourse, ExternalCourseCredit.course_id).outerjoin(
        ExternalCourseCredit,
        and_(
            ExternalCourseCredit.course_id == ExternalCourse.id,
            ExternalCourseCredit.ministry_id == user.ministry_id,
        ),
    )
    return statement


_MODULES = selectinload(ExternalCourse.course_modules)


def _module_titles() -> Any:
    return (
        selectinload(ExternalCourse.course_modules)
        .joinedload(ExternalCourseModule.module)
        .joinedload(Module.current_version)
        .load_only(ModuleVersion.title, ModuleVersion.position)
    )


def courses_for(actor: Any, *, with_modules: bool = True) -> list[CourseView]:
    """The active courses the user sees, with their ministry's credit and the user's own
    completion of each; a fixed number of queries, whatever the number of courses."""
    user = authz.authenticated(actor)
    statement = (
        _visible(_with_credit(user), user)
        .add_columns(ExternalCompletion)
        .outerjoin(
            ExternalCompletion,
            and_(
                ExternalCompletion.course_id == ExternalCourse.id,
                ExternalCompletion.user_id == user.id,
            ),
        )
        .where(ExternalCourse.active.is_(True))
    )
    if with_modules:
        statement = statement.options(_module_titles())
    statement = statement.order_by(ExternalCourse.provider, ExternalCourse.id)
    # The user's completion of each course comes in the same query (one row per course
    # and user at most).
    rows = db.session.execute(statement).unique().all()
    return [
        CourseView(course, credit is not None, completion) for course, credit, completion in rows
    ]


def course_for(actor: Any, course_id: Any) -> CourseView:
    """One active course the user sees, or NotFound."""
    user = authz.authenticated(actor)
    course = visible_course(user, course_id, active_only=True, options=[_module_titles()])
    credit = db.session.get(ExternalCourseCredit, (user.ministry_id, course.id))
    completion = db.session.scalars(
        select(ExternalCompletion).where(
            ExternalCompletion.user_id == user.id, ExternalCompletion.course_id == course.id
        )
    ).one_or_none()
    return CourseView(course, credit is not None, completion)


def visible_course(
    user: User, course_id: Any, *, active_only: bool, options: Iterable[Any] = ()
) -> ExternalCourse:
    key = parse_id(course_id)
    course = db.session.get(ExternalCourse, key, options=list(options)) if key else None
    if course is None or (active_only and not course.active):
        raise NotFound(_("No existe ese curso externo."))
    if course.ministry_id is not None:
        try:
            authz.check_ministry(user, course.ministry_id)
        except NotFound:
            raise NotFound(_("No existe ese curso externo.")) from None
    return course


def is_editable(user: User, course: ExternalCourse) -> bool:
    if authz.sees_all_ministries(user):
        return True
    return course.ministry_id is not None and course.ministry_id == user.ministry_id


# --- Launching --------------------------------------------------------------------------


def safe_target(url: str) -> str | None:
    """The stored URL when it is an absolute ``https`` URL with a host, else None: the
    redirect never goes anywhere else, whatever a row holds."""
    if not isinstance(url, str) or any(ord(ch) < 33 or ch == "\\" for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
        return None
    return url


def launch(actor: Any, course_id: Any) -> tuple[ExternalLaunch, str]:
    """Record that the user follows the course's link; return the launch and the URL to
    redirect to (the registered one, never anything from the request)."""
    user = authz.require(actor, authz.Permission.learn)
    course = visible_course(user, course_id, active_only=True)
    target = safe_target(course.url)
    if target is None:
        raise NotFound(_("No existe ese curso externo."))
    record = ExternalLaunch(course_id=course.id, user_id=user.id, ministry_id=user.ministry_id)
    db.session.add(record)
    progress.record_event(user, "launched", "external_course", str(course.id), course.title)
    db.session.flush()
    return record, target


# --- Registering ------------------------------------------------------------------------


def _set_credit(user: User, course: ExternalCourse, counts: bool) -> bool:
    """Record the user's ministry's choice; True when it changed."""
    row = db.session.get(ExternalCourseCredit, (user.ministry_id, course.id))
    if counts and row is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    ExternalCourseCredit(
                        ministry_id=user.ministry_id, course_id=course.id, set_by_id=user.id
                    )
                )
        except IntegrityError:
            return False  # set at the same instant by another coordinator
        return True
    if not counts and row is not None:
        db.session.delete(row)
        db.session.flush()
        return True
    return False


def register(actor: Any, data: dict[str, Any]) -> ExternalCourse:
    """Register a course: global when an administrator registers it, the coordinator's
    ministry's otherwise. ``data``: provider, title {es, en, fr}, url, language,
    optional description {es, en, fr}, modules [slug], counts_toward_program."""
    user = authz.require(actor, authz.Permission.manage_external_courses)
    cleaned = clean_course(data, partial=False)
    now = utcnow()
    course = ExternalCourse(
        ministry_id=None if authz.sees_all_ministries(user) else user.ministry_id,
        provider=cleaned["provider"],
        title=cleaned["title"],
        description=cleaned.get("description", {}),
        url=cleaned["url"],
        language=cleaned["language"],
        active=True,
        created_by_id=user.id,
        created_at=now,
        updated_at=now,
        course_modules=[ExternalCourseModule(module=m) for m in cleaned.get("modules", [])],
    )
    db.session.add(course)
    db.session.flush()
    if cleaned.get("counts_toward_program"):
        _set_credit(user, course, True)
    audit.record(
        "external_course.registered",
        actor=user,
        target=course,
        ministry_id=course.ministry_id or user.ministry_id,
        details={"url": course.url, "global": course.ministry_id is None},
    )
    return course


def editable_course(actor: Any, course_id: Any) -> ExternalCourse:
    """A course the user may change: 404 for another ministry's, 403 for a global one
    (unless the user is an administrator)."""
    user = authz.require(actor, authz.Permission.manage_external_courses)
    course = visible_course(user, course_id, active_only=False, options=[_MODULES])
    if not is_editable(user, course):
        raise Forbidden(_("Solo la administración de la plataforma cambia los cursos comunes."))
    return course


def update(actor: Any, course_id: Any, data: dict[str, Any]) -> ExternalCourse:
    """Change the fields given in ``data`` (see :func:`register`; ``active`` withdraws or
    restores the course)."""
    user = authz.require(actor, authz.Permission.manage_external_courses)
    course = editable_course(user, course_id)
    cleaned = clean_course(data, partial=True)
    changed: list[str] = []
    for name in ("provider", "title", "description", "url", "language", "active"):
        if name in cleaned and getattr(course, name) != cleaned[name]:
            setattr(course, name, cleaned[name])
            changed.append(name)
    if "modules" in cleaned:
        wanted = [module.id for module in cleaned["modules"]]
        if [row.module_id for row in course.course_modules] != sorted(wanted):
            course.course_modules = [
                ExternalCourseModule(module=module)
                for module in sorted(cleaned["modules"], key=lambda m: m.id)
            ]
            changed.append("modules")
    if "counts_toward_program" in cleaned and _set_credit(
        user, course, cleaned["counts_toward_program"]
    ):
        changed.append("counts_toward_program")
    if changed:
        course.updated_at = utcnow()
        db.session.flush()
        audit.record(
            "external_course.updated",
            actor=user,
            target=course,
            ministry_id=course.ministry_id or user.ministry_id,
            details={"fields": changed},
        )
    return course


def set_credit(actor: Any, course_id: Any, counts: bool) -> CourseView:
    """Whether the user's ministry counts the course toward the program."""
    user = authz.require(actor, authz.Permission.manage_external_courses)
    course = visible_course(user, course_id, active_only=False)
    if course.ministry_id is not None and course.ministry_id != user.ministry_id:
        # An administrator looking at another ministry's course: not theirs to count.
        raise NotFound(_("No existe ese curso externo."))
    if _set_credit(user, course, bool(counts)):
        audit.record(
            "external_course.credit_set" if counts else "external_course.credit_removed",
            actor=user,
            target=course,
            ministry_id=user.ministry_id,
        )
    return CourseView(course, bool(counts), editable=is_editable(user, course))


def managed_courses(actor: Any) -> list[CourseView]:
    """Every course the coordinator sees (withdrawn ones too), with the ministry's credit,
    the last link check and whether the user may edit it; a fixed number of queries."""
    user = authz.require(actor, authz.Permission.manage_external_courses)
    statement = (
        _visible(_with_credit(user), user)
        .options(_module_titles())
        .order_by(ExternalCourse.active.desc(), ExternalCourse.provider, ExternalCourse.id)
    )
    rows = db.session.execute(statement).unique().all()
    checks = latest_checks([course.id for course, _credit in rows])
    return [
        CourseView(
            course,
            credit is not None,
            last_check=checks.get(course.id),
            editable=is_editable(user, course),
        )
        for course, credit in rows
    ]


def counts_for_ministry(actor: Any, course: ExternalCourse) -> bool:
    """Whether the actor's ministry counts the course toward the program."""
    user = authz.authenticated(actor)
    return db.session.get(ExternalCourseCredit, (user.ministry_id, course.id)) is not None


def module_options() -> list[Module]:
    """The active modules, in catalogue order, for the course form."""
    modules = db.session.scalars(
        select(Module)
        .where(Module.active.is_(True), Module.current_version_id.is_not(None))
        .options(
            joinedload(Module.current_version).load_only(
                ModuleVersion.title, ModuleVersion.position
            )
        )
    ).all()
    return sorted(
        modules, key=lambda m: (m.current_version.position if m.current_version else 0, m.slug)
    )


def latest_checks(course_ids: list[int]) -> dict[int, ExternalLinkCheck]:
    """The newest link check of each course, in one query."""
    if not course_ids:
        return {}
    newest = (
        select(func.max(ExternalLinkCheck.id))
        .where(ExternalLinkCheck.course_id.in_(course_ids))
        .group_by(ExternalLinkCheck.course_id)
    )
    return {
        check.course_id: check
        for check in db.session.scalars(
            select(ExternalLinkCheck).where(ExternalLinkCheck.id.in_(newest))
        )
    }


def check_history(
    actor: Any, course_id: Any, *, limit: int = 50
) -> tuple[CourseView, list[ExternalLinkCheck]]:
    """The course (for a coordinator who sees it) and its newest link checks."""
    user = authz.require(actor, authz.Permission.manage_external_courses)
    course = visible_course(user, course_id, active_only=False)
    checks = list(
        db.session.scalars(
            select(ExternalLinkCheck)
            .where(ExternalLinkCheck.course_id == course.id)
            .order_by(ExternalLinkCheck.id.desc())
            .limit(limit)
        )
    )
    credit = db.session.get(ExternalCourseCredit, (user.ministry_id, course.id))
    view = CourseView(
        course,
        credit is not None,
        last_check=checks[0] if checks else None,
        editable=is_editable(user, course),
    )
    return view, checks
