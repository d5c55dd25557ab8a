"""Looking certificates up: by code or id within the actor's ministry, the learner's
own list and the ministry's list for its coordinators and issuers."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from training import authz
from training.accounts.models import User
from training.certificates.models import (
    PENDING,
    REVOKED,
    VALID,
    Certificate,
)
from training.certificates.signing import normalize_code
from training.database import parse_id
from training.errors import Conflict, NotFound
from training.extensions import db


def scoped_certificate(user: User, code_or_id: Any) -> Certificate:
    certificate = by_code(code_or_id)
    if certificate is None:
        key = parse_id(code_or_id)
        certificate = db.session.get(Certificate, key) if key is not None else None
    if certificate is None:
        raise NotFound(_("No existe ese certificado."))
    authz.check_ministry(user, certificate.ministry_id)
    return certificate


def by_code(code: Any) -> Certificate | None:
    normalized = normalize_code(code) if isinstance(code, str) else None
    if normalized is None:
        return None
    return db.session.scalars(
        select(Certificate)
        .where(Certificate.code == normalized)
        .options(joinedload(Certificate.ministry), joinedload(Certificate.program))
    ).one_or_none()


# --- Lists ------------------------------------------------------------------------------


def for_learner(actor: Any) -> list[Certificate]:
    user = authz.authenticated(actor)
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .options(joinedload(Certificate.program))
            .order_by(Certificate.id.desc())
        )
    )


def for_staff(
    actor: Any,
    *,
    status: str | None = None,
    search: str | None = None,
    cohort_id: Any = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Certificate], int]:
    """The ministry's certificates for its coordinators and issuers, newest first;
    ``cohort_id`` keeps those of the cohort's members (404 for another ministry's)."""
    user = authz.require(actor, authz.Permission.view_certificates)
    statement = authz.scoped(select(Certificate), Certificate, user)
    if cohort_id not in (None, ""):
        from training.cohorts.models import Cohort, CohortMember

        cohort = authz.get_scoped(Cohort, cohort_id, user)
        statement = statement.where(
            Certificate.program_id == cohort.program_id,
            Certificate.user_id.in_(
                select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
            ),
        )
    if status in {PENDING, VALID, REVOKED}:
        statement = statement.where(Certificate.status == status)
    if search:
        pattern = f"%{search.strip()[:100].lower()}%"
        statement = statement.where(
            func.lower(Certificate.holder_name).like(pattern)
            | func.lower(Certificate.serial).like(pattern)
        )
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = db.session.scalars(
        statement.options(joinedload(Certificate.program))
        .order_by(Certificate.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def own_or_staff(actor: Any, code: Any) -> Certificate:
    """The holder, or an issuer or coordinator of the same ministry (404 otherwise)."""
    user = authz.authenticated(actor)
    certificate = by_code(code)
    if certificate is None:
        raise NotFound(_("No existe ese certificado."))
    if certificate.user_id == user.id:
        return certificate
    if authz.can(user, authz.Permission.view_certificates):
        authz.check_ministry(user, certificate.ministry_id)
        return certificate
    raise NotFound(_("No existe ese certificado."))


def require_issued(certificate: Certificate) -> None:
    if certificate.status == PENDING:
        raise Conflict(_("El certificado espera la aprobación de su ministerio."))
