"""The certificate as an Open Badges 3.0 credential, signed as a VC-JWT (EdDSA).

The issuer is a profile per ministry, the achievement one per program; the subject is
identified by an opaque URN, never by e-mail; ``credentialStatus`` is the certificate's
entry in its ministry's signed W3C Bitstring Status List (see ``status_list``), so a
verifier who trusts only the ministry's published keys learns of a revocation.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app

from training.catalog.models import in_language
from training.certificates import keys, status_list
from training.certificates.models import Certificate, SigningKey
from training.database import isoformat_z
from training.extensions import db

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def document(certificate: Certificate) -> dict[str, Any]:
    base = current_app.config["PUBLIC_BASE_URL"]
    ministry, program = certificate.ministry, certificate.program
    language = certificate.language
    issuer_id = f"{base}/api/v1/ministries/{ministry.code}"
    return {
        "@context": CONTEXTS,
        "id": f"{base}/verify/{certificate.code}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": in_language(program.title, language),
        "issuer": {
            "id": issuer_id,
            "type": ["Profile"],
            "name": ministry.name(language),
        },
        "validFrom": isoformat_z(certificate.issued_at),
        "credentialSubject": {
            "id": certificate.subject_id,
            "type": ["AchievementSubject"],
            "name": certificate.holder_name,
            "achievement": {
                "id": f"{base}/programs/{program.slug}",
                "type": ["Achievement"],
                "name": in_language(program.title, language),
                "description": in_language(program.description, language),
                "criteria": {"narrative": in_language(program.description, language)},
                "fieldOfStudy": "Trafficking in persons",
            },
            "result": [
                {
                    "type": ["Result"],
                    "value": str(module.get("score")),
                    "alignment": module.get("slug"),
                }
                for module in certificate.modules
            ],
        },
        "credentialStatus": status_list.entry(certificate),
    }


def vc_jwt(certificate: Certificate) -> str:
    """Compact JWS over the credential: header ``{"alg": "EdDSA", "typ": "vc+jwt"}``."""
    key = db.session.scalars(
        db.select(SigningKey).where(
            SigningKey.kid == certificate.kid, SigningKey.ministry_id == certificate.ministry_id
        )
    ).one()
    credential = document(certificate)
    header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": key.kid}
    claims = {
        **credential,
        "iss": credential["issuer"]["id"],
        "sub": certificate.subject_id,
        "jti": credential["id"],
        "nbf": int(certificate.issued_at.timestamp()) if certificate.issued_at else None,
        "iat": int(certificate.issued_at.timestamp()) if certificate.issued_at else None,
    }
    signing_input = ".".join(
        keys.b64url(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode())
        for part in (header, claims)
    )
    return f"{signing_input}.{keys.sign(key, signing_input.encode('ascii'))}"
