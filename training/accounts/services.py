"""Accounts: the rules for users, passwords, sign-in, password reset and API tokens.

Services flush and never commit: the request or command that calls them commits once.
Every function that acts on behalf of someone takes the acting user explicitly.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from training import authz
from training.accounts import passwords
from training.accounts.models import ROLE_VALUES, ApiToken, Role, User, UserRole, UserSession
from training.audit import services as audit
from training.config import LANGUAGES
from training.database import parse_id, utcnow
from training.errors import Conflict, Invalid, NotFound, ValidationFailed
from training.extensions import db
from training.mail import services as mail
from training.ministries.models import Ministry, Post

TOKEN_PREFIX = "aula_"  # noqa: S105 - a prefix that lets secret scanners spot leaked tokens
RESET_SALT = "password-reset"


def normalize_email(email: str) -> str:
    """Lower-cased, trimmed and syntax-checked; raises ValidationFailed."""
    email = (email or "").strip()
    if not email or len(email) > 254:
        raise ValidationFailed(details={"fields": {"email": [_("Correo electrónico no válido.")]}})
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationFailed(
            details={"fields": {"email": [_("Correo electrónico no válido.")]}}
        ) from None
    return result.normalized.lower()


def find_by_email(email: str) -> User | None:
    try:
        normalized = normalize_email(email)
    except ValidationFailed:
        return None
    return db.session.scalar(db.select(User).where(User.email == normalized))


def _check_password(password: str, user: User | None = None, email: str = "") -> None:
    problems = passwords.password_problems(
        password, email=user.email if user else email, full_name=user.full_name if user else ""
    )
    if problems:
        raise ValidationFailed(problems[0], details={"fields": {"password": problems}})


def _clean_name(full_name: str) -> str:
    name = " ".join((full_name or "").split())
    if not name or len(name) > 200 or not name.isprintable():
        raise ValidationFailed(
            details={"fields": {"full_name": [_("Escriba un nombre de 1 a 200 caracteres.")]}}
        )
    return name


def parse_roles(roles: list[str] | tuple[str, ...]) -> list[Role]:
    unknown = [role for role in roles if role not in ROLE_VALUES]
    if unknown or not roles:
        raise ValidationFailed(
            _("Rol desconocido: %(roles)s", roles=", ".join(unknown) or "-"),
            details={"fields": {"roles": [f"one of {', '.join(ROLE_VALUES)}"]}},
        )
    return sorted({Role(role) for role in roles})


def create_user(
    *,
    email: str,
    full_name: str,
    ministry: Ministry,
    roles: list[str] | tuple[str, ...] = ("learner",),
    password: str | None = None,
    language: str = "es",
    post: Post | None = None,
    actor: User | None = None,
) -> User:
    """Create a user. ``actor`` None means the operator's command line.

    The e-mail must be new (regardless of case); the post, when given, must belong to
    the user's ministry; the password, when given, must meet the rules.
    """
    if actor is not None:
        authz.require(actor, authz.Permission.manage_staff)
        authz.check_ministry(actor, ministry.id)
    normalized = normalize_email(email)
    name = _clean_name(full_name)
    if language not in LANGUAGES:
        raise ValidationFailed(details={"fields": {"language": [", ".join(LANGUAGES)]}})
    role_list = parse_roles(roles)
    if post is not None and post.ministry_id != ministry.id:
        raise NotFound(_("El puesto no pertenece a ese ministerio."))
    if password is not None:
        _check_password(password, email=normalized)
    if db.session.scalar(db.select(User.id).where(User.email == normalized)):
        raise Conflict(_("Ya existe un usuario con ese correo electrónico."))
    user = User(
        email=normalized,
        full_name=name,
        language=language,
        ministry=ministry,
        post=post,
        password_hash=passwords.hash_password(password) if password else None,
        role_rows=[UserRole(role=role.value) for role in role_list],
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Someone created the same e-mail between our check and our insert.
        raise Conflict(_("Ya existe un usuario con ese correo electrónico.")) from None
    audit.record(
        "user.created",
        actor=actor,
        target=user,
        details={"roles": [role.value for role in role_list]},
    )
    return user


def set_roles(user: User, roles: list[str] | tuple[str, ...], *, actor: User | None) -> User:
    """Replace the user's roles. ``actor`` None means the operator's command line;
    anyone else must outrank the account, old roles and new (``authz.require_rank``),
    and may not change their own. The last active administrator keeps the role."""
    role_list = parse_roles(roles)
    if actor is not None:
        authz.require(actor, authz.Permission.manage_staff)
        authz.check_ministry(actor, user.ministry_id, target=user)
        authz.require_rank(actor, "set_roles", user=user, roles=role_list)
    before = sorted(role.value for role in user.roles)
    losing_admin = Role.admin in user.roles and Role.admin not in role_list
    if losing_admin:
        _lock_admins()
    user.role_rows = [UserRole(role=role.value) for role in role_list]
    db.session.flush()
    if losing_admin and user.active:
        _keep_an_admin()
    audit.record(
        "user.roles_changed",
        actor=actor,
        target=user,
        details={"before": before, "after": [role.value for role in role_list]},
    )
    return user


def _active_admins() -> Select[Any]:
    return select(User.id).where(
        User.active.is_(True), User.role_rows.any(UserRole.role == Role.admin.value)
    )


def _lock_admins() -> None:
    """Lock the active administrators' rows (PostgreSQL), in one order, so that two
    requests each removing one of the last two wait for each other instead of both
    succeeding. SQLite has one writer at a time: the write that follows is the lock."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_active_admins().order_by(User.id).with_for_update(of=User))


