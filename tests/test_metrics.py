"""/metrics: Prometheus figures for operators, refused to the public.

In-process tests read the exporter's single-process registry; the last test serves the
application with gunicorn (deploy/gunicorn.conf.py, two workers) and checks that a
scrape adds up every worker's requests.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.processes import RedisServer, child_environment, gunicorn
from training import create_app
from training.dependencies import CELERY_QUEUE
from training.extensions import db

TOKEN = "metrics-" + "t" * 32
SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Prometheus text format as {(name, labels): value}."""
    found = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
            found[(match["name"], labels)] = float(match["value"])
    return found


def value(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def scrape(client: Any, **kwargs: Any) -> Any:
    return client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs)


# --- Who may read them ------------------------------------------------------------------


def test_without_a_token_or_networks_there_are_no_metrics(client):
    assert client.get("/metrics").status_code == 404
    assert scrape(client).status_code == 404
    assert "training.metrics" not in client.application.extensions


@pytest.mark.parametrize("app_settings", [{"METRICS_TOKEN": TOKEN}])
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"]
)
def test_the_public_gets_a_404(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 404
    assert "flask_http" not in response.get_data(as_text=True)


@pytest.mark.parametrize("app_settings", [{"METRICS_TOKEN": TOKEN}])
def test_the_token_opens_the_metrics(client):
    response = scrape(client)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "flask_http_request_duration_seconds" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_settings", [{"METRICS_ALLOWED_NETWORKS": ("10.20.0.0/16",)}])
def test_allowed_networks_open_the_metrics_to_their_addresses_only(client):
    assert client.get("/metrics").status_code == 404  # the test client is 127.0.0.1
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.21.0.1"})
    assert outside.status_code == 404
    inside = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.3.4"})
    assert inside.status_code == 200
    # Only a token opens them to other addresses, and there is none here.
    assert scrape(client).status_code == 404


# --- What they say ----------------------------------------------------------------------


@pytest.mark.parametrize("app_settings", [{"METRICS_TOKEN": TOKEN}])
def test_requests_are_counted_and_timed_per_route_pattern(client, learner, api_token):
    headers = api_token(learner)
    for _ in range(3):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    for slug in ("no-such-module", "another-one"):
        assert client.get(f"/api/v1/modules/{slug}", headers=headers).status_code == 404
    client.get("/healthz")
    client.get("/no/such/page")

    text = scrape(client).get_data(as_text=True)
    found = samples(text)
    duration = "flask_http_request_duration_seconds"
    me = {"method": "GET", "status": "200", "url_rule": "/api/v1/me"}
    assert value(found, f"{duration}_count", **me) == 3
    assert value(found, f"{duration}_sum", **me) > 0
    modules = {"method": "GET", "status": "404", "url_rule": "/api/v1/modules/<slug>"}
    assert value(found, f"{duration}_count", **modules) == 2
    assert value(found, f"{duration}_count", method="GET", status="404", url_rule="<unmatched>")
    # The pattern, never the path: no slug, no unknown page in a label.
    assert "no-such-module" not in text and "/no/such/page" not in text
    assert value(found, "flask_http_request_total", method="GET", status="200") >= 4
    # Scrapes are not counted.
    assert "/metrics" not in text


@pytest.mark.parametrize("app_settings", [{"METRICS_TOKEN": TOKEN}])
def test_the_database_pool_gauges(app, client, learner, api_token):
    headers = api_token(learner)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.remove()  # the test's own session gives its connection back

    found = samples(scrape(client).get_data(as_text=True))
    pool = db.engine.pool
    assert value(found, "aula_db_pool_size") == pool.size() > 0  # type: ignore[attr-defined]
    assert value(found, "aula_db_pool_checked_out") == 0
    assert value(found, "aula_db_pool_overflow") == 0

    # Connections held by someone show up at once, without a scrape in between reading
    # the pool: the gauges follow checkouts and checkins.
    held = [db.engine.connect() for _ in range(pool.size() + 2)]  # type: ignore[attr-defined]
    gauges = client.application.extensions["training.metrics"].registry
    assert gauges.get_sample_value("aula_db_pool_checked_out") == len(held)
    assert gauges.get_sample_value("aula_db_pool_overflow") == 2
    for connection in held:
        connection.close()
    assert gauges.get_sample_value("aula_db_pool_checked_out") == 0
    assert "aula_celery_queue_length" not in scrape(client).get_data(as_text=True)


@pytest.fixture
def broker(redis_server: RedisServer) -> RedisServer:
    return redis_server


def test_the_celery_queue_length_is_read_from_the_broker(database_url, broker):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "METRICS_TOKEN": TOKEN,
            "CELERY_BROKER_URL": broker.url,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    client = app.test_client()
    queue = redis.Redis.from_url(broker.url)
    queue.rpush(CELERY_QUEUE, "a", "b", "c")
    queue.rpush(f"{CELERY_QUEUE}\x06\x163", "urgent")  # kombu's list for priority 3
    queue.rpush("other", "x")

    assert value(samples(scrape(client).get_data(as_text=True)), "aula_celery_queue_length") == 4
    queue.delete(CELERY_QUEUE)
    assert value(samples(scrape(client).get_data(as_text=True)), "aula_celery_queue_length") == 1

    broker.stop()
    text = scrape(client).get_data(as_text=True)
    assert "aula_celery_queue_length NaN" in text
    queue.close()
    with app.app_context():
        db.engine.dispose()


# --- Under gunicorn ---------------------------------------------------------------------


@pytest.fixture
def served(database_url: str, app: Any, tmp_path: Path) -> Iterator[int]:
    """The application under gunicorn with two workers, metrics on."""
    log = tmp_path / "gunicorn.log"
    environ = child_environment(
        TRAINING_ENV="development",
        SECRET_KEY="metrics-test-" + "k" * 40,
        DATABASE_URL=database_url,
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="1",
        GUNICORN_WORKER_CLASS="sync",
        METRICS_TOKEN=TOKEN,
    )
    with gunicorn(environ, log) as port:
        yield port
    assert "Traceback" not in log.read_text()


def test_gunicorn_workers_add_up_in_one_scrape(served):
    def get(path: str, **headers: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    assert get("/metrics")[0] == 404
    for _ in range(20):
        assert get("/healthz")[0] == 200
    # Every scrape, whichever worker answers it, sees all twenty.
    for _ in range(4):
        status, body = get("/metrics", Authorization=f"Bearer {TOKEN}")
        assert status == 200
        found = samples(body)
        healthz = {"method": "GET", "status": "200", "url_rule": "/healthz"}
        # Twenty, and the fixture's readiness probe.
        assert value(found, "flask_http_request_duration_seconds_count", **healthz) == 21
        # Summed over the workers that have used their pool (5 connections each).
        assert value(found, "aula_db_pool_size") in (5, 10)
