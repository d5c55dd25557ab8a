"""A database that restarts, drops a connection or cannot be reached: 503 with Retry-After
(never 500), a JSON envelope on the API and a translated page elsewhere, one warning in
the log, nothing stored; and the request after a restart succeeds."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_URL, _settings, backend, csrf_token
from tests.helpers import row_counts
from training import create_app
from training.extensions import db
from training.ministries.services import create_post, get_ministry

# A port nobody listens on.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/aula"
MESSAGES = {
    "es": "no puede consultar la base de datos",
    "en": "cannot reach the database",
    "fr": "ne peut pas consulter la base de données",
}


def assert_unavailable(response: Any, *, api: bool) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:300]
    assert 1 <= int(response.headers["Retry-After"]) <= 30
    assert "Traceback" not in body and "OperationalError" not in body
    assert "127.0.0.1" not in body and "postgres" not in body.lower()
    if api:
        assert response.mimetype == "application/json"
        payload = response.get_json()
        assert payload["code"] == "database_unavailable"
        assert isinstance(payload["message"], str) and payload["message"]
        return str(payload["message"])
    assert response.mimetype == "text/html"
    assert re.search(r"<h1>\w+ 503</h1>", body)
    return body


def outage_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The outage's log records; nothing is logged as an error or with a traceback."""
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    return [r for r in caplog.records if "Database unavailable" in r.getMessage()]


# --- A connection that died while idle in the pool ---------------------------------------


