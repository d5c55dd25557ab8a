"""Redis (the rate limiter's storage) going away: sign-in keeps working, the limits keep
applying (counted in each process's memory), one warning is logged for the outage, and
/healthz says that Redis is down while still answering 200."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from limits import parse

from tests.conftest import PASSWORD, login
from tests.processes import RedisServer
from training import limiting
from training.config import load_settings
from training.extensions import limiter

FALLBACK_WARNING = "Rate limit storage unreachable"


@pytest.fixture
def app_settings(redis_server: RedisServer, tmp_path: Path) -> dict[str, Any]:
    # The settings production derives from REDIS_URL, not hand-made ones.
    settings = load_settings(
        {"TRAINING_ENV": "testing", "REDIS_URL": redis_server.url}, tmp_path / "instance"
    )
    assert settings["RATELIMIT_STORAGE_URI"] == redis_server.url
    assert settings["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    names = (
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "RATELIMIT_STORAGE_URI",
        "RATELIMIT_STORAGE_OPTIONS",
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED",
    )
    return {
        **{name: settings[name] for name in names},
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
    }


@pytest.fixture(autouse=True)
def storage_alive() -> Iterator[None]:
    # Flask-Limiter's extension object is one per process, shared by every test's app: it
    # must not start, or leave the next test, in its "storage is dead" state.
    limiter._storage_dead = False
    yield
    limiter._storage_dead = False


def fallback_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    return [r for r in caplog.records if FALLBACK_WARNING in r.getMessage()]


def fail_sign_in(client: Any, email: str) -> int:
    response = client.post("/api/v1/auth/tokens", json={"email": email, "password": "wrong"})
    return int(response.status_code)


def test_sign_in_keeps_working_and_limited_while_redis_is_down(
    app, client, learner, other_learner, redis_server, caplog
):
    caplog.set_level(logging.INFO)
    counted = redis.Redis.from_url(redis_server.url)
    assert fail_sign_in(client, other_learner.email) == 401
    # The failure was counted in Redis, where every worker and host sees it.
    assert any(b"login-account" in key for key in counted.keys("*"))
    counted.close()

    redis_server.stop()

    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {
        "status": "degraded",
        "database": "ok",
        "redis": "unreachable",
        "broker": "unreachable",
    }
    # Sign-in on the page and on the API.
    page = login(client, learner)
    assert page.status_code == 302, page.get_data(as_text=True)[:300]
    assert client.get("/api/v1/me").get_json()["email"] == learner.email
    token = app.test_client().post(
        "/api/v1/auth/tokens", json={"email": learner.email, "password": PASSWORD}
    )
    assert token.status_code == 201
    # The limits still hold, counted in this process: three failures, then 429.
    guesser = app.test_client()
    assert [fail_sign_in(guesser, other_learner.email) for _ in range(4)] == [401, 401, 401, 429]
    # One warning for the whole outage, not one per request.
    assert len(fallback_warnings(caplog)) == 1

    redis_server.start()
    assert client.get("/healthz").get_json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "broker": "ok",
    }


def test_counters_kept_by_the_application_let_requests_through_when_redis_fails(
    app, redis_server, caplog
):
    caplog.set_level(logging.INFO)
    budget = parse("1 per minute")
    assert limiting.hit(budget, "test", "key") is True
    assert limiting.hit(budget, "test", "key") is False  # spent, in Redis

    redis_server.stop()

    # Flask-Limiter has not noticed yet (no limited request since): these calls reach the
    # dead storage themselves, let the request through, and log once.
    assert limiting.hit(budget, "test", "key") is True
    assert limiting.test(budget, "test", "key") is True
    assert limiting.hit(budget, "test", "key") is True
    assert len(fallback_warnings(caplog)) == 1

    redis_server.start()  # an empty Redis: the budget starts again
    assert limiting.hit(budget, "test", "key") is True
    assert limiting.hit(budget, "test", "key") is False
    assert "answers again" in caplog.text