def _keep_an_admin() -> None:
    """Called after the change, inside its transaction: refuse it (and so roll it back)
    when no active administrator would remain."""
    if db.session.scalar(select(func.count()).select_from(_active_admins().subquery())) == 0:
        raise Conflict(_("Debe quedar al menos un administrador activo."))


def _check_staff_action(user: User, actor: User | None, action: str) -> None:
    if actor is not None:
        authz.require(actor, authz.Permission.manage_staff)
        authz.check_ministry(actor, user.ministry_id, target=user)
        authz.require_rank(actor, action, user=user)


def deactivate(user: User, *, actor: User | None) -> User:
    """Stop the user from signing in; their records stay. Ends their sessions and tokens.

    Nobody deactivates themselves or an account above their rank; the last active
    administrator stays active. The change is a conditional update: of two requests at
    once, one deactivates and audits, the other finds it done.
    """
    _check_staff_action(user, actor, "deactivate")
    if Role.admin in user.roles:
        _lock_admins()
    changed = db.session.execute(  # type: ignore[attr-defined]
        update(User)
        .where(User.id == user.id, User.active.is_(True))
        .values(active=False, auth_version=User.auth_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(user)
    if not changed:
        return user
    if Role.admin in user.roles:
        _keep_an_admin()
    _revoke_all_tokens(user)
    end_all_sessions(user)
    db.session.flush()
    audit.record("user.deactivated", actor=actor, target=user)
    return user


def reactivate(user: User, *, actor: User | None) -> User:
    """Let a deactivated user sign in again (with their password, or a reset link)."""
    _check_staff_action(user, actor, "reactivate")
    changed = db.session.execute(  # type: ignore[attr-defined]
        update(User)
        .where(User.id == user.id, User.active.is_(False))
        .values(active=True, auth_version=User.auth_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(user)
    if changed:
        audit.record("user.reactivated", actor=actor, target=user)
    return user


# --- Signing in -------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None.

    Unknown e-mails, wrong passwords and inactive users are indistinguishable to the
    caller and take the same time. Every attempt is audited, never with the password.
    """
    user = find_by_email(email)
    ok = passwords.verify_password(user.password_hash if user else None, password or "")
    if user is None or not ok or not user.active:
        # Written even though the request fails; only an input that is an e-mail address
        # is kept (normalised): anything else may be a password typed in the wrong field.
        try:
            typed = normalize_email(email)
        except ValidationFailed:
            typed = None
        audit.record_surviving(
            "auth.login_failed",
            target_type="User" if user else None,
            target_id=user.id if user else None,
            ministry_id=user.ministry_id if user else None,
            details={
                "email": typed,
                "reason": "inactive" if user is not None and ok else "credentials",
            },
        )
        return None
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    audit.record("auth.login", actor=user, target=user)
    return user


def record_logout(user: User) -> None:
    audit.record("auth.logout", actor=user, target=user)


def _session_lifetime() -> timedelta:
    return timedelta(hours=float(current_app.config["SESSION_HOURS"]))


def start_session(user: User) -> str:
    """Register a browser that signed in as ``user``; returns the key its session cookie
    carries. Sessions past their lifetime (anybody's) are purged on the way."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(
        delete(UserSession).where(UserSession.created_at < now - _session_lifetime())
    )
    db.session.add(UserSession(user_id=user.id, key_hash=_digest(key), created_at=now))
    return key


def end_session(key: str | None) -> None:
    """Sign one browser out: its key no longer signs anyone in."""
    if key:
        db.session.execute(delete(UserSession).where(UserSession.key_hash == _digest(key)))


def end_all_sessions(user: User) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def load_session_user(session_id: str, key: Any) -> User | None:
    """Flask-Login's user loader: ``"<id>.<auth_version>"`` from the session cookie and
    the browser's session key (:func:`start_session`); active users, live sessions only."""
    user_id, _sep, version = (session_id or "").partition(".")
    found = parse_id(user_id)
    if found is None or not version.isdigit() or not isinstance(key, str) or len(key) > 100:
        return None
    # One query for the session, the user, their ministry and their roles.
    user = (
        db.session.scalars(
            select(User)
            .join(UserSession, UserSession.user_id == User.id)
            .where(
                User.id == found,
                UserSession.key_hash == _digest(key),
                UserSession.created_at >= utcnow() - _session_lifetime(),
            )
            .options(joinedload(User.role_rows))
        )
        .unique()
        .one_or_none()
    )
    if user is None or not user.active or user.auth_version != int(version):
        return None
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the user's own password; other sessions and tokens stop working."""
    if not passwords.verify_password(user.password_hash, current_password or ""):
        raise ValidationFailed(
            _("La contraseña actual no es correcta."),
            details={"fields": {"current_password": [_("La contraseña actual no es correcta.")]}},
        )
    _set_password(user, new_password)
    audit.record("auth.password_changed", actor=user, target=user)


def _set_password(user: User, new_password: str) -> None:
    _check_password(new_password, user)
    user.password_hash = passwords.hash_password(new_password)
    user.auth_version += 1
    _revoke_all_tokens(user)
    end_all_sessions(user)
    db.session.flush()


# --- Password reset ---------------------------------------------------------------------


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


def make_reset_token(user: User) -> str:
    return make_token(user, "reset")


def request_password_reset(email: str, reset_url: Any) -> None:
    """Mail a single-use, expiring link to the account, if there is an active one.

    ``reset_url`` turns a token into the absolute link. The caller answers the same way
    whether or not the account exists.
    """
    from training.accounts.limits import reset_mail_allowed

    user = find_by_email(email)
    if user is None or not user.active:
        audit.record("auth.password_reset_requested", details={"known": False})
        return
    if has_request_context() and not reset_mail_allowed(user.email):
        audit.record("auth.password_reset_limited", target=user)
        return
    token = make_reset_token(user)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    with force_locale(user.language):
        subject = _("Restablecer su contraseña de Aula Consular")
        body = _(
            "Hola, %(name)s:\n\nPara elegir una contraseña nueva, abra este enlace en los "
            "próximos %(minutes)d minutos:\n\n%(link)s\n\nEl enlace sirve una sola vez. Si no "
            "pidió este cambio, ignore este mensaje: su contraseña sigue igual.\n",
            name=user.full_name,
            minutes=minutes,
            link=reset_url(token),
        )
    mail.send(user.email, subject, body)
    audit.record("auth.password_reset_requested", actor=None, target=user, details={"known": True})


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


def user_for_reset_token(token: str) -> User:
    return user_for_token(token, "reset")


def reset_password(token: str, new_password: str, purpose: str = "reset") -> User:
    """Set the password through a reset or invitation link (which then stops working)."""
    user = user_for_token(token, purpose)
    _set_password(user, new_password)
    audit.record(
        "auth.password_reset" if purpose == "reset" else "auth.invitation_accepted",
        actor=user,
        target=user,
    )
    return user


# --- API tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken

    @property
    def expires_at(self) -> datetime:
        return self.record.expires_at


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user: User) -> IssuedToken:
    """A new bearer token for ``user``; the secret is returned once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user=user,
        token_hash=_digest(secret),
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


def token_record(token: str) -> ApiToken | None:
    """The live token record for a presented secret: not revoked, not expired, active user."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    record = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == _digest(token)))
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


def _revoke_all_tokens(user: User) -> None:
    now = utcnow()
    db.session.execute(
        db.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
