"""Rate-limit counters when their storage (Redis) is down.

Flask-Limiter is configured with ``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``: when Redis
stops answering, every limit (the sign-in limits included) keeps applying, counted in the
memory of each worker process instead of shared, and Flask-Limiter logs one warning per
process (``Rate limit storage unreachable - falling back to in-memory storage``); it
looks at Redis again now and then (after 1, 2, 4 … 32 seconds) and logs ``Rate limit
storage recovered`` when it answers. Sign-in therefore keeps working while Redis is down,
and a guesser gets at most one budget per process instead of one in all.

The few counters the application reads or spends itself (the soft sign-in ceiling, the
password-reset mails, the audit of refusals) go through :func:`hit` and :func:`test`:
they use whichever storage Flask-Limiter is using, and if Redis fails under them before
Flask-Limiter has noticed, they let the request through (one warning per outage).
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app
from flask.logging import default_handler
from limits import RateLimitItem
from limits.errors import StorageError

from training.extensions import limiter

_state = threading.Lock()
_storage_failing = False


def _failed(error: StorageError) -> None:
    global _storage_failing
    with _state:
        first, _storage_failing = not _storage_failing, True
    if first:
        current_app.logger.warning(
            "Rate limit storage unreachable (%s): counters the application keeps itself "
            "let requests through until it answers",
            type(error.storage_error).__name__,
        )


def _answered() -> None:
    global _storage_failing
    if _storage_failing:
        with _state:
            _storage_failing = False
        current_app.logger.info("Rate limit storage answers again")


def hit(item: RateLimitItem, *keys: str) -> bool:
    """Spend one of ``item`` on ``keys``; False once it is spent (True when the storage
    cannot be reached)."""
    try:
        allowed = bool(limiter.limiter.hit(item, *keys))
    except StorageError as error:
        _failed(error)
        return True
    _answered()
    return allowed


def test(item: RateLimitItem, *keys: str) -> bool:
    """Whether ``item`` still has room on ``keys`` (True when the storage cannot be
    reached)."""
    try:
        allowed = bool(limiter.limiter.test(item, *keys))
    except StorageError as error:
        _failed(error)
        return True
    _answered()
    return allowed


def init_app(app: Flask) -> None:
    """Flask-Limiter's own messages (storage lost, storage recovered) reach the same
    stream as the application's."""
    logger = logging.getLogger("flask-limiter")
    logger.setLevel(logging.INFO)
    if default_handler not in logger.handlers:
        logger.addHandler(default_handler)
