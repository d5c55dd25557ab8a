"""How a request says who it is: the session cookie for pages, a bearer token for scripts.

Bearer tokens are read only under ``/api/``. A request to the API that is authenticated
by the session cookie must carry the CSRF token on unsafe methods, exactly like a form.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from flask import Flask, g, redirect, request, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy import or_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.wrappers import Response

from training import unit_of_work
from training.accounts import sessions, tokens
from training.accounts.models import ApiToken, User
from training.database import utcnow
from training.errors import Unauthenticated, wants_json
from training.extensions import csrf, login_manager

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# The session cookie's entry holding the browser's session key (see sessions.start_session).
SESSION_KEY = "sid"
# A token's last use is stamped at most this often.
TOUCH_INTERVAL = timedelta(seconds=60)


def sign_in(user: User) -> None:
    """Sign ``user`` in on this browser with a fresh session: nothing from before
    survives but the language (fixation), and the new session is registered."""
    language = session.get("language")
    # Whatever this browser was signed in as before ends here, on the server too.
    sessions.end_session(session.get(SESSION_KEY))
    session.clear()
    if language:
        session["language"] = language
    login_user(user, remember=False)
    session[SESSION_KEY] = sessions.start_session(user)


def sign_out() -> None:
    """End this browser's session, here and in the registry."""
    sessions.end_session(session.get(SESSION_KEY))
    logout_user()
    session.clear()


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _uses_bearer() -> bool:
    return request.path.startswith("/api/") and "Authorization" in request.headers


def _load_from_session(session_id: str) -> User | None:
    # An API call that presents a token is judged by the token alone, cookie or not.
    if _uses_bearer():
        return None
    return sessions.load_session_user(session_id, session.get(SESSION_KEY))


def _load_from_request(req: object) -> User | None:
    if not _uses_bearer():
        return None
    token = bearer_token()
    if token is None:
        return None
    record = tokens.token_record(token)
    if record is None:
        return None
    # Touch at most once a minute, so that reads do not turn into writes; as a surviving
    # write, in a short transaction of its own once the request's has ended, so that the
    # request never holds the token's row lock (two admins deactivating each other would
    # otherwise each wait for the other's token).
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at > TOUCH_INTERVAL:
        unit_of_work.surviving(partial(_touch, record.id, now))
        set_committed_value(record, "last_used_at", now)
    g.api_token = record
    return record.user


def _touch(token_id: int, now: datetime, session: Session) -> None:
    """Stamp the token's last use, unless another request did within the interval: one
    guarded ``UPDATE``, whoever runs it first wins."""
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_INTERVAL),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def _authenticate_bearer() -> None:
    """Judge a bearer request by its token before Flask-Login looks at the session.

    Otherwise a browser's cookie sent along with the token (a language choice, a CSRF
    token) trips the strong session protection, and Flask-Login then answers
    "anonymous" without ever reading the token.
    """
    if _uses_bearer():
        login_manager._update_request_context_with_user(_load_from_request(request))


def _unauthorized() -> Response:
    if wants_json():
        raise Unauthenticated()
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def _api_csrf() -> None:
    """Session-authenticated unsafe API calls need the CSRF token; token calls do not."""
    if not request.path.startswith("/api/") or request.method in SAFE_METHODS:
        return
    if request.headers.get("Authorization"):
        return
    from flask_login import current_user

    if current_user.is_authenticated:
        csrf.protect()


def init_app(app: Flask) -> None:
    login_manager.session_protection = "strong"
    login_manager.login_view = "accounts.login"
    login_manager.user_loader(_load_from_session)
    login_manager.request_loader(_load_from_request)
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_authenticate_bearer)
    app.before_request(_api_csrf)
