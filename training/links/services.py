"""The external course registry: register, list, launch, report, verify, import, check.

Rules (every function takes the acting user explicitly and flushes; the edge commits):

* A course registered by an administrator is global (``ministry_id`` NULL) and visible to
  every ministry; one registered by a coordinator belongs to, and is visible to, that
  ministry only. Coordinators change only their own ministry's courses; a course of
  another ministry answers 404, exactly like one that does not exist.
* "Counts toward the program" is per ministry (:class:`ExternalCourseCredit`), set by the
  ministry's coordinators for any course their ministry sees.
* ``/go/<id>`` redirects only to the URL stored for the course, and only to ``https``.
* Evidence is checked by content (PDF, PNG, JPEG), limited in size, stored under
  ``EVIDENCE_PATH/<ministry id>/<random name>`` and shown only to the learner and to the
  coordinators of the learner's ministry. Nothing is written before every check passed.
* Imported completion lists (training.links.completion_import) match users by e-mail
  within the importer's ministry; users of other ministries are reported as not found.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.urls import iri_to_uri

from training import authz
from training.accounts.models import Role, User, UserRole
from training.audit import refusals
from training.audit import services as audit
from training.catalog.models import Module, ModuleVersion, Program, current_programs
from training.config import LANGUAGES
from training.database import parse_id, utcnow
from training.errors import Conflict, Forbidden, NotFound, ValidationFailed
from training.extensions import db
from training.links import checker, evidence
from training.links.models import (
    REJECTED,
    REPORTED,
    SELF_REPORTED,
    VERIFIED,
    ExternalCompletion,
    ExternalCourse,
    ExternalCourseCredit,
    ExternalCourseModule,
    ExternalLaunch,
    ExternalLinkCheck,
)
from training.progress import services as progress
from training.progress.models import ModuleProgress

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
    statement = _visible(_with_credit(user), user).where(ExternalCourse.active.is_(True))
    if with_modules:
        statement = statement.options(_module_titles())
    statement = statement.order_by(ExternalCourse.provider, ExternalCourse.id)
    rows = db.session.execute(statement).unique().all()
    if not rows:
        return []
    completions = {
        completion.course_id: completion
        for completion in db.session.scalars(
            select(ExternalCompletion).where(
                ExternalCompletion.user_id == user.id,
                ExternalCompletion.course_id.in_([course.id for course, _credit in rows]),
            )
        )
    }
    return [
        CourseView(course, credit is not None, completions.get(course.id))
        for course, credit in rows
    ]


def course_for(actor: Any, course_id: Any) -> CourseView:
    """One active course the user sees, or NotFound."""
    user = authz.authenticated(actor)
    course = _visible_course(user, course_id, active_only=True, options=[_module_titles()])
    credit = db.session.get(ExternalCourseCredit, (user.ministry_id, course.id))
    completion = db.session.scalars(
        select(ExternalCompletion).where(
            ExternalCompletion.user_id == user.id, ExternalCompletion.course_id == course.id
        )
    ).one_or_none()
    return CourseView(course, credit is not None, completion)


def _visible_course(
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


def _editable(user: User, course: ExternalCourse) -> bool:
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
    course = _visible_course(user, course_id, active_only=True)
    target = safe_target(course.url)
    if target is None:
        raise NotFound(_("No existe ese curso externo."))
    record = ExternalLaunch(course_id=course.id, user_id=user.id, ministry_id=user.ministry_id)
    db.session.add(record)
    progress.record_event(user, "launched", "external_course", str(course.id), course.title)
    db.session.flush()
    return record, target


# --- Registering ------------------------------------------------------------------------

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
PROVIDER_MAX = 120
URL_MAX = 2000
MODULES_MAX = 50


def _field_error(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(details={"fields": {name: [message]}})


def clean_url(value: Any) -> str:
    """An absolute ``https`` URL with a host and no credentials, as an ASCII URI."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise _field_error("url", _("Indique la dirección del curso."))
    if any(unicodedata.category(ch).startswith("C") or ch.isspace() for ch in text):
        raise _field_error("url", _("La dirección no puede contener espacios."))
    try:
        uri = iri_to_uri(text)
        parts = urlsplit(uri)
        if parts.port == 0:
            raise ValueError("port 0")
    except ValueError:
        raise _field_error("url", _("La dirección no es válida.")) from None
    if parts.scheme.lower() != "https":
        raise _field_error("url", _("La dirección debe empezar por https://."))
    host = parts.hostname or ""
    if "@" in parts.netloc or "\\" in uri or "." not in host or host.endswith("."):
        raise _field_error("url", _("La dirección no es válida."))
    if len(uri) > URL_MAX:
        raise _field_error("url", _("La dirección es demasiado larga."))
    return uri


