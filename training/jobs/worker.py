"""The Celery entry point: ``celery -A training.jobs.worker:celery worker`` (and
``... beat``). Importing it builds the Flask application from the environment, as
``wsgi.py`` does; the worker needs the same settings as the web processes (DATABASE_URL,
CELERY_BROKER_URL or REDIS_URL, MAIL_*, SECRET_KEY and KEY_ENCRYPTION_SECRET)."""

from __future__ import annotations

from celery import Celery

from training import create_app

flask_app = create_app()
if not flask_app.config.get("CELERY_BROKER_URL"):
    raise SystemExit(
        "No broker: set CELERY_BROKER_URL or REDIS_URL for the Celery worker and beat "
        "(without one, tasks run in the web process and `flask jobs run-due` runs the "
        "periodic jobs)."
    )
celery: Celery = flask_app.extensions["celery"]
