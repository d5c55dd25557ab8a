"""Certificates as plain data for the API and the pages."""

from __future__ import annotations

from typing import Any

from training.catalog.models import in_language
from training.certificates.lifecycle import category_label
from training.certificates.models import REVOKED, Certificate


def summary(certificate: Certificate, language: str, *, internal: bool = False) -> dict[str, Any]:
    """``internal`` (the ministry's staff) adds the free-text revocation reason; the
    holder sees the category only."""
    return {
        "serial": certificate.serial,
        "code": certificate.code,
        "status": certificate.status,
        "issued_at": certificate.issued_at,
        "program": in_language(certificate.program.title, language),
        "program_version": certificate.program.version,
        "holder_name": certificate.holder_name,
        "revoked_at": certificate.revoked_at,
        "revocation_reason": certificate.revocation_reason if internal else None,
        "revocation_category": certificate.revocation_category,
        "revocation_label": _label(certificate),
    }


def _label(certificate: Certificate) -> str | None:
    return category_label(certificate.revocation_category) if certificate.revoked_at else None


def verification(certificate: Certificate, status: str, language: str) -> dict[str, Any]:
    """What anyone holding the code may see: holder, program, hours, ministry, issue
    date, status and, once revoked, the date and a reason category. Never scores, the
    e-mail, internal ids or the issuer's free-text reason."""
    revoked = certificate.status == REVOKED
    return {
        "status": status,
        "serial": certificate.serial,
        "holder_name": certificate.holder_name,
        "program": in_language(certificate.program.title, language),
        "program_version": certificate.program.version,
        "ministry": certificate.ministry.name(language),
        "ministry_code": certificate.ministry.code,
        "issued_at": certificate.issued_at,
        "hours": certificate.hours,
        "revoked_at": certificate.revoked_at,
        # A category, never the issuer's free text (that stays with the ministry).
        "revocation_reason": certificate.revocation_category if revoked else None,
        "revocation_label": _label(certificate) if revoked else None,
    }