def _clean_texts(name: str, value: Any, *, required: bool, limit: int) -> dict[str, str]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _field_error(name, _("Indique el texto en cada idioma."))
    texts: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    for language, text in value.items():
        if language not in LANGUAGES:
            problems.setdefault(f"{name}.{language}", []).append(_("Idioma desconocido."))
            continue
        cleaned = " ".join(str(text or "").split()) if name != "description" else str(text or "")
        cleaned = cleaned.strip()
        if len(cleaned) > limit:
            problems.setdefault(f"{name}.{language}", []).append(
                _("Como máximo %(limit)d caracteres.", limit=limit)
            )
        elif cleaned:
            texts[language] = cleaned
    if required and "es" not in texts:
        problems.setdefault(f"{name}.es", []).append(_("El texto en español es obligatorio."))
    if problems:
        raise ValidationFailed(details={"fields": problems})
    return texts


def _clean_provider(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise _field_error("provider", _("Indique quién ofrece el curso."))
    if len(text) > PROVIDER_MAX:
        raise _field_error("provider", _("Como máximo %(limit)d caracteres.", limit=PROVIDER_MAX))
    return text


def _clean_language(value: Any) -> str:
    if value not in LANGUAGES:
        raise _field_error("language", _("Elija español, inglés o francés."))
    return str(value)


def _modules(slugs: Any) -> list[Module]:
    if slugs is None:
        return []
    if not isinstance(slugs, list | tuple) or len(slugs) > MODULES_MAX:
        raise _field_error("modules", _("La lista de módulos no es válida."))
    wanted = list(dict.fromkeys(str(slug) for slug in slugs))
    found = {
        module.slug: module
        for module in db.session.scalars(
            select(Module).where(Module.slug.in_(wanted), Module.active.is_(True))
        )
    }
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise _field_error(
            "modules", _("No existen estos módulos: %(slugs)s", slugs=", ".join(unknown)[:200])
        )
    return [found[slug] for slug in wanted]


def _clean(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """The course fields present in ``data``, checked; ValidationFailed lists every
    problem by field."""
    cleaners: dict[str, Callable[[Any], Any]] = {
        "provider": _clean_provider,
        "title": lambda v: _clean_texts("title", v, required=True, limit=TITLE_MAX),
        "description": lambda v: _clean_texts(
            "description", v, required=False, limit=DESCRIPTION_MAX
        ),
        "url": clean_url,
        "language": _clean_language,
        "modules": _modules,
    }
    cleaned: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name, cleaner in cleaners.items():
        if name not in data:
            if not partial and name in {"provider", "title", "url", "language"}:
                problems.setdefault(name, []).append(_("Este dato es obligatorio."))
            continue
        try:
            cleaned[name] = cleaner(data[name])
        except ValidationFailed as error:
            for key, messages in error.details.get("fields", {}).items():
                problems.setdefault(key, []).extend(messages)
    if "counts_toward_program" in data:
        cleaned["counts_toward_program"] = bool(data["counts_toward_program"])
    if "active" in data:
        cleaned["active"] = bool(data["active"])
    if problems:
        raise ValidationFailed(details={"fields": problems})
    return cleaned


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
    cleaned = _clean(data, partial=False)
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
    course = _visible_course(user, course_id, active_only=False, options=[_MODULES])
    if not _editable(user, course):
        raise Forbidden(_("Solo la administración de la plataforma cambia los cursos comunes."))
    return course


def update(actor: Any, course_id: Any, data: dict[str, Any]) -> ExternalCourse:
    """Change the fields given in ``data`` (see :func:`register`; ``active`` withdraws or
    restores the course)."""
    user = authz.require(actor, authz.Permission.manage_external_courses)
    course = editable_course(user, course_id)
    cleaned = _clean(data, partial=True)
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
    course = _visible_course(user, course_id, active_only=False)
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
    return CourseView(course, bool(counts), editable=_editable(user, course))


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
            editable=_editable(user, course),
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
    course = _visible_course(user, course_id, active_only=False)
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
        editable=_editable(user, course),
    )
    return view, checks


# --- Completions ------------------------------------------------------------------------

NOTE_MAX = 1000
EARLIEST = date(2000, 1, 1)


def _clean_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise _field_error("completed_on", _("Use el formato AAAA-MM-DD.")) from None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _field_error("completed_on", _("Use el formato AAAA-MM-DD."))
    if value > utcnow().date() or value < EARLIEST:
        raise _field_error("completed_on", _("La fecha no es posible."))
    return value


def _clean_note(value: Any, limit: int = NOTE_MAX) -> str | None:
    text = str(value or "").strip()
    if len(text) > limit:
        raise _field_error("note", _("Como máximo %(limit)d caracteres.", limit=limit))
    return text or None


def report_completion(
    actor: Any,
    course_id: Any,
    *,
    completed_on: Any = None,
    note: Any = None,
    filename: str | None = None,
    stream: IO[bytes] | None = None,
) -> tuple[ExternalCompletion, bool]:
    """The learner reports completing the course, with optional evidence; returns the
    completion and whether it is new. A report waiting for review is replaced; a rejected
    one is reported again; a verified one cannot change (409). Every check runs before
    anything is stored."""
    user = authz.require(actor, authz.Permission.learn)
    course = _visible_course(user, course_id, active_only=True)
    day = _clean_date(completed_on)
    text = _clean_note(note)
    upload = evidence.read(filename, stream)
    completion = db.session.scalars(
        select(ExternalCompletion).where(
            ExternalCompletion.user_id == user.id, ExternalCompletion.course_id == course.id
        )
    ).one_or_none()
    if completion is not None and completion.status == VERIFIED:
        raise Conflict(_("Su coordinación ya verificó esta finalización."))
    created = completion is None
    if completion is None:
        completion = ExternalCompletion(
            course_id=course.id,
            user_id=user.id,
            ministry_id=user.ministry_id,
            status=REPORTED,
            source=SELF_REPORTED,
            reported_at=utcnow(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(completion)
        except IntegrityError:
            # The same learner, in another tab, at the same instant.
            raise Conflict(
                _("Ya hay un informe de finalización; vuelva a cargar la página.")
            ) from None
    old_evidence = completion.evidence_name if upload is not None else None
    completion.status = REPORTED
    completion.source = SELF_REPORTED
    completion.completed_on = day
    completion.note = text
    completion.reported_at = utcnow()
    completion.reviewed_by_id = None
    completion.reviewed_at = None
    completion.review_note = None
    if upload is not None:
        completion.evidence_name = evidence.store(user.ministry_id, upload)
        completion.evidence_type = upload.media_type
        completion.evidence_size = len(upload.data)
    db.session.flush()
    evidence.discard_on_commit(user.ministry_id, old_evidence)
    audit.record(
        "external_completion.reported",
        actor=user,
        target=completion,
        details={"course_id": course.id, "evidence": upload is not None},
    )
    return completion, created


def my_completions(actor: Any) -> list[ExternalCompletion]:
    user = authz.authenticated(actor)
    return list(
        db.session.scalars(
            select(ExternalCompletion)
            .where(ExternalCompletion.user_id == user.id)
            .options(joinedload(ExternalCompletion.course))
            .order_by(ExternalCompletion.reported_at.desc(), ExternalCompletion.id.desc())
        )
    )


@dataclass
class CompletionRow:
    completion: ExternalCompletion
    learner: User


def completion_queue(
    actor: Any, *, status: str | None = REPORTED, limit: int = 50, offset: int = 0
) -> tuple[list[CompletionRow], int]:
    """Completions of the coordinator's ministry (administrators: every ministry),
    oldest report first; ``status`` None for all."""
    user = authz.require(actor, authz.Permission.manage_external_courses)
    joined: Any = select(ExternalCompletion, User).join(User, User.id == ExternalCompletion.user_id)
    statement = authz.scoped(joined, ExternalCompletion, user)
    if status is not None:
        if status not in (REPORTED, VERIFIED, REJECTED):
            raise _field_error("status", _("Estado desconocido."))
        statement = statement.where(ExternalCompletion.status == status)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = db.session.execute(
        statement.options(joinedload(ExternalCompletion.course))
        .order_by(ExternalCompletion.reported_at, ExternalCompletion.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [CompletionRow(completion, learner) for completion, learner in rows], total


def _scoped_completion(user: User, completion_id: Any) -> ExternalCompletion:
    try:
        return authz.get_scoped(ExternalCompletion, completion_id, user)
    except NotFound:
        raise NotFound(_("No existe esa finalización.")) from None


def review(actor: Any, completion_id: Any, decision: str, note: Any = None) -> ExternalCompletion:
    """Verify or reject a reported completion of the coordinator's ministry. A rejection
    needs a reason (the learner sees it); nobody reviews their own report."""
    user = authz.require(actor, authz.Permission.manage_external_courses)
    completion = _scoped_completion(user, completion_id)
    if decision not in (VERIFIED, REJECTED):
        raise _field_error("decision", _("Elija verificar o rechazar."))
    if completion.user_id == user.id:
        refusals.refuse(
            "external_completion.own_review_refused",
            _("No puede revisar su propia finalización."),
            actor=user,
            target=completion,
            details={"course_id": completion.course_id, "decision": decision},
        )
    if completion.status != REPORTED:
        raise Conflict(_("Esta finalización ya fue revisada."))
    reason = _clean_note(note, 500)
    if decision == REJECTED and not reason:
        raise _field_error("note", _("Indique el motivo del rechazo."))
    completion.status = decision
    completion.reviewed_by_id = user.id
    completion.reviewed_at = utcnow()
    completion.review_note = reason
    if decision == VERIFIED:
        _record_completed(completion)
    db.session.flush()
    audit.record(
        f"external_completion.{decision}",
        actor=user,
        target=completion,
        details={"course_id": completion.course_id, "learner_id": completion.user_id},
    )
    return completion


def _record_completed(completion: ExternalCompletion) -> None:
    learner = db.session.get_one(User, completion.user_id)
    progress.record_event(
        learner,
        "completed",
        "external_course",
        str(completion.course_id),
        completion.course.title,
        result={"completion": True},
    )


@dataclass(frozen=True)
class EvidenceFile:
    path: Path
    media_type: str
    download_name: str


def evidence_file(actor: Any, completion_id: Any) -> EvidenceFile:
    """The evidence of a completion, for its learner or a coordinator of the learner's
    ministry (404 for anyone else, and when there is none)."""
    user = authz.authenticated(actor)
    key = parse_id(completion_id)
    completion = db.session.get(ExternalCompletion, key) if key else None
    if completion is None:
        raise NotFound(_("No existe ese comprobante."))
    own = completion.user_id == user.id
    if not own:
        if not authz.can(user, authz.Permission.manage_external_courses):
            raise NotFound(_("No existe ese comprobante."))
        try:
            authz.check_ministry(user, completion.ministry_id)
        except NotFound:
            raise NotFound(_("No existe ese comprobante.")) from None
    path = evidence.path(completion.ministry_id, completion.evidence_name)
    if path is None or completion.evidence_type not in evidence.EXTENSIONS:
        raise NotFound(_("No existe ese comprobante."))
    if not own:
        audit.record(
            "external_completion.evidence_viewed",
            actor=user,
            target=completion,
            ministry_id=completion.ministry_id,
        )
    return EvidenceFile(
        path,
        completion.evidence_type,
        f"comprobante-{completion.id}.{evidence.EXTENSIONS[completion.evidence_type]}",
    )


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Link checks ------------------------------------------------------------------------


def check_links(*, timeout: float | None = None) -> list[tuple[ExternalCourse, ExternalLinkCheck]]:
    """Fetch the URL of every active course (a few at a time) and record each result in
    the course's check history; returns the courses with their new checks (flushes).
    Only public addresses are fetched unless ``LINK_CHECK_PRIVATE_ADDRESSES`` is set."""
    timeout = float(timeout or current_app.config["LINK_CHECK_TIMEOUT"])
    allow_private = bool(current_app.config["LINK_CHECK_PRIVATE_ADDRESSES"])
    courses = list(
        db.session.scalars(
            select(ExternalCourse)
            .where(ExternalCourse.active.is_(True))
            .order_by(ExternalCourse.id)
        )
    )
    if not courses:
        return []
    urls = [course.url for course in courses]
    with ThreadPoolExecutor(max_workers=min(8, len(urls))) as pool:
        results = list(
            pool.map(
                lambda url: checker.fetch_status(url, timeout, allow_private=allow_private), urls
            )
        )
    checked = []
    now = utcnow()
    for course, result in zip(courses, results, strict=True):
        check = ExternalLinkCheck(
            course_id=course.id,
            url=course.url,
            checked_at=now,
            status_code=result.status_code,
            error=(result.error or "")[: checker.ERROR_MAX] or None,
            ok=result.ok,
        )
        db.session.add(check)
        checked.append((course, check))
    db.session.flush()
    return checked


# --- Reports ----------------------------------------------------------------------------


@dataclass
class ReportRow:
    learner: User
    modules: dict[int, str]  # module id -> "completed" / "in_progress"
    external: dict[int, ExternalCompletion]  # course id -> completion


@dataclass
class Report:
    modules: list[Module]
    courses: list[CourseView]
    rows: list[ReportRow]
    total: int


def external_report(
    actor: Any, *, ministry_id: int | None = None, limit: int = 100, offset: int = 0
) -> Report:
    """One row per learner of the coordinator's ministry: each program module's status
    beside each external course's completion; a fixed number of queries."""
    user = authz.require(actor, authz.Permission.view_ministry_reports)
    ministry = user.ministry_id
    if authz.sees_all_ministries(user) and ministry_id is not None:
        ministry = ministry_id
    program = db.session.scalars(
        current_programs().options(selectinload(Program.program_modules))
    ).first()
    module_ids = [row.module_id for row in program.program_modules] if program else []
    modules_by_id = {
        module.id: module
        for module in db.session.scalars(
            select(Module)
            .where(Module.id.in_(module_ids))
            .options(joinedload(Module.current_version).load_only(ModuleVersion.title))
        )
    }
    modules = [modules_by_id[module_id] for module_id in module_ids if module_id in modules_by_id]
    learners_statement = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.ministry_id == ministry, UserRole.role == Role.learner.value)
    )
    total = db.session.scalar(select(func.count()).select_from(learners_statement.subquery())) or 0
    learners = list(
        db.session.scalars(
            learners_statement.options(joinedload(User.post))
            .order_by(User.full_name, User.id)
            .limit(limit)
            .offset(offset)
        )
    )
    ids = [learner.id for learner in learners]
    statuses: dict[int, dict[int, str]] = {}
    if ids and module_ids:
        for row in db.session.scalars(
            select(ModuleProgress).where(
                ModuleProgress.user_id.in_(ids), ModuleProgress.module_id.in_(module_ids)
            )
        ):
            held = statuses.setdefault(row.user_id, {})
            if held.get(row.module_id) != "completed":
                held[row.module_id] = row.status
    courses = _report_courses(ministry)
    external: dict[int, dict[int, ExternalCompletion]] = {}
    if ids:
        for completion in db.session.scalars(
            select(ExternalCompletion).where(ExternalCompletion.user_id.in_(ids))
        ):
            external.setdefault(completion.user_id, {})[completion.course_id] = completion
    rows = [
        ReportRow(learner, statuses.get(learner.id, {}), external.get(learner.id, {}))
        for learner in learners
    ]
    return Report(modules, courses, rows, total)


def _report_courses(ministry_id: int) -> list[CourseView]:
    """The courses the ministry sees, with its credit."""
    statement = (
        select(ExternalCourse, ExternalCourseCredit.course_id)
        .outerjoin(
            ExternalCourseCredit,
            and_(
                ExternalCourseCredit.course_id == ExternalCourse.id,
                ExternalCourseCredit.ministry_id == ministry_id,
            ),
        )
        .where(or_(ExternalCourse.ministry_id.is_(None), ExternalCourse.ministry_id == ministry_id))
        .order_by(ExternalCourse.provider, ExternalCourse.id)
    )
    return [
        CourseView(course, credit is not None) for course, credit in db.session.execute(statement)
    ]
