"""Accounts: the tokens a user is given. Link tokens (password reset, staff invitation)
are signed and expiring, and stop working once the password is set; API bearer tokens
are stored only as a digest, and the secret is shown once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from training.accounts.models import ApiToken, User
from training.audit import services as audit
from training.database import parse_id, utcnow
from training.errors import Invalid, NotFound
from training.extensions import db

TOKEN_PREFIX = "aula_"  # noqa: S105 - a prefix that lets secret scanners spot leaked tokens
RESET_SALT = "password-reset"
TOKEN_SALTS = {"reset": RESET_SALT, "invitation": "staff-invitation"}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALTS[purpose])


def _max_age(purpose: str) -> int:
    key = "PASSWORD_RESET_MAX_AGE" if purpose == "reset" else "INVITATION_MAX_AGE"
    return int(current_app.config[key])


def _password_fingerprint(user: User) -> str:
    # Changes whenever the password (or auth version) changes, so a link works once.
    material = f"{user.password_hash or ''}:{user.auth_version}".encode()
    return hashlib.sha256(material).hexdigest()[:16]


def make_token(user: User, purpose: str = "reset") -> str:
    """A signed, expiring link token that stops working once the password is set."""
    return str(_serializer(purpose).dumps({"u": user.id, "f": _password_fingerprint(user)}))


def user_for_token(token: str, purpose: str = "reset") -> User:
    """The user a reset or invitation token was made for; Invalid if tampered, expired
    or already used."""
    try:
        data = _serializer(purpose).loads(token, max_age=_max_age(purpose))
    except SignatureExpired:
        raise Invalid(_("El enlace ha caducado. Pida uno nuevo.")) from None
    except BadSignature:
        raise Invalid(_("El enlace no es válido.")) from None
    if not isinstance(data, dict):
        raise Invalid(_("El enlace no es válido."))
    key = parse_id(data.get("u"))
    user = db.session.get(User, key) if key is not None else None
    if user is None or not user.active or data.get("f") != _password_fingerprint(user):
        raise Invalid(_("El enlace ya se usó o no es válido. Pida uno nuevo."))
    return user


# --- API tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken

    @property
    def expires_at(self) -> datetime:
        return self.record.expires_at


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user: User) -> IssuedToken:
    """A new bearer token for ``user``; the secret is returned once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user=user,
        token_hash=digest(secret),
        expires_at=utcnow() + current_app.config["API_TOKEN_LIFETIME"],
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        "auth.token_created",
        actor=user,
        target=record,
        ministry_id=user.ministry_id,
        details={"expires_at": record.expires_at.isoformat()},
    )
    return IssuedToken(secret, record)


@cache
def _token_statement() -> Select[Any]:
    # One query for the token, its user, the user's ministry and roles: a bearer request
    # is authenticated with a single round trip. Built once: a statement object reused
    # keeps SQLAlchemy's cache key and compiled form, instead of rebuilding them.
    return (
        select(ApiToken)
        .where(ApiToken.token_hash == bindparam("digest"))
        .options(joinedload(ApiToken.user).joinedload(User.role_rows))
    )


def token_record(token: str) -> ApiToken | None:
    """The live token record for a presented secret: not revoked, not expired, active user."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    record = (
        db.session.scalars(_token_statement(), {"digest": digest(token)}).unique().one_or_none()
    )
    if record is None or record.revoked_at is not None or record.expires_at <= utcnow():
        return None
    if not record.user.active:
        return None
    return record


def revoke_token(record: ApiToken, *, actor: User) -> None:
    if record.user_id != actor.id:
        raise NotFound()
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        db.session.flush()
        audit.record(
            "auth.token_revoked", actor=actor, target=record, ministry_id=actor.ministry_id
        )


def revoke_all_tokens(user: User) -> None:
    now = utcnow()
    db.session.execute(
        db.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
