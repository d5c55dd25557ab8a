"""One unit of work per request and per command: the one place that commits.

Views, API handlers, services and commands never commit nor roll back; services flush.
The edge ends the transaction:

* **A request** (:func:`init_app`): once the view, or the error handler of what it
  raised, has answered, and before the response is sent (a streamed body starts only
  after this, reading in a transaction of its own), the request's transaction is
  committed when the status is below 400 and rolled back otherwise. A commit that fails
  is rolled back, logged and answered 500 like any unexpected error.
* **A command or a job** (:func:`transactional`, :func:`transaction`): committed when it
  returns, rolled back when it raises (a domain error, ``SystemExit``, anything).

Records that must outlive a failed request or command (the audit of a refused sign-in
or of a refused action, an expired attempt's closing, a token's last use) go through
:func:`surviving`: each is written in a short transaction of its own once the unit's
transaction has ended, committed or rolled back, so that it never waits on the unit's own
locks and nothing of the failed work comes with it.

A view that answers a failure with a page or a redirect of its own (a form shown again
with its errors, a flashed message) calls :func:`discard` first: what the failed service
did so far is dropped at once, so that the page shows the stored state and a redirect
commits nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.wrappers import Response

from training.errors import database_unavailable, error_response, handle_database_error
from training.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

Write = Callable[[Session], object]

# ``g`` keys: the writes waiting for the unit's end, and how many units are open (a job
# run by a command nests in it).
_PENDING = "unit_of_work_surviving"
_DEPTH = "unit_of_work_depth"
# ``Session.info`` key: writes queued outside any unit of work (a test, the shell).
_LOOSE = "unit_of_work_loose_surviving"


def active() -> bool:
    """Whether a unit of work (a request, a command, a job) will end this transaction."""
    return has_request_context() or (has_app_context() and g.get(_DEPTH, 0) > 0)


def surviving(write: Write) -> None:
    """Write something that must be kept whatever the unit of work does afterwards.

    ``write(session)`` adds or changes rows through ``session``. In a unit of work it runs
    once the unit's transaction has ended (committed or rolled back), in a short
    transaction of its own on the unit's session; outside one (a service called from a
    test or the shell) it runs once the caller's transaction ends, in a session and a
    transaction of its own. A write that fails is logged, never raised: the answer is
    already decided.
    """
    if active():
        g.setdefault(_PENDING, []).append(write)
    else:
        db.session().info.setdefault(_LOOSE, []).append(write)


def discard() -> None:
    """Drop at once what the unit of work wrote so far (before answering a failure with a
    page or redirect of the view's own); records kept by :func:`surviving` stay."""
    db.session.rollback()


def _commit() -> None:
    # The objects the view used stay loaded: a streamed body, or the surviving writes,
    # read them without querying them again.
    session = db.session()
    previous, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


def _rollback() -> None:
    # A database gone away (the health check's 503) cannot even roll back; the session
    # is discarded with the request anyway.
    try:
        db.session.rollback()
    except Exception:
        current_app.logger.exception("Rollback failed")


def _write_surviving() -> None:
    """Run the writes waiting for the unit's end, each in a transaction of its own (a
    write may queue another: it runs too)."""
    while pending := g.pop(_PENDING, None):
        for write in pending:
            try:
                write(db.session())
                _commit()
            except Exception:
                _rollback()
                current_app.logger.exception("A record that must survive was not written")


# --- Requests -----------------------------------------------------------------------------


def _finish_request(response: Response) -> Response:
    if response.status_code < 400:
        try:
            _commit()
        except Exception as error:
            _rollback()
            if isinstance(error, DBAPIError) and database_unavailable(error):
                # The database went away at the commit: 503 and Retry-After, as anywhere.
                response = handle_database_error(error)
            else:
                current_app.logger.exception("Commit failed on %s %s", request.method, request.path)
                response = error_response(500)
    else:
        _rollback()
    _write_surviving()
    return response


def _teardown(error: BaseException | None = None) -> None:
    """When no response was made (a test's request context, an error while finishing),
    what is left is rolled back and the surviving writes still run."""
    if g.get(_PENDING):
        _rollback()
        _write_surviving()


def init_app(app: Flask) -> None:
    """Finish every request's unit of work. Call it after every other ``after_request``
    registration: Flask runs them in reverse, so that this one answers first and the
    others (security headers, timing) also apply to a 500 of a failed commit."""
    app.after_request(_finish_request)
    app.teardown_request(_teardown)
    for name, listener in (
        ("after_commit", _loose_after_commit),
        ("after_soft_rollback", _loose_after_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# --- Commands and jobs --------------------------------------------------------------------


@contextmanager
def transaction() -> Iterator[None]:
    """A unit of work for a command or a job: committed at the end of the block, rolled
    back if it raises; then the surviving writes run (the outermost block only)."""
    depth = g.get(_DEPTH, 0)
    setattr(g, _DEPTH, depth + 1)
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    else:
        db.session.commit()
    finally:
        setattr(g, _DEPTH, depth)
        if depth == 0:
            _write_surviving()


def transactional(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command (or job) as one unit of work (see :func:`transaction`)."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction():
            return command(*args, **kwargs)

    return wrapper


# --- Outside any unit of work -------------------------------------------------------------


def _run_loose(session: Session) -> None:
    pending = session.info.pop(_LOOSE, None)
    if not pending:
        return
    # The caller's transaction has just ended: its session cannot query from here, so
    # the writes use a session (and a connection) of their own.
    bind: Any = session.get_bind()
    for write in pending:
        with Session(bind=bind) as own:
            try:
                with own.begin():
                    write(own)
            except Exception:
                current_app.logger.exception("A record that must survive was not written")


def _loose_after_commit(session: Session) -> None:
    _run_loose(session)


def _loose_after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        _run_loose(session)
