"""Accounts: the browsers a user is signed in on. Each sign-in registers a session whose
key the session cookie carries; ending it (or all of a user's) signs the browser out on
the server too.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.orm import joinedload

from training.accounts.models import User, UserSession
from training.accounts.tokens import digest
from training.database import UTCDateTime, parse_id, utcnow
from training.extensions import db


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
    db.session.add(UserSession(user_id=user.id, key_hash=digest(key), created_at=now))
    return key


def end_session(key: str | None) -> None:
    """Sign one browser out: its key no longer signs anyone in."""
    if key:
        db.session.execute(delete(UserSession).where(UserSession.key_hash == digest(key)))


def end_all_sessions(user: User) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


@cache
def _session_statement() -> Select[Any]:
    # One query for the session, the user, their ministry and their roles; built once
    # (see tokens._token_statement).
    return (
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == bindparam("user_id"),
            UserSession.key_hash == bindparam("key_hash"),
            UserSession.created_at >= bindparam("since", type_=UTCDateTime()),
        )
        .options(joinedload(User.role_rows))
    )


def load_session_user(session_id: str, key: Any) -> User | None:
    """Flask-Login's user loader: ``"<id>.<auth_version>"`` from the session cookie and
    the browser's session key (:func:`start_session`); active users, live sessions only."""
    user_id, _sep, version = (session_id or "").partition(".")
    found = parse_id(user_id)
    if found is None or not version.isdigit() or not isinstance(key, str) or len(key) > 100:
        return None
    parameters = {
        "user_id": found,
        "key_hash": digest(key),
        "since": utcnow() - _session_lifetime(),
    }
    user = db.session.scalars(_session_statement(), parameters).unique().one_or_none()
    if user is None or not user.active or user.auth_version != int(version):
        return None
    return user
