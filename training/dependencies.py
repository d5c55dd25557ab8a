"""The services the application depends on, as health checks and metrics see them.

The database is asked through the session; Redis (``REDIS_URL``) and the Celery broker
(``CELERY_BROKER_URL``, else ``REDIS_URL``) with a ``PING`` that gives up after half a
second, so that a health check never hangs on a dead host. Celery itself is not
imported: only the broker's address is looked at.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from training.extensions import db

# What /healthz says of each dependency.
OK = "ok"
UNREACHABLE = "unreachable"
NOT_CONFIGURED = "not_configured"
UNCHECKED = "unchecked"  # a broker that is not Redis (amqp://…): not looked at

PING_TIMEOUT = 0.5
# kombu's Redis transport keeps a queue in a list named after it, and each priority level
# above 0 in a list of its own (the name, "\x06\x16" and the level).
# The name of the one queue the application's tasks go to (training.jobs uses it).
CELERY_QUEUE = "aula"
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)

_clients_lock = threading.Lock()


def _is_redis(url: str) -> bool:
    return url.split(":", 1)[0] in {"redis", "rediss", "unix"}


def _client(app: Flask, url: str) -> Any:
    """One client (and connection pool) per process and address."""
    import redis

    clients: dict[str, Any] = app.extensions.setdefault("training.redis_clients", {})
    with _clients_lock:
        client = clients.get(url)
        if client is None:
            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=PING_TIMEOUT,
                socket_timeout=PING_TIMEOUT,
                health_check_interval=0,
            )
            clients[url] = client
    return client


def database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return UNREACHABLE
    return OK


def redis_state(url: str | None) -> str:
    """``ok``, ``unreachable``, ``not_configured`` or ``unchecked`` for ``url``."""
    import redis

    if not url:
        return NOT_CONFIGURED
    if not _is_redis(url):
        return UNCHECKED
    try:
        _client(current_app._get_current_object(), url).ping()  # type: ignore[attr-defined]
    except (redis.RedisError, OSError):
        return UNREACHABLE
    return OK


def broker_url() -> str | None:
    url = current_app.config.get("CELERY_BROKER_URL") or current_app.config.get("REDIS_URL")
    return str(url) if url else None


def queue_length(url: str | None) -> int | None:
    """Messages waiting in Celery's default queue on a Redis broker, every priority level
    counted; None when there is no Redis broker or it does not answer."""
    import redis

    if not url or not _is_redis(url):
        return None
    keys = [CELERY_QUEUE] + [f"{CELERY_QUEUE}{_PRIORITY_SEPARATOR}{n}" for n in _PRIORITY_STEPS]
    try:
        pipeline = _client(current_app._get_current_object(), url).pipeline(  # type: ignore[attr-defined]
            transaction=False
        )
        for key in keys:
            pipeline.llen(key)
        return sum(int(n) for n in pipeline.execute())
    except (redis.RedisError, OSError):
        return None
