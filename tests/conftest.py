"""Fixtures: app, client, CLI runner, database, users of every role.

The database is SQLite by default; set ``TRAINING_TEST_DATABASE_URL`` to run the same
tests on PostgreSQL. The schema is built once per session with the real migrations;
each test then starts from empty tables (a fresh copy of the migrated SQLite file, or
PostgreSQL tables truncated after the test).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text

os.environ["TRAINING_ENV"] = "testing"

from tests.processes import RedisServer
from training import create_app
from training.catalog import cache as content_cache
from training.extensions import db

POSTGRES_URL = os.environ.get("TRAINING_TEST_DATABASE_URL", "").strip()
SYSTEM_TESTS = Path(__file__).parent / "system_deploy"
PASSWORD = "correct horse battery staple"

# Cheap hashing: the cost is a setting, and these tests are not about Argon2's strength.
TEST_SETTINGS: dict[str, Any] = {
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "ARGON2_PARALLELISM": 1,
    "RATELIMIT_STORAGE_URI": "memory://",
    "MAIL_SERVER": None,
    # Embedded mode: background tasks run in the test's process (tests/jobs start real
    # Celery workers where they need them).
    "CELERY_BROKER_URL": None,
    "PUBLIC_BASE_URL": "https://aula.example.org",
}


def backend() -> str:
    return "postgresql" if POSTGRES_URL else "sqlite"


def _settings(url: str, **extra: Any) -> dict[str, Any]:
    return {**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": url, **extra}


def reset_postgres_schema(url: str, schema: str = "public") -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The system tests (tests/system_deploy: real servers, a minute or two) run only when
    named on the command line, as `make system-test` does; `make test` skips collecting
    them."""
    if collection_path != SYSTEM_TESTS:
        return None
    here = config.invocation_params.dir
    named = (Path(here, arg.split("::")[0]).resolve() for arg in config.args)
    return None if any(path.is_relative_to(SYSTEM_TESTS) for path in named) else True


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database: a SQLite file to copy, or the PostgreSQL test database."""
    if POSTGRES_URL:
        try:
            reset_postgres_schema(POSTGRES_URL)
        except Exception as error:  # pragma: no cover - CI must fail, never skip
            pytest.exit(f"PostgreSQL at TRAINING_TEST_DATABASE_URL is unreachable: {error}", 3)
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite3'}"
    app = create_app(_settings(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _truncate_all(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    if POSTGRES_URL:
        return database_template
    source = Path(database_template.removeprefix("sqlite:///"))
    target = tmp_path / "test.sqlite3"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app_settings() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


class RequestClient(FlaskClient):
    """A test client whose every request runs in an application context of its own.

    The tests themselves run inside an app context (so that they can use the database);
    without this, requests would share that context's ``g`` (and so Flask-Login's user)
    and its database session, which a real server never does.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url: str, app_settings: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    # Each test starts from an empty database whose ids repeat those of the test before:
    # what a process keeps of immutable content by version id starts empty too.
    content_cache.versions.clear()
    settings = {"EXPORTS_PATH": str(tmp_path / "exports"), **app_settings}
    application = create_app(_settings(database_url, **settings))
    application.test_client_class = RequestClient
    with application.app_context():
        yield application
        db.session.remove()
    if POSTGRES_URL:
        _truncate_all(application)
    else:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- Counting queries -------------------------------------------------------------------

WRITES = frozenset({"INSERT", "UPDATE", "DELETE"})

Recorder = Callable[..., AbstractContextManager[list[str]]]


@pytest.fixture
def queries(app: Flask) -> Recorder:
    """``with queries() as statements:`` records every SQL statement sent to the database
    inside the block (``queries(WRITES)``: only those whose first word is one of these)."""

    @contextmanager
    def record(kinds: frozenset[str] | None = None) -> Iterator[list[str]]:
        statements: list[str] = []

        def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if kinds is None or statement.lstrip().split(" ", 1)[0].upper() in kinds:
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)

    return record


@pytest.fixture
def count_queries(queries: Recorder) -> Callable[[FlaskClient, str], int]:
    """The number of SQL statements a GET of ``path`` runs (the response must be a 200;
    a streamed body is read in full)."""

    def measure(client: FlaskClient, path: str) -> int:
        with queries() as statements:
            response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
        return len(statements)

    return measure


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Any]]:
    """A fake SMTP server on 127.0.0.1, on a free port, for the length of one test:
    (port, its log of what it saw; see tests/smtp.py)."""
    from tests.smtp import running_smtp_server

    with running_smtp_server() as server:
        yield server


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


# --- Data -------------------------------------------------------------------------------


@pytest.fixture
def ministries(app: Flask) -> dict[str, Any]:
    from training.ministries.models import Ministry
    from training.ministries.services import seed_ministries

    seed_ministries()
    db.session.commit()
    return {m.code: m for m in db.session.scalars(db.select(Ministry))}


@pytest.fixture
def make_user(app: Flask, ministries: dict[str, Any]) -> Any:
    from tests.factories import create_user

    return create_user


@pytest.fixture
def learner(make_user: Any) -> Any:
    return make_user(roles=["learner"], ministry="GT")


@pytest.fixture
def coordinator(make_user: Any) -> Any:
    return make_user(roles=["coordinator", "learner"], ministry="GT")


@pytest.fixture
def issuer(make_user: Any) -> Any:
    return make_user(roles=["issuer"], ministry="GT")


@pytest.fixture
def regional(make_user: Any) -> Any:
    return make_user(roles=["regional"], ministry="CR")


@pytest.fixture
def admin(make_user: Any) -> Any:
    return make_user(roles=["admin"], ministry="CR")


@pytest.fixture
def other_learner(make_user: Any) -> Any:
    """A learner of another ministry (Mexico)."""
    return make_user(roles=["learner"], ministry="MX")


# --- Helpers ----------------------------------------------------------------------------

CSRF_PATTERN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF_PATTERN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, user: Any, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )


@pytest.fixture
def logged_in(client: FlaskClient) -> Any:
    """``logged_in(user)`` signs ``user`` in on the test client and returns the client."""

    def sign_in(user: Any) -> FlaskClient:
        response = login(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return sign_in


@pytest.fixture
def api_token(app: Flask) -> Any:
    """``api_token(user)`` returns headers with a fresh bearer token for ``user``
    (obtained on a client of its own, without a session cookie)."""

    def issue(user: Any) -> dict[str, str]:
        response = app.test_client().post(
            "/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return issue


# --- A private Redis --------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], RedisServer]]:
    """``redis_servers()`` starts a new private Redis (stopped at the end of the session)."""
    started: list[RedisServer] = []

    def start() -> RedisServer:
        server = RedisServer(tmp_path_factory.mktemp("redis"))
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_servers: Callable[[], RedisServer]) -> str:
    """The URL of a private Redis shared by the whole test session (the system tests)."""
    return redis_servers().url


@pytest.fixture
def redis_server(redis_servers: Callable[[], RedisServer]) -> Iterator[RedisServer]:
    """A private Redis for one test, which the test may stop and start."""
    server = redis_servers()
    yield server
    server.stop()
