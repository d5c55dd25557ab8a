"""Certificates as plain data for the API and the pages."""

from __future__ import annotations

from typing import Any

from training.catalog.models import in_language
from training.certificates.models import Certificate


def summary(certificate: Certificate, language: str) -> dict[str, Any]:
    return {
        "serial": certificate.serial,
        "code": certificate.code,
        "status": certificate.status,
        "issued_at": certificate.issued_at,
        "program": in_language(certificate.program.title, language),
        "holder_name": certificate.holder_name,
        "revoked_at": certificate.revoked_at,
        "revocation_reason": certificate.revocation_reason,
    }


def verification(certificate: Certificate, status: str, language: str) -> dict[str, Any]:
    """What anyone holding the code may see: never the e-mail or internal ids."""
    return {
        "status": status,
        "serial": certificate.serial,
        "holder_name": certificate.holder_name,
        "program": in_language(certificate.program.title, language),
        "ministry": certificate.ministry.name(language),
        "ministry_code": certificate.ministry.code,
        "issued_at": certificate.issued_at,
        "hours": certificate.hours,
        "modules": [
            {
                "slug": module.get("slug"),
                "title": in_language(module.get("title"), language),
                "version": module.get("version"),
                "score": module.get("score"),
                "hours": module.get("hours"),
            }
            for module in certificate.modules
        ],
        "revoked_at": certificate.revoked_at,
        "revocation_reason": certificate.revocation_reason,
        "replaces": certificate.replaces.serial if certificate.replaces else None,
    }