def _kill_idle_connections(app: Flask) -> None:
    """What a PostgreSQL restart does to the pool: every pooled connection is dead."""
    db.session.rollback()  # the test's own session gives its connection back to the pool
    if backend() == "postgresql":
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            killed = connection.execute(
                text(
                    "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
            pids = [pid for pid, terminated in killed if terminated]
            assert pids
            for _ in range(50):  # termination is asynchronous: wait until they are gone
                alive = connection.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                    {"pids": pids},
                ).scalar_one()
                if not alive:
                    break
                time.sleep(0.1)
        engine.dispose()
    else:
        # SQLite has no server to restart: close the pooled file handles under the pool.
        records = list(db.engine.pool._pool.queue)  # type: ignore[attr-defined]
        assert records
        for record in records:
            record.dbapi_connection.close()


def test_the_request_after_the_database_dropped_idle_connections_succeeds(
    app, client, logged_in, api_token, learner, caplog
):
    headers = api_token(learner)
    logged_in(learner)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/").status_code == 200

    _kill_idle_connections(app)

    api = client.get("/api/v1/me", headers=headers)
    assert api.status_code == 200, api.get_data(as_text=True)[:300]
    assert api.get_json()["email"] == learner.email
    _kill_idle_connections(app)
    page = client.get("/")
    assert page.status_code == 200
    assert learner.full_name in page.get_data(as_text=True)
    assert outage_warnings(caplog) == []


# --- A connection lost in the middle of a request ----------------------------------------


def _lose_the_connection() -> None:
    if backend() == "postgresql":
        # The backend serving this request ends, as in a restart (AdminShutdown).
        db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    else:
        db.session.connection().connection.dbapi_connection.close()  # type: ignore[union-attr]


def _write_then_lose_the_connection() -> str:
    create_post(
        get_ministry("GT"), kind="consulate", name="Perdido", city="Tapachula", country="MX"
    )
    db.session.flush()
    _lose_the_connection()
    db.session.execute(text("SELECT 1"))
    return "stored"


@pytest.fixture
def dropping_routes(app: Flask, ministries: Any) -> Flask:
    app.add_url_rule("/api/v1/test/drop", "api_test_drop", _write_then_lose_the_connection)
    app.add_url_rule("/test/drop", "page_test_drop", _write_then_lose_the_connection)
    return app


@pytest.mark.parametrize(("path", "api"), [("/api/v1/test/drop", True), ("/test/drop", False)])
def test_a_connection_lost_mid_request_is_503_and_nothing_is_stored(
    dropping_routes, client, caplog, path, api
):
    before = row_counts()

    assert_unavailable(client.get(path), api=api)

    assert row_counts() == before
    (warning,) = outage_warnings(caplog)
    assert warning.levelno == logging.WARNING
    assert path in warning.getMessage()
    # The pool recovers on its own: the next request is served.
    assert client.get("/healthz").status_code == 200


# --- A database that cannot be reached ---------------------------------------------------


@pytest.fixture
def unreachable_app(app: Flask) -> Iterator[Flask]:
    """A second server with the same keys, whose database is down."""
    broken = create_app(_settings(UNREACHABLE, SECRET_KEY=app.config["SECRET_KEY"]))
    yield broken
    with broken.app_context():
        db.engine.dispose()


def test_a_signed_in_page_and_an_api_call_get_503_when_the_database_is_down(
    app, client, logged_in, api_token, learner, unreachable_app, caplog
):
    headers = api_token(learner)
    logged_in(learner)
    broken = unreachable_app.test_client()
    broken.set_cookie("aula_session", client.get_cookie("aula_session").value)

    message = assert_unavailable(broken.get("/api/v1/me", headers=headers), api=True)
    assert MESSAGES["es"] in message
    page = assert_unavailable(broken.get("/"), api=False)
    assert MESSAGES["es"] in page

    warnings = outage_warnings(caplog)
    assert len(warnings) == 2
    assert all(record.levelno == logging.WARNING for record in warnings)
    # The session survives the outage: the cookie the browser holds after it still works.
    client.set_cookie("aula_session", broken.get_cookie("aula_session").value)
    assert client.get("/api/v1/me").get_json()["email"] == learner.email


def _sign_in_attempts(broken: Flask, language: str = "es") -> tuple[Any, Any]:
    """A token request and a sign-in form sent while the database is down."""
    headers = {"Accept-Language": language}
    credentials = {"email": "a@gt.example.org", "password": "x" * 12}
    api = broken.test_client().post("/api/v1/auth/tokens", json=credentials, headers=headers)
    browser = broken.test_client()
    form = {**credentials, "csrf_token": csrf_token(browser)}
    page = browser.post("/login", data=form, headers=headers)
    return api, page


@pytest.mark.parametrize("language", ["es", "en", "fr"])
def test_the_outage_answer_is_translated(unreachable_app, language):
    api, page = _sign_in_attempts(unreachable_app, language)

    assert MESSAGES[language] in assert_unavailable(api, api=True)
    assert MESSAGES[language] in assert_unavailable(page, api=False)


def test_healthz_asks_to_retry_when_the_database_is_down(unreachable_app):
    response = unreachable_app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    assert response.get_json()["database"] == "unreachable"
    assert 1 <= int(response.headers["Retry-After"]) <= 30


def test_a_sqlite_file_that_cannot_be_opened_gives_503(app, tmp_path: Path, caplog):
    missing = tmp_path / "no-such-folder" / "aula.sqlite3"
    broken = create_app(_settings(f"sqlite:///{missing}"))
    try:
        api, page = _sign_in_attempts(broken)
        assert_unavailable(api, api=True)
        assert_unavailable(page, api=False)
    finally:
        with broken.app_context():
            db.engine.dispose()
    assert len(outage_warnings(caplog)) == 2


# --- Bugs stay bugs -----------------------------------------------------------------------


def _missing_table() -> str:
    # SQLite calls this an OperationalError, PostgreSQL a ProgrammingError: a bug either way.
    db.session.execute(text("SELECT * FROM no_such_table"))
    return "never"


def _duplicate_ministry() -> str:
    db.session.execute(
        text(
            "INSERT INTO ministry (code, name_es, name_en, name_fr, country_es, country_en,"
            " country_fr, created_at) SELECT code, name_es, name_en, name_fr, country_es,"
            " country_en, country_fr, created_at FROM ministry"
        )
    )
    return "never"


@pytest.mark.parametrize("view", [_missing_table, _duplicate_ministry])
def test_programming_and_integrity_errors_stay_500(app, ministries, client, caplog, view):
    app.add_url_rule("/api/v1/test/bug", "api_test_bug", view)

    response = client.get("/api/v1/test/bug")

    assert response.status_code == 500
    assert response.get_json()["code"] == "server_error"
    assert "Retry-After" not in response.headers
    assert [r for r in caplog.records if r.exc_info]  # logged with its traceback
