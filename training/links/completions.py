"""Completions of external courses: the learner reports one (with evidence), the
ministry's coordinators review it, and the evidence is shown to those who may see it.

* Evidence is checked by content (PDF, PNG, JPEG), limited in size, stored under
  ``EVIDENCE_PATH/<ministry id>/<random name>`` and shown only to the learner and to the
  coordinators of the learner's ministry. Nothing is written before every check passed.
* Imported completion lists (training.links.completion_import) match users by e-mail
  within the importer's ministry; users of other ministries are reported as not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from training import authz
from training.accounts.models import User
from training.audit import refusals
from training.audit import services as audit
from training.database import parse_id, utcnow
from training.errors import Conflict, NotFound
from training.extensions import db
from training.links import evidence
from training.links.cleaning import clean_date, clean_note, field_error
from training.links.courses import visible_course
from training.links.models import (
    REJECTED,
    REPORTED,
    SELF_REPORTED,
    VERIFIED,
    ExternalCompletion,
)
from training.progress import services as progress


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
    course = visible_course(user, course_id, active_only=True)
    day = clean_date(completed_on)
    text = clean_note(note)
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
            raise field_error("status", _("Estado desconocido."))
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
        raise field_error("decision", _("Elija verificar o rechazar."))
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
    reason = clean_note(note, 500)
    if decision == REJECTED and not reason:
        raise field_error("note", _("Indique el motivo del rechazo."))
    completion.status = decision
    completion.reviewed_by_id = user.id
    completion.reviewed_at = utcnow()
    completion.review_note = reason
    if decision == VERIFIED:
        record_completed(completion)
    db.session.flush()
    audit.record(
        f"external_completion.{decision}",
        actor=user,
        target=completion,
        details={"course_id": completion.course_id, "learner_id": completion.user_id},
    )
    return completion


def record_completed(completion: ExternalCompletion) -> None:
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
