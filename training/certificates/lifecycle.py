"""Certificate state transitions: approve (pending → valid), revoke (valid → revoked),
re-issue (valid → revoked as "superseded", plus a new valid certificate).

Each transition first wins the row with a conditional ``UPDATE ... WHERE status = :old``
and checks that it changed one row; whoever loses a race gets a Conflict and has
written nothing (no serial taken, no audit record). On PostgreSQL the update also locks
the row until the transaction ends, so a concurrent transition waits and then finds the
new status. A revoked certificate is final: it is never re-issued (a re-issue is only
from a valid certificate) and never becomes valid again.

Separation of duties: nobody approves or re-issues their own certificate, whatever their
roles; the refusal is audited in its own transaction so that it outlives the request.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from training import authz
from training.accounts.models import User
from training.audit import services as audit
from training.certificates import issuing, lookup
from training.certificates.models import (
    PENDING,
    REVOCATION_CATEGORIES,
    REVOKED,
    VALID,
    Certificate,
)
from training.database import utcnow
from training.errors import Conflict, Forbidden, ValidationFailed
from training.extensions import db

CATEGORY_LABELS = {
    "issued_in_error": _l("Emitido por error"),
    "misconduct": _l("Conducta indebida"),
    "superseded": _l("Reemplazado por un nuevo certificado"),
    "holder_request": _l("A petición del titular"),
    "other": _l("Otro motivo"),
}


def category_label(category: str | None) -> str:
    return str(CATEGORY_LABELS.get(category or "other", CATEGORY_LABELS["other"]))


def _claim(certificate: Certificate, old: str, **values: Any) -> bool:
    """Move the certificate out of ``old`` if, and only if, it is still in it."""
    result = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.status == old)
        .values(**(values or {"status": Certificate.status}))
        .execution_options(synchronize_session=False)
    )
    won = bool(getattr(result, "rowcount", 0) == 1)
    db.session.refresh(certificate)
    return won


def _refuse_own(user: User, certificate: Certificate, action: str) -> None:
    """Nobody acts on their own certificate: audit the attempt so that it outlives the
    refusal (the request's transaction is rolled back), then refuse."""
    if certificate.user_id != user.id:
        return
    audit.record_surviving(
        "certificate.self_action_refused",
        actor=user,
        target_type="Certificate",
        target_id=certificate.id,
        ministry_id=certificate.ministry_id,
        details={"action": action, "serial": certificate.serial},
    )
    raise Forbidden(_("Nadie puede aprobar ni volver a emitir su propio certificado."))


def approve(actor: Any, code_or_id: Any) -> Certificate:
    """Number, sign and issue a pending certificate; a second approval is a Conflict."""
    user = authz.require(actor, authz.Permission.issue_certificates)
    certificate = lookup.scoped_certificate(user, code_or_id)
    _refuse_own(user, certificate, "approve")
    return _approve(certificate, user)


def _approve(certificate: Certificate, issuer: User | None) -> Certificate:
    if not _claim(certificate, PENDING):
        raise Conflict(_("Este certificado ya no está pendiente."))
    issuing.sign_and_number(certificate, issuer)
    return certificate


def approve_if_pending(certificate: Certificate, issuer: User | None) -> bool:
    """For bulk issuing: approve unless someone else did first (then skip it)."""
    if issuer is not None and certificate.user_id == issuer.id:
        return False
    if not _claim(certificate, PENDING):
        return False
    issuing.sign_and_number(certificate, issuer)
    return True


def clean_reason(reason: Any) -> str:
    text = " ".join(str(reason or "").split())
    if not text or len(text) > 500:
        raise ValidationFailed(
            _("Indique el motivo (de 1 a 500 caracteres)."),
            details={"fields": {"reason": [_("Indique el motivo (de 1 a 500 caracteres).")]}},
        )
    return text


def clean_category(category: Any) -> str:
    value = category if category not in (None, "") else "other"
    if value not in REVOCATION_CATEGORIES:
        raise ValidationFailed(
            details={"fields": {"category": [", ".join(REVOCATION_CATEGORIES)]}},
        )
    return str(value)


def revoke(actor: Any, code_or_id: Any, reason: Any, category: Any = None) -> Certificate:
    """Revoke with a public category and an internal reason; the record stays, its bit
    in the ministry's status list is set, and verification shows the category."""
    user = authz.require(actor, authz.Permission.issue_certificates)
    certificate = lookup.scoped_certificate(user, code_or_id)
    text = clean_reason(reason)
    kind = clean_category(category)
    won = _claim(
        certificate,
        VALID,
        status=REVOKED,
        revoked_at=utcnow(),
        revocation_reason=text,
        revocation_category=kind,
    )
    if not won:
        if certificate.status == PENDING:
            raise Conflict(_("Un certificado pendiente no se revoca: apruébelo o déjelo."))
        raise Conflict(_("Este certificado ya está revocado."))
    audit.record(
        "certificate.revoked",
        actor=user,
        target=certificate,
        ministry_id=certificate.ministry_id,
        details={"serial": certificate.serial, "reason": text, "category": kind},
    )
    return certificate


def reissue(
    actor: Any, code_or_id: Any, *, holder_name: str | None = None, reason: str | None = None
) -> Certificate:
    """Replace a valid certificate (a name correction, say): the old one is revoked as
    "superseded" and stays verifiable; the new one points back at it. A revoked
    certificate is not re-issued: a revocation racing a re-issue either wins (no
    replacement appears) or finds the certificate already superseded (409)."""
    user = authz.require(actor, authz.Permission.issue_certificates)
    old = lookup.scoped_certificate(user, code_or_id)
    _refuse_own(user, old, "reissue")
    name = issuing.clean_holder_name(holder_name) if holder_name else old.user.full_name
    won = _claim(
        old,
        VALID,
        status=REVOKED,
        revoked_at=utcnow(),
        revocation_reason="reissued",
        revocation_category="superseded",
    )
    if not won:
        raise Conflict(_("Solo se vuelve a emitir un certificado válido."))
    new = issuing.request_certificate(
        old.user, old.program, issuer=user, replaces=old, holder_name=name
    )
    audit.record(
        "certificate.reissued",
        actor=user,
        target=new,
        ministry_id=new.ministry_id,
        details={"old": old.serial, "new": new.serial, "reason": reason or ""},
    )
    return new
