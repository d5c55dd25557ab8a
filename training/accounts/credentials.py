"""Accounts: a user's password: signing in with it, changing it, and setting it again
through a reset or invitation link.

Services flush and never commit: the request or command that calls them commits once.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _

from training.accounts import passwords
from training.accounts.models import User
from training.accounts.sessions import end_all_sessions
from training.accounts.tokens import make_token, revoke_all_tokens, user_for_token
from training.accounts.users import check_password, find_by_email, normalize_email
from training.audit import services as audit
from training.database import utcnow
from training.errors import ValidationFailed
from training.extensions import db
from training.mail import services as mail


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
    check_password(new_password, user)
    user.password_hash = passwords.hash_password(new_password)
    user.auth_version += 1
    revoke_all_tokens(user)
    end_all_sessions(user)
    db.session.flush()


# --- Password reset ---------------------------------------------------------------------


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
    token = make_token(user)
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
