"""Background work a service asks for: "run task X with these arguments once this
transaction commits".

A service calls :func:`after_commit` with the name of a task and JSON-serialisable
arguments (ids, never objects: the task reads the committed rows again). The request is
kept on the session and handed over only when the whole transaction commits; a rollback
of the transaction drops it (a savepoint's rollback does not), so that no task ever runs
about something that was rolled back.

Who runs the task is the business of :mod:`training.jobs`, which registers the names and
installs the dispatcher (:func:`set_dispatcher`): a Celery broker when one is configured,
otherwise the same function in this process right after the commit. This module is in
the core layer so that every domain may ask for background work without knowing Celery.

A task function that meets a temporary failure (a mail server that does not answer)
raises :class:`TryAgain`: the worker retries it later with a growing delay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from training.extensions import db

# Session.info key: the (task name, arguments) to hand over once the session commits.
_PENDING = "training.background.pending"
# app.extensions key of the dispatcher installed by training.jobs.
_DISPATCHER = "training.background.dispatcher"

Request = tuple[str, tuple[Any, ...]]
Dispatcher = Callable[[list[Request]], None]


class TryAgain(Exception):
    """A task met a temporary failure; the worker runs it again later (with backoff)."""


def after_commit(task: str, *args: Any) -> None:
    """Run the task ``task`` with ``args`` (JSON values) once the current transaction
    commits; nothing runs if it is rolled back."""
    session = db.session()
    if not session.in_transaction():
        # Begun now, so that a rollback before anything else is written drops it too.
        session.begin()
    session.info.setdefault(_PENDING, []).append((task, args))


def pending() -> list[Request]:
    """What the current transaction will hand over when it commits (for tests)."""
    return list(db.session().info.get(_PENDING, []))


def set_dispatcher(app: Flask, dispatcher: Dispatcher) -> None:
    app.extensions[_DISPATCHER] = dispatcher


def _after_commit(session: Session) -> None:
    requests = session.info.pop(_PENDING, None)
    if not requests:
        return
    dispatcher: Dispatcher | None = current_app.extensions.get(_DISPATCHER)
    if dispatcher is None:  # pragma: no cover - create_app always installs one
        current_app.logger.error("No dispatcher for background tasks: %r dropped", requests)
        return
    try:
        dispatcher(requests)
    except Exception:
        # The transaction is committed: the answer stands, and the periodic sweeps pick
        # up what was not handed over.
        current_app.logger.exception("Background tasks %r not handed over", requests)


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # Only the whole transaction's rollback drops its tasks, not a savepoint's.
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def connect() -> None:
    """Hand tasks over after each commit (connecting twice is harmless)."""
    for name, listener in (
        ("after_commit", _after_commit),
        ("after_soft_rollback", _after_soft_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
