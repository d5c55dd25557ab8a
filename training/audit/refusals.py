"""Audit records of refused actions, kept although the request that asked is refused.

A refusal (403) rolls back the request's transaction, and an audit record written in it
would go too. :func:`refuse` keeps the record aside and writes it, in a short transaction
of its own, once the refusal's response is ready (after whatever the request did is
rolled back). Outside a request (a command, a test calling a service) the record joins the
caller's transaction.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import after_this_request, current_app, has_request_context
from werkzeug.wrappers import Response

from training.audit import services as audit
from training.audit.models import AuditEvent
from training.errors import Forbidden
from training.extensions import db
from training.net import client_address


def refuse(
    action: str, message: str, *, actor: Any, target: Any, details: dict[str, Any] | None = None
) -> NoReturn:
    """Audit ``action`` as refused for ``actor`` on ``target``, then raise Forbidden."""
    record(action, actor=actor, target=target, details=details)
    raise Forbidden(message)


def record(action: str, *, actor: Any, target: Any, details: dict[str, Any] | None = None) -> None:
    if not has_request_context():
        audit.record(action, actor=actor, target=target, details=details)
        return
    values = {
        "action": action,
        "actor_id": actor.id,
        "target_type": type(target).__name__,
        "target_id": str(target.id),
        "ministry_id": getattr(target, "ministry_id", None) or actor.ministry_id,
        "address": client_address()[:64],
        "details": dict(details or {}),
    }

    @after_this_request
    def _write(response: Response) -> Response:
        db.session.rollback()
        try:
            db.session.add(AuditEvent(**values))
            db.session.commit()
        except Exception:  # pragma: no cover - the answer is ready; keep a trace of it
            db.session.rollback()
            current_app.logger.exception("Could not record the refusal %s", action)
        return response
