"""Accounts: the rules for users: e-mail addresses, names and roles, creating an account,
changing its roles, deactivating and reactivating it.

Services flush and never commit: the request or command that calls them commits once.
Every function that acts on behalf of someone takes the acting user explicitly.
"""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError

from training import authz
from training.accounts import passwords
from training.accounts.models import ROLE_VALUES, Role, User, UserRole
from training.accounts.sessions import end_all_sessions
from training.accounts.tokens import revoke_all_tokens
from training.audit import services as audit
from training.config import LANGUAGES
from training.errors import Conflict, NotFound, ValidationFailed
from training.extensions import db
from training.ministries.models import Ministry, Post


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


def check_password(password: str, user: User | None = None, email: str = "") -> None:
    problems = passwords.password_problems(
        password, email=user.email if user else email, full_name=user.full_name if user else ""
    )
    if problems:
        raise ValidationFailed(problems[0], details={"fields": {"password": problems}})


def clean_name(full_name: str) -> str:
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
    name = clean_name(full_name)
    if language not in LANGUAGES:
        raise ValidationFailed(details={"fields": {"language": [", ".join(LANGUAGES)]}})
    role_list = parse_roles(roles)
    if post is not None and post.ministry_id != ministry.id:
        raise NotFound(_("El puesto no pertenece a ese ministerio."))
    if password is not None:
        check_password(password, email=normalized)
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
    revoke_all_tokens(user)
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
