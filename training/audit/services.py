"""Recording privileged actions."""

from __future__ import annotations

from typing import Any

from flask import has_request_context

from training.audit.models import AuditEvent
from training.extensions import db
from training.net import client_address

# Keys that must never reach the log, whatever a caller passes in ``details``.
_SECRET_KEYS = {"password", "new_password", "current_password", "token", "secret"}


def record(
    action: str,
    *,
    actor: Any = None,
    target: Any = None,
    ministry_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event and flush it; the caller's transaction commits it.

    ``actor`` is the user acting (None for anonymous actions such as a failed sign-in);
    ``target`` any model instance with an ``id`` (its class name is recorded).
    """
    clean = {key: value for key, value in (details or {}).items() if key not in _SECRET_KEYS}
    actor_id = getattr(actor, "id", None)
    if ministry_id is None:
        ministry_id = getattr(target, "ministry_id", None) or getattr(actor, "ministry_id", None)
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        target_type=type(target).__name__ if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        ministry_id=ministry_id,
        # The column holds 64 characters; behind a misconfigured proxy the "address" is
        # whatever the client put in X-Forwarded-For, and must not make the request fail.
        address=client_address()[:64] if has_request_context() else None,
        details=clean,
    )
    db.session.add(event)
    db.session.flush()
    return event
