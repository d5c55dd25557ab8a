"""Ed25519 signing keys per ministry, and their public JWK set.

Private keys are stored as encrypted PKCS#8 (cryptography's best available encryption)
under ``KEY_ENCRYPTION_SECRET``; they are decrypted only to sign, and never logged or
sent anywhere. A key that the configured secret does not decrypt (a database restored
without its secret, a changed variable) signs nothing: signing raises
:class:`SigningKeyUnavailable` (503) and logs which key, and ``flask certificates
check-keys`` lists every such key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from training.certificates.models import SigningKey
from training.database import utcnow
from training.errors import DomainError
from training.extensions import db
from training.ministries.models import Ministry


class SigningKeyUnavailable(DomainError):
    """A private key that ``KEY_ENCRYPTION_SECRET`` does not decrypt: nothing can be
    signed with it until the operator sets the secret the key was made with."""

    status = 503
    code = "signing_key_unavailable"
    default_message = _l(
        "Los certificados no se pueden firmar en este momento. El equipo técnico ha sido avisado."
    )


UNDECRYPTABLE = (
    "Signing key %s of ministry %s cannot be decrypted with KEY_ENCRYPTION_SECRET: it is not "
    "the secret the key was encrypted with (a database restored without its secret?). "
    "Nothing was signed; `flask certificates check-keys` lists every such key."
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(x: str) -> str:
    """RFC 7638 JWK thumbprint of an Ed25519 public key."""
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True
    )
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def _secret() -> bytes:
    return str(current_app.config["KEY_ENCRYPTION_SECRET"]).encode("utf-8")


def generate(ministry: Ministry) -> SigningKey:
    """A new key for ``ministry``; the previous one is retired but kept for verifying."""
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    x = b64url(raw)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_secret()),
    ).decode("ascii")
    now = utcnow()
    for old in db.session.scalars(
        select(SigningKey).where(
            SigningKey.ministry_id == ministry.id, SigningKey.retired_at.is_(None)
        )
    ):
        old.retired_at = now
    key = SigningKey(
        ministry_id=ministry.id,
        kid=thumbprint(x),
        public_key=x,
        private_key_pem=pem,
        created_at=now,
    )
    db.session.add(key)
    db.session.flush()
    return key


def current(ministry: Ministry) -> SigningKey | None:
    return db.session.scalars(
        select(SigningKey)
        .where(SigningKey.ministry_id == ministry.id, SigningKey.retired_at.is_(None))
        .order_by(SigningKey.id.desc())
    ).first()


@lru_cache(maxsize=32)
def _private(pem: str, secret: bytes) -> Ed25519PrivateKey:
    # Decrypting is deliberately slow (a key-derivation function); keep the result.
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=secret)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def private_key(key: SigningKey) -> Ed25519PrivateKey:
    """The key's private half, decrypted with ``KEY_ENCRYPTION_SECRET``."""
    try:
        return _private(key.private_key_pem, _secret())
    except ValueError:  # cryptography's answer to a wrong password
        ministry = db.session.get(Ministry, key.ministry_id)
        current_app.logger.error(UNDECRYPTABLE, key.kid, ministry.code if ministry else "?")
        raise SigningKeyUnavailable() from None


def sign(key: SigningKey, message: bytes) -> str:
    return b64url(private_key(key).sign(message))


def undecryptable_keys() -> list[tuple[Ministry, SigningKey]]:
    """Every ministry's current key that ``KEY_ENCRYPTION_SECRET`` does not decrypt (run
    after a restore: an empty list means every ministry can sign)."""
    rows = db.session.execute(
        select(Ministry, SigningKey)
        .join(SigningKey, SigningKey.ministry_id == Ministry.id)
        .where(SigningKey.retired_at.is_(None))
        .order_by(Ministry.code)
    ).all()
    failing = []
    for ministry, key in rows:
        try:
            _private(key.private_key_pem, _secret())
        except ValueError:
            failing.append((ministry, key))
    return failing


def public_key(key: SigningKey) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    padded = key.public_key + "=" * (-len(key.public_key) % 4)
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(padded))


def jwks(ministry: Ministry) -> dict[str, Any]:
    """Every key of the ministry, newest first, as a JWK set (RFC 7517 / RFC 8037)."""
    rows = db.session.scalars(
        select(SigningKey)
        .where(SigningKey.ministry_id == ministry.id)
        .order_by(SigningKey.id.desc())
    ).all()
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": row.public_key,
                "kid": row.kid,
                "use": "sig",
                "alg": "EdDSA",
            }
            for row in rows
        ]
    }
