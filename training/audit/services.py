"""Recording privileged actions."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context

from training import unit_of_work
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


# --- Records that must survive a failed request -----------------------------------------


def record_surviving(
    action: str,
    *,
    actor: Any = None,
    target_type: str | None = None,
    target_id: Any = None,
    ministry_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record an event that must outlive the request's own transaction.

    A refused or failed request (401, 403, 404) rolls back what it did; its audit record
    must stay: it is written through :func:`training.unit_of_work.surviving`, in a short
    transaction of its own once the request's (or command's) transaction has ended.
    """
    values = {
        "action": action,
        "actor_id": getattr(actor, "id", None),
        "target_type": target_type,
        "target_id": str(target_id) if target_id is not None else None,
        "ministry_id": ministry_id,
        "address": client_address()[:64] if has_request_context() else None,
        "details": {k: v for k, v in (details or {}).items() if k not in _SECRET_KEYS},
    }
    unit_of_work.surviving(lambda session: session.add(AuditEvent(**values)))


def _under_denial_budget(actor: Any) -> bool:
    """At most AUDIT_DENIALS_PER_MINUTE records of refusals per user and minute, counted
    in the rate limiter's storage (shared by the workers through Redis)."""
    from limits import parse

    from training import limiting

    per_minute = int(current_app.config["AUDIT_DENIALS_PER_MINUTE"])
    if per_minute <= 0:
        return False
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    item = parse(f"{per_minute} per minute")
    return limiting.hit(item, prefix, "audit-denials", str(getattr(actor, "id", "")))


def _on_access_denied(
    sender: Any, *, actor: Any, target_type: Any, target_id: Any, ministry_id: Any, **_: Any
) -> None:
    if not _under_denial_budget(actor):
        return
    record_surviving(
        "authz.access_denied",
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        # The actor's ministry: the other ministry learns nothing of the probe from its
        # log, and the prober's own coordinators see it.
        ministry_id=getattr(actor, "ministry_id", None),
        details={"target_ministry_id": ministry_id},
    )


def _on_staff_action_refused(
    sender: Any, *, actor: Any, action: str, user: Any, roles: list[str], reason: str, **_: Any
) -> None:
    if not _under_denial_budget(actor):
        return
    record_surviving(
        "staff.action_refused",
        actor=actor,
        target_type=type(user).__name__ if user is not None else None,
        target_id=getattr(user, "id", None),
        ministry_id=getattr(actor, "ministry_id", None),
        details={"action": action, "roles": roles, "reason": reason},
    )


def init_app(app: Flask) -> None:
    """Receive the refusals of authz."""
    from training import signals

    signals.access_denied.connect(_on_access_denied, weak=False)
    signals.staff_action_refused.connect(_on_staff_action_refused, weak=False)
