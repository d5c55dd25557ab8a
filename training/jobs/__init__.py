"""Background work: Celery when a broker is configured, the same tasks in-process
otherwise (embedded mode).

* :mod:`training.jobs.registry` names every task (``mail.deliver``...) and periodic job
  (``mail.sweep``, ``links.check``) and the plain domain function each one runs.
* :mod:`training.jobs.celery_app` builds the Celery application from the Flask
  configuration; every task runs in an application context, as one unit of work.
* :mod:`training.jobs.dispatch` hands over what services asked for with
  :func:`training.background.after_commit`: to the broker, or, in embedded mode, to this
  process once the response is sent (at once outside a request).
* :mod:`training.jobs.periodic` runs the periodic jobs that are due, each once however
  many runners (``flask jobs run-due`` from cron, or Celery beat's ``jobs.run_due``).
* :mod:`training.jobs.worker` is the module for ``celery -A training.jobs.worker:celery``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Build the Celery application and install the dispatcher of background tasks."""
    from training import background
    from training.jobs import celery_app, dispatch

    celery = celery_app.create_celery(app)
    app.extensions["celery"] = celery
    if app.config.get("CELERY_BROKER_URL"):
        background.set_dispatcher(app, dispatch.to_broker(celery))
    else:
        background.set_dispatcher(app, dispatch.embedded(app))
    dispatch.init_app(app)
    background.connect()
