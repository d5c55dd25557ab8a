"""Sign-in rate limits, per account and per address, shared by the page and the API."""

from __future__ import annotations

from flask import current_app, request

from training.net import client_address


def _submitted_email() -> str:
    if request.is_json:
        data = request.get_json(silent=True)
        email = data.get("email") if isinstance(data, dict) else None
    else:
        email = request.form.get("email")
    return str(email or "").strip().lower()[:254]


def account_key() -> str:
    return "account:" + _submitted_email()


def address_key() -> str:
    return "address:" + client_address()


def per_account() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def per_address() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


def login_limits(view):  # type: ignore[no-untyped-def]
    """Apply both sign-in limits to a view (POST only).

    The limits are shared: every view decorated here draws on the same two budgets, so
    that switching between the page and the API buys an attacker no extra attempts.
    """
    from training.extensions import limiter

    view = limiter.shared_limit(
        per_account, "login-account", key_func=account_key, methods=["POST"]
    )(view)
    view = limiter.shared_limit(
        per_address, "login-address", key_func=address_key, methods=["POST"]
    )(view)
    return view
