"""Sign-in and password-reset rate limits, shared by the page and the API.

Three budgets, counted in the rate limiter's storage (Redis in production, so that every
worker shares them) and spent only by FAILED sign-ins (a wrong password, an unknown
address, an incomplete form):

* ``LOGIN_LIMIT_PER_ACCOUNT``: one account from one address (IPv6: its /64). Hard: 429
  with ``Retry-After`` once spent. Whoever guesses from one place is stopped; the
  account's owner, elsewhere, is not.
* ``LOGIN_LIMIT_PER_ADDRESS``: one address (IPv6: its /64), whatever the account. Hard.
* ``LOGIN_SLOWDOWN_PER_ACCOUNT``: one account from everywhere. Soft: past it, every
  sign-in on the account waits ``LOGIN_SLOWDOWN_SECONDS`` before it is answered, and
  the right password still signs in, so that failures from elsewhere never lock the
  owner out.

The account is the address as the sign-in looks it up (email-validator's normalised
form), so that no other spelling of it gets a budget of its own; an input that is not an
address is keyed by its hash. Password-reset mails are limited per account
(``PASSWORD_RESET_LIMIT_PER_ACCOUNT``) without changing the form's answer.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import after_this_request, current_app, request
from limits import parse
from werkzeug.wrappers import Response

from training.errors import ValidationFailed
from training.net import client_address


def _submitted_email() -> str:
    if request.is_json:
        data = request.get_json(silent=True)
        email = data.get("email") if isinstance(data, dict) else None
    else:
        email = request.form.get("email")
    return str(email or "")[:1000]


def account_id(raw: str | None = None) -> str:
    """The account a sign-in names: its normalised address, or a hash of the input."""
    from training.accounts.users import normalize_email

    raw = _submitted_email() if raw is None else raw
    try:
        return normalize_email(raw)
    except ValidationFailed:
        digest = hashlib.sha256(raw.strip().encode("utf-8", "surrogatepass")).hexdigest()
        return "raw:" + digest[:32]


def address_id() -> str:
    """The client's address; IPv6 clients by their /64 (one subscriber's block)."""
    address = client_address()
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def account_address_key() -> str:
    return f"account:{account_id()}|{address_id()}"


def address_key() -> str:
    return "address:" + address_id()


def per_account() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def per_address() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


def _failed(response: Response) -> bool:
    """A sign-in that did not succeed (success is 201 on the API, 302 on the page)."""
    return response.status_code not in {201, 302}


def _storage_args(name: str, key: str) -> tuple[str, ...]:
    return (str(current_app.config.get("RATELIMIT_KEY_PREFIX", "")), name, key)


def _slow_down(view: Callable[..., Any]) -> Callable[..., Any]:
    """The soft per-account ceiling: past it, wait before answering; count failures."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from training import limiting
        from training.extensions import limiter

        if request.method != "POST" or not limiter.enabled:
            return view(*args, **kwargs)
        ceiling = parse(str(current_app.config["LOGIN_SLOWDOWN_PER_ACCOUNT"]))
        key = _storage_args("login-ceiling", account_id())
        if not limiting.test(ceiling, *key):
            time.sleep(float(current_app.config["LOGIN_SLOWDOWN_SECONDS"]))

        @after_this_request
        def count(response: Response) -> Response:
            if _failed(response):
                limiting.hit(ceiling, *key)
            return response

        return view(*args, **kwargs)

    return wrapper


def login_limits(view):  # type: ignore[no-untyped-def]
    """Apply the sign-in limits to a view (POST only).

    The limits are shared: every view decorated here draws on the same budgets, so that
    switching between the page and the API buys an attacker no extra attempts.
    """
    from training.extensions import limiter

    view = _slow_down(view)
    view = limiter.shared_limit(
        per_account,
        "login-account",
        key_func=account_address_key,
        methods=["POST"],
        deduct_when=_failed,
    )(view)
    view = limiter.shared_limit(
        per_address, "login-address", key_func=address_key, methods=["POST"], deduct_when=_failed
    )(view)
    return view


def reset_limits(view):  # type: ignore[no-untyped-def]
    """The password-reset form: every request counts against the address's budget (the
    per-account limit is on the mails, see :func:`reset_mail_allowed`)."""
    from training.extensions import limiter

    return limiter.shared_limit(
        per_address, "reset-address", key_func=address_key, methods=["POST"]
    )(view)


def reset_mail_allowed(email: str) -> bool:
    """Count one reset mail to the account; False once its budget is spent."""
    from training import limiting
    from training.extensions import limiter

    if not limiter.enabled:
        return True
    item = parse(str(current_app.config["PASSWORD_RESET_LIMIT_PER_ACCOUNT"]))
    return limiting.hit(item, *_storage_args("reset-mail", email))
