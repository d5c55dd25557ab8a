"""The Celery application, bound to the Flask application and configured from it.

Broker: ``CELERY_BROKER_URL``, else ``REDIS_URL``. Delivery is at least once and every
task is idempotent: a task is acknowledged only once it has finished
(``task_acks_late``), a task whose worker died is delivered again
(``task_reject_on_worker_lost``, and the Redis transport's visibility timeout), and a
worker takes one task at a time (prefetch multiplier 1) so that a killed worker holds
no others. JSON only (no pickle), no result backend (outcomes live in the database), a
hard time limit per task and a soft one 30 s before. A task that raises
:class:`~training.background.TryAgain` or meets a database error is retried after
2, 4, 8... seconds (with jitter), at most ``JOBS_MAX_RETRIES`` times, never waiting more
than ``JOBS_RETRY_BACKOFF_MAX`` between tries. Beat sends ``jobs.run_due`` every minute.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from flask import Flask
from sqlalchemy.exc import DBAPIError

from training import unit_of_work
from training.background import TryAgain
from training.dependencies import CELERY_QUEUE
from training.extensions import db
from training.jobs.registry import TASKS

QUEUE = CELERY_QUEUE


def create_celery(app: Flask) -> Celery:
    config = app.config
    time_limit = int(config["JOBS_TIME_LIMIT"])
    celery = Celery(app.import_name, set_as_current=False)
    celery.conf.update(
        broker_url=config.get("CELERY_BROKER_URL") or "memory://",
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": int(config["CELERY_VISIBILITY_TIMEOUT"])},
        # A request hands tasks over after its commit: it must not hang on a broker that
        # is down (the sweeps pick up what was not handed over).
        broker_connection_timeout=3,
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_time_limit=time_limit,
        task_soft_time_limit=max(1, time_limit - 30),
        timezone="UTC",
        beat_schedule={
            "jobs.run-due": {"task": "jobs.run_due", "schedule": 60.0},
        },
        beat_schedule_filename=str(Path(app.instance_path) / "celerybeat-schedule"),
    )
    for name, function in TASKS.items():
        _register(celery, app, name, function)

    def fresh_connections(**_: Any) -> None:
        # A forked pool process must not share the parent's database connections.
        with app.app_context():
            db.engine.dispose(close=False)

    worker_process_init.connect(fresh_connections, weak=False)
    return celery


def _register(celery: Celery, app: Flask, name: str, function: Callable[..., Any]) -> None:
    def task(*args: Any) -> None:
        with app.app_context(), unit_of_work.transaction():
            function(*args)

    task.__doc__ = function.__doc__
    celery.task(
        name=name,
        autoretry_for=(TryAgain, DBAPIError),
        retry_backoff=2,
        retry_backoff_max=int(app.config["JOBS_RETRY_BACKOFF_MAX"]),
        retry_jitter=True,
        max_retries=int(app.config["JOBS_MAX_RETRIES"]),
    )(task)
