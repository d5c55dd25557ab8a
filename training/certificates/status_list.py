"""Each ministry's revocations as a signed W3C Bitstring Status List credential.

Every certificate gets an index in its ministry's list when it is issued (unique per
ministry, a database constraint); the bit at that index is set once the certificate is
revoked. The list is published at ``/api/v1/ministries/{code}/status/revocation`` as a
VC 2.0 ``BitstringStatusListCredential`` signed as a VC-JWT with the ministry's current
Ed25519 key, so a verifier who trusts only the ministry's published keys learns of a
revocation. The list is built from the certificates themselves at each request: a
revocation is in it as soon as it commits.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from training.certificates import keys
from training.certificates.models import REVOKED, Certificate, StatusListCounter
from training.database import isoformat_z, utcnow
from training.extensions import db
from training.ministries.models import Ministry

PURPOSE = "revocation"
MIN_ENTRIES = 131_072  # 16 KB: the minimum the W3C recommendation sets, for herd privacy


def take_index(ministry_id: int) -> int:
    """The next free index of the ministry's list; the counter row stays locked until
    the transaction ends, so concurrent issuers never share an index."""
    statement = (
        update(StatusListCounter)
        .where(StatusListCounter.ministry_id == ministry_id)
        .values(last_index=StatusListCounter.last_index + 1)
        .returning(StatusListCounter.last_index)
    )
    index = db.session.execute(statement).scalar()
    if index is None:
        try:
            with db.session.begin_nested():
                db.session.execute(
                    insert(StatusListCounter).values(ministry_id=ministry_id, last_index=-1)
                )
        except IntegrityError:
            pass  # created by a concurrent issuer
        index = db.session.execute(statement).scalar_one()
    return int(index)


def url(ministry: Ministry) -> str:
    base = current_app.config["PUBLIC_BASE_URL"]
    return f"{base}/api/v1/ministries/{ministry.code}/status/{PURPOSE}"


def entry(certificate: Certificate) -> dict[str, Any]:
    """The ``credentialStatus`` of the certificate's credential."""
    list_url = url(certificate.ministry)
    return {
        "id": f"{list_url}#{certificate.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(certificate.status_index),
        "statusListCredential": list_url,
    }


def bitstring(revoked: list[int]) -> bytes:
    """Bit ``i`` is the ``i``-th bit from the left (the most significant bit of the first
    byte comes first), as the recommendation orders them."""
    size = max(MIN_ENTRIES, max(revoked, default=0) + 1)
    bits = bytearray((size + 7) // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def encode(bits: bytes) -> str:
    """Multibase base64url (prefix ``u``, no padding) of the GZIP-compressed bits."""
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded: str) -> bytes:
    """The bits of an ``encodedList`` (for verifiers and tests)."""
    text = encoded.removeprefix("u")
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def is_set(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def document(ministry: Ministry) -> dict[str, Any]:
    revoked = db.session.scalars(
        select(Certificate.status_index).where(
            Certificate.ministry_id == ministry.id,
            Certificate.status == REVOKED,
            Certificate.status_index.is_not(None),
        )
    ).all()
    list_url = url(ministry)
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": f"{base}/api/v1/ministries/{ministry.code}",
        "validFrom": isoformat_z(utcnow().replace(microsecond=0)),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode(bitstring([int(i) for i in revoked if i is not None])),
        },
    }


def vc_jwt(ministry: Ministry) -> str | None:
    """The ministry's list as a compact JWS (EdDSA, ``typ: vc+jwt``) signed with its
    current key; None when the ministry has no key (it never issued a certificate)."""
    key = keys.current(ministry)
    if key is None:
        return None
    credential = document(ministry)
    now = int(utcnow().timestamp())
    header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": key.kid}
    claims = {**credential, "iss": credential["issuer"], "jti": credential["id"], "iat": now}
    signing_input = ".".join(
        keys.b64url(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode())
        for part in (header, claims)
    )
    return f"{signing_input}.{keys.sign(key, signing_input.encode('ascii'))}"
