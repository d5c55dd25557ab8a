"""Issuing certificates: issue once, number without gaps, sign.

* Issuing is triggered by ``program_completed`` (see :func:`connect_signals`). The
  ministry's policy (:func:`update_settings`) decides whether the certificate is issued
  at once or waits in the approval queue for an issuer.
* At most one pending or valid certificate per learner and program: a partial unique
  index decides between concurrent triggers, and every caller gets the one that exists.
* The serial (``GT-2026-000001``) is taken from a per-ministry, per-year counter row
  that stays locked until the transaction ends: unique and without gaps.

The state transitions that follow (approve, revoke, re-issue) are in
:mod:`training.certificates.lifecycle`.
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from training import authz, background, signals
from training.accounts.models import User
from training.audit import services as audit
from training.catalog.models import Module, ModuleVersion, Program
from training.certificates import keys, status_list
from training.certificates.models import (
    PENDING,
    VALID,
    Certificate,
    SerialCounter,
)
from training.certificates.signing import canonical, new_code
from training.database import isoformat_z, parse_id, utcnow
from training.errors import NotFound, ValidationFailed
from training.extensions import db
from training.ministries.models import Ministry
from training.progress.models import ModuleProgress, ProgramCompletion

# The background task that issues one learner's certificate (registered by training.jobs).
ISSUE_TASK = "certificates.issue"


def _snapshot(user: User, program: Program) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(ModuleProgress, ModuleVersion, Module)
        .join(ModuleVersion, ModuleVersion.id == ModuleProgress.module_version_id)
        .join(Module, Module.id == ModuleProgress.module_id)
        .where(ModuleProgress.user_id == user.id, ModuleProgress.completed_at.is_not(None))
    ).all()
    best: dict[int, tuple[ModuleProgress, ModuleVersion, Module]] = {}
    for progress, version, module in rows:
        held = best.get(module.id)
        if held is None or (progress.best_score or 0) > (held[0].best_score or 0):
            best[module.id] = (progress, version, module)
    snapshot = []
    for row in program.program_modules:
        if row.module_id not in best:
            continue
        progress, version, module = best[row.module_id]
        snapshot.append(
            {
                "slug": module.slug,
                "title": dict(version.title),
                "version": version.number,
                "hours": version.hours,
                "score": progress.best_score,
                "completed_at": isoformat_z(progress.completed_at),
            }
        )
    return snapshot


def _take_serial(ministry: Ministry, year: int) -> str:
    statement = (
        update(SerialCounter)
        .where(SerialCounter.ministry_id == ministry.id, SerialCounter.year == year)
        .values(last_number=SerialCounter.last_number + 1)
        .returning(SerialCounter.last_number)
    )
    number = db.session.execute(statement).scalar()
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.execute(
                    insert(SerialCounter).values(ministry_id=ministry.id, year=year, last_number=0)
                )
        except IntegrityError:
            pass  # created by a concurrent issuer: take the next number from it
        number = db.session.execute(statement).scalar_one()
    prefix = ministry.serial_prefix or ministry.code
    return f"{prefix}-{year}-{number:06d}"


def sign_and_number(certificate: Certificate, issuer: User | None) -> None:
    ministry = certificate.ministry
    key = keys.current(ministry) or keys.generate(ministry)
    now = utcnow().replace(microsecond=0)
    certificate.serial = _take_serial(ministry, now.year)
    certificate.issued_at = now
    certificate.issued_by_id = issuer.id if issuer else None
    certificate.status = VALID
    certificate.kid = key.kid
    if certificate.status_index is None:
        certificate.status_index = status_list.take_index(ministry.id)
    db.session.flush()
    certificate.signature = keys.sign(key, canonical(certificate))
    db.session.flush()
    audit.record(
        "certificate.issued",
        actor=issuer,
        target=certificate,
        ministry_id=ministry.id,
        details={"serial": certificate.serial},
    )


def request_certificate(
    user: User,
    program: Program,
    *,
    issuer: User | None = None,
    replaces: Certificate | None = None,
    holder_name: str | None = None,
) -> Certificate:
    """The learner's current certificate for ``program``, creating it if there is none.

    Created pending when the ministry approves manually (and no issuer acts now),
    otherwise issued and signed at once. Safe to call from concurrent requests.
    """
    existing = current_certificate(user, program)
    if existing is not None:
        return existing
    ministry = db.session.get_one(Ministry, user.ministry_id)
    certificate = Certificate(
        code=new_code(),
        user_id=user.id,
        ministry_id=ministry.id,
        program_id=program.id,
        status=PENDING,
        holder_name=holder_name or user.full_name,
        language=user.language,
        hours=program.hours,
        modules=_snapshot(user, program),
        subject_id=f"urn:uuid:{uuid.uuid4()}",
        replaces=replaces,
    )
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        found = current_certificate(user, program)
        if found is None:  # pragma: no cover - the index guarantees one exists
            raise
        return found
    if ministry.certificate_approval == "automatic" or issuer is not None:
        sign_and_number(certificate, issuer)
    else:
        audit.record("certificate.queued", actor=None, target=certificate, ministry_id=ministry.id)
    return certificate


def current_certificate(user: User, program: Program) -> Certificate | None:
    return db.session.scalars(
        select(Certificate).where(
            Certificate.user_id == user.id,
            Certificate.program_id == program.id,
            Certificate.status.in_([PENDING, VALID]),
        )
    ).one_or_none()


def _on_program_completed(sender: Any, *, user: User, program: Program, **extra: Any) -> None:
    request_certificate(user, program)


def connect_signals() -> None:
    """Issue certificates when learners complete a program."""
    signals.program_completed.connect(_on_program_completed, weak=False)


def clean_holder_name(name: str) -> str:
    """NFC-normalised, single-spaced, printable; combining marks and any script allowed."""
    text = unicodedata.normalize("NFC", " ".join(str(name or "").split()))
    if not text or len(text) > 200 or not text.isprintable():
        raise ValidationFailed(
            details={"fields": {"holder_name": [_("Escriba un nombre de 1 a 200 caracteres.")]}}
        )
    return text


# --- Issuers' actions -------------------------------------------------------------------


def update_settings(
    actor: Any, *, signatory_name: str, signatory_title: str, serial_prefix: str, approval: str
) -> Ministry:
    """The issuer's ministry's certificate branding and approval policy."""
    user = authz.require(actor, authz.Permission.issue_certificates)
    ministry = db.session.get_one(Ministry, user.ministry_id)
    problems: dict[str, list[str]] = {}
    name = " ".join((signatory_name or "").split())
    title = " ".join((signatory_title or "").split())
    prefix = (serial_prefix or "").strip().upper()
    if len(name) > 200:
        problems["signatory_name"] = [_("De 1 a 200 caracteres.")]
    if len(title) > 200:
        problems["signatory_title"] = [_("De 1 a 200 caracteres.")]
    if prefix and (not prefix.isascii() or not prefix.isalnum() or len(prefix) > 8):
        problems["serial_prefix"] = [_("De 1 a 8 letras o cifras.")]
    if approval not in {"automatic", "manual"}:
        problems["approval"] = ["automatic, manual"]
    if problems:
        raise ValidationFailed(details={"fields": problems})
    before = {
        "name": ministry.signatory_name,
        "title": ministry.signatory_title,
        "prefix": ministry.serial_prefix,
        "approval": ministry.certificate_approval,
    }
    ministry.signatory_name = name or None
    ministry.signatory_title = title or None
    ministry.serial_prefix = prefix or None
    ministry.certificate_approval = approval
    db.session.flush()
    audit.record(
        "certificate.settings_changed",
        actor=user,
        target=ministry,
        ministry_id=ministry.id,
        details={
            "before": before,
            "after": {
                "name": ministry.signatory_name,
                "title": ministry.signatory_title,
                "prefix": ministry.serial_prefix,
                "approval": approval,
            },
        },
    )
    return ministry


def _completers(ministry_id: int, cohort: Any = None) -> list[Any]:
    """(learner, program) for each learner of the ministry (or member of the cohort) who
    completed a program (the cohort's)."""
    from training.cohorts.models import CohortMember

    statement = (
        select(User, Program)
        .join(ProgramCompletion, ProgramCompletion.user_id == User.id)
        .join(Program, Program.id == ProgramCompletion.program_id)
        .where(User.ministry_id == ministry_id)
    )
    if cohort is not None:
        statement = statement.join(CohortMember, CohortMember.user_id == User.id).where(
            CohortMember.cohort_id == cohort.id, Program.id == cohort.program_id
        )
    return list(db.session.execute(statement).all())


def _issue_all(completers: list[Any], issuer: User | None) -> int:
    """Issue (or approve) the certificate of each completer who has none valid yet
    (never the issuer's own); returns how many were issued now."""
    from training.certificates import lifecycle

    issued = 0
    for learner, program in completers:
        certificate = current_certificate(learner, program)
        if certificate is None:
            certificate = request_certificate(learner, program, issuer=issuer)
            if certificate.status == VALID:
                issued += 1
                continue
        if certificate.status == PENDING and lifecycle.approve_if_pending(certificate, issuer):
            issued += 1
    return issued


def queue_for_cohort(actor: Any, cohort_id: Any) -> int:
    """Ask for the certificate of every member of the cohort who completed its program
    and has none valid yet: one :data:`ISSUE_TASK` each, handed to the background
    workers once this transaction commits. Returns how many were asked for."""
    from training.cohorts.models import Cohort

    user = authz.require(actor, authz.Permission.issue_certificates)
    cohort = authz.get_scoped(Cohort, cohort_id, user)
    waiting = 0
    for learner, program in _completers(cohort.ministry_id, cohort):
        certificate = current_certificate(learner, program)
        if certificate is not None and (certificate.status != PENDING or learner.id == user.id):
            continue  # issued already; an issuer never approves their own
        background.after_commit(ISSUE_TASK, learner.id, program.id, user.id)
        waiting += 1
    audit.record(
        "certificate.cohort_issued", actor=user, target=cohort, details={"queued": waiting}
    )
    return waiting


def issue_one(user_id: int, program_id: int, issuer_id: int | None) -> bool:
    """The ``certificates.issue`` task: issue (or approve) the learner's certificate for
    the program unless it is valid already; whether it was issued now. Idempotent: the
    partial unique index and the approval's conditional UPDATE let one run win, and a
    run after it finds the certificate valid."""
    learner = db.session.get(User, user_id)
    program = db.session.get(Program, program_id)
    issuer = db.session.get(User, issuer_id) if issuer_id is not None else None
    if learner is None or program is None:
        return False
    return _issue_all([(learner, program)], issuer) == 1


def issue_for_ministry(ministry: Ministry, cohort_id: Any = None) -> tuple[int, int]:
    """For the command line, where the operator acts for the ministry: issue (or approve)
    the certificate of every learner of the ministry (or of one of its cohorts) who
    completed the program and has none yet. Returns how many completed it and how many
    certificates were issued now. Idempotent."""
    from training.cohorts.models import Cohort

    cohort = None
    if cohort_id is not None:
        key = parse_id(cohort_id)
        cohort = db.session.get(Cohort, key) if key is not None else None
        if cohort is None or cohort.ministry_id != ministry.id:
            raise NotFound(f"No cohort {cohort_id} in {ministry.code}.")
    completers = _completers(ministry.id, cohort)
    issued = _issue_all(completers, None)
    audit.record(
        "certificate.bulk_issued",
        target=cohort or ministry,
        ministry_id=ministry.id,
        details={"completed": len(completers), "issued": issued},
    )
    return len(completers), issued
