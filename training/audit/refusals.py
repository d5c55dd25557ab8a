"""Audit records of refused actions, kept although the request that asked is refused.

A refusal (403) rolls back the request's transaction, and an audit record written in it
would go too. :func:`refuse` writes the record through
:func:`training.unit_of_work.surviving`: in a short transaction of its own once the
request's (or command's) transaction has ended.
"""

from __future__ import annotations

from typing import Any, NoReturn

from training.audit import services as audit
from training.errors import Forbidden


def refuse(
    action: str, message: str, *, actor: Any, target: Any, details: dict[str, Any] | None = None
) -> NoReturn:
    """Audit ``action`` as refused for ``actor`` on ``target``, then raise Forbidden."""
    record(action, actor=actor, target=target, details=details)
    raise Forbidden(message)


def record(action: str, *, actor: Any, target: Any, details: dict[str, Any] | None = None) -> None:
    audit.record_surviving(
        action,
        actor=actor,
        target_type=type(target).__name__,
        target_id=target.id,
        ministry_id=getattr(target, "ministry_id", None) or actor.ministry_id,
        details=details,
    )
