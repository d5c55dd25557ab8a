"""Handing background tasks over: to the Celery broker, or to this process.

Embedded mode (no broker): a task asked for during a request runs in this process once
the response has been sent (``Response.call_on_close``), so the request never waits for
it; anywhere else (a command, the shell, a test) it runs right after the commit. Each
task runs in an application context and a unit of work of its own, one after the other
(no pool: a web worker busy with a task for a moment is simpler than threads to bound,
and production has a broker). A task that fails there is logged and left as it is for
the periodic sweep (``flask jobs run-due``); it never breaks the request.
"""

from __future__ import annotations

from functools import partial

from celery import Celery
from flask import Flask, g, has_request_context
from werkzeug.wrappers import Response

from training import background, unit_of_work
from training.background import Dispatcher, Request
from training.jobs.registry import TASKS

# ``g`` key: the tasks a request asked for, to run once its response is sent.
_DEFERRED = "jobs_deferred"


def to_broker(celery: Celery) -> Dispatcher:
    def dispatch(requests: list[Request]) -> None:
        for name, args in requests:
            celery.tasks[name].apply_async(args=list(args))

    return dispatch


def embedded(app: Flask) -> Dispatcher:
    def dispatch(requests: list[Request]) -> None:
        if has_request_context():
            g.setdefault(_DEFERRED, []).extend(requests)
        else:
            run_in_process(app, requests)

    return dispatch


def run_in_process(app: Flask, requests: list[Request]) -> None:
    """Run the tasks here, each in an application context and a unit of work of its own;
    a failure is logged, never raised."""
    for name, args in requests:
        with app.app_context():
            try:
                with unit_of_work.transaction():
                    TASKS[name](*args)
            except background.TryAgain as error:
                app.logger.warning(
                    "Task %s%r: %s; the periodic sweep tries again", name, args, error
                )
            except Exception:
                app.logger.exception("Task %s%r failed; the periodic sweep tries again", name, args)


def _run_after_response(response: Response) -> Response:
    deferred = g.pop(_DEFERRED, None)
    if deferred:
        from flask import current_app

        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(partial(run_in_process, app, deferred))
    return response


def init_app(app: Flask) -> None:
    """Register before :func:`training.unit_of_work.init_app`: Flask runs ``after_request``
    hooks in reverse, so this one sees the tasks of the request's commit."""
    app.after_request(_run_after_response)
