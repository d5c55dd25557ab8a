"""Certificates' codes and signatures: the code a holder types, what the signature
covers (the RFC 8785 canonical form of what the certificate says, built from the row
itself; editing the row in the database makes verification fail), public verification
and the rotation of a ministry's signing key.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from training import authz
from training.audit import services as audit
from training.certificates import keys
from training.certificates.models import (
    PENDING,
    Certificate,
    SigningKey,
)
from training.database import isoformat_z
from training.errors import NotFound
from training.extensions import db
from training.ministries.models import Ministry

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed from paper
CODE_LENGTH = 26  # 26 symbols of 5 bits: 130 bits of randomness


# --- Codes ------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str | None:
    """A typed code in canonical form (no dashes or spaces, upper case), or None when it
    cannot be a code at all."""
    if not isinstance(code, str) or len(code) > 64:
        return None
    cleaned = "".join(ch for ch in code.upper() if ch not in "- ")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def display_code(code: str) -> str:
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


# --- Signing ----------------------------------------------------------------------------


def payload(certificate: Certificate) -> dict[str, Any]:
    """What the signature covers, from the row as it is now.

    ``program_version`` is present from version 2 of a program on: certificates of the
    first version were signed before programs had versions, and their payload (so their
    signature) stays exactly as it was. Absent means version 1.
    """
    signed: dict[str, Any] = {
        "type": "AulaConsularCertificate",
        "serial": certificate.serial,
        "code": certificate.code,
        "holder": certificate.holder_name,
        "ministry": certificate.ministry.code,
        "program": certificate.program.slug,
        "hours": certificate.hours,
        "issued_at": isoformat_z(certificate.issued_at),
        "modules": certificate.modules,
        "replaces": certificate.replaces.serial if certificate.replaces else None,
    }
    if certificate.program.version > 1:
        signed["program_version"] = certificate.program.version
    return signed


def canonical(certificate: Certificate) -> bytes:
    return bytes(rfc8785.dumps(payload(certificate)))


def signature_valid(certificate: Certificate, key: SigningKey | None) -> bool:
    if key is None or not certificate.signature:
        return False
    padded = certificate.signature + "=" * (-len(certificate.signature) % 4)
    try:
        keys.public_key(key).verify(base64.urlsafe_b64decode(padded), canonical(certificate))
    except (InvalidSignature, ValueError):
        return False
    return True


# --- Verification -----------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    certificate: Certificate
    status: str  # valid, revoked or invalid (the signature does not match the record)


def verify(code: Any) -> Verification:
    """Public verification: one query (certificate, ministry, program and key together).

    Unknown and malformed codes raise the same NotFound; pending certificates are not
    public yet. Only a key of the certificate's own ministry counts: a certificate
    signed with another ministry's key is invalid.
    """
    normalized = normalize_code(code) if isinstance(code, str) else None
    if normalized is None:
        raise NotFound(_("No existe ningún certificado con ese código."))
    row = db.session.execute(
        select(Certificate, SigningKey)
        .outerjoin(
            SigningKey,
            (SigningKey.kid == Certificate.kid)
            & (SigningKey.ministry_id == Certificate.ministry_id),
        )
        .where(Certificate.code == normalized, Certificate.status != PENDING)
        .options(
            joinedload(Certificate.ministry),
            joinedload(Certificate.program),
            joinedload(Certificate.replaces),  # the signature covers its serial
        )
    ).first()
    if row is None:
        raise NotFound(_("No existe ningún certificado con ese código."))
    certificate, key = row
    if not signature_valid(certificate, key):
        return Verification(certificate, "invalid")
    return Verification(certificate, certificate.status)


def rotate_key(actor: Any) -> SigningKey:
    """A new signing key for the issuer's ministry; the old one stays published."""
    user = authz.require(actor, authz.Permission.issue_certificates)
    ministry = db.session.get_one(Ministry, user.ministry_id)
    key = keys.generate(ministry)
    audit.record(
        "certificate.key_generated",
        actor=user,
        target=key,
        ministry_id=ministry.id,
        details={"kid": key.kid},
    )
    return key
