"""The system tests' harness: the application as an operator runs it, in real processes on
this machine (gunicorn with the repository's deploy/gunicorn.conf.py, HAProxy from Debian, a
private redis-server, PostgreSQL), each in a process group of its own, with its log in
the test's folder.

Settings, from the environment:

``SYSTEM_TEST_POSTGRES``
    the PostgreSQL server, ``postgresql+psycopg://postgres@127.0.0.1:5432`` by default.
``SYSTEM_TEST_DATABASES``
    three database names, comma-separated: the two-server test's and the backup's
    source, which the tests empty (created when missing), and the restore's target,
    which they DROP and CREATE (``aula_system_servers,aula_system_backup,
    aula_system_restored`` by default).

Every process is started by :meth:`Stack.start`; :func:`app_servers`,
:func:`celery_worker` and :func:`balancer` are the kinds there are.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import psycopg
import pytest

from tests.processes import free_port, require_program, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

POSTGRES = os.environ.get(
    "SYSTEM_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
).rstrip("/")
DATABASES = (
    os.environ.get("SYSTEM_TEST_DATABASES", "").strip()
    or "aula_system_servers,aula_system_backup,aula_system_restored"
).split(",")
if len(DATABASES) != 3:  # pragma: no cover - a mistyped setting
    raise RuntimeError("SYSTEM_TEST_DATABASES needs three database names, comma-separated")
SERVERS_DATABASE, BACKUP_SOURCE_DATABASE, RESTORED_DATABASE = (name.strip() for name in DATABASES)

# What the production settings refuse to start without; the values are the tests' own.
SECRET_KEY = "system-test-secret-key-0123456789abcdefghijklmnop"
KEY_ENCRYPTION_SECRET = "system-test-key-encryption-secret-0123456789abcdef"


# --- PostgreSQL -------------------------------------------------------------------------


def database_url(name: str) -> str:
    """The SQLAlchemy URL of database ``name`` on the test server."""
    return f"{POSTGRES}/{name}"


def libpq_url(name: str) -> str:
    """The same database as libpq (psql, pg_dump, pg_restore) spells it."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", database_url(name))


def _maintenance(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    try:
        with psycopg.connect(libpq_url("postgres"), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at {POSTGRES} is unreachable: {error}", pytrace=False)


def _disconnect(name: str) -> None:
    """End every session on database ``name`` (a server left over by an aborted run)."""
    _maintenance(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        name,
    )


def empty_database(name: str) -> str:
    """Database ``name`` with nothing in it (created when missing); its URL. Emptied by
    dropping its public schema: dropping a database makes PostgreSQL checkpoint, which
    takes long on a busy machine."""
    if not _maintenance("SELECT 1 FROM pg_database WHERE datname = %s", name):
        _maintenance(f'CREATE DATABASE "{name}"')
    _disconnect(name)
    with psycopg.connect(libpq_url(name), autocommit=True, connect_timeout=5) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return database_url(name)


def recreate_database(name: str) -> str:
    """Drop database ``name`` and create it anew, as a restore starts; its URL."""
    _disconnect(name)
    _maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _maintenance(f'CREATE DATABASE "{name}"')
    return database_url(name)


def query(name: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on database ``name``, read outside the application."""
    with psycopg.connect(libpq_url(name), connect_timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


# --- Processes --------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill_hard(self) -> None:
        """``kill -9`` the whole process group (a gunicorn master and its workers at once)."""
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive():
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


@dataclass
class Stack:
    """The processes of one test; :meth:`stop` ends them all."""

    folder: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: list[str], environment: Mapping[str, str]) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("wb") as handle:
            popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=dict(environment),
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (last lines)\n{p.tail()}" for p in self.processes)


def production_environment(database: str, redis_url: str, **settings: str) -> dict[str, str]:
    """The environment of a production host (README, Deploy), and nothing inherited but
    the basics: ``TRAINING_ENV=production`` with its secrets, the database, Redis."""
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TZ") if name in os.environ}
    return {
        **base,
        "TRAINING_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "KEY_ENCRYPTION_SECRET": KEY_ENCRYPTION_SECRET,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "TRUSTED_PROXIES": "1",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }


def flask_run(environment: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app wsgi ARGS`` as an operator does."""
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=dict(environment),
        capture_output=True,
        text=True,
        timeout=180,
    )


def flask(environment: Mapping[str, str], *args: str) -> str:
    """``flask --app wsgi ARGS``, which must succeed; its output."""
    result = flask_run(environment, *args)
    if result.returncode != 0:
        raise AssertionError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout + result.stderr


@dataclass
class AppServer:
    name: str
    url: str
    process: Process


def celery_worker(stack: Stack, environment: Mapping[str, str], name: str) -> Process:
    """``celery -A training.jobs.worker:celery worker`` as the README's aula-worker unit
    runs it (one process), with the app servers' environment; returns once it is ready to
    take tasks."""
    worker = stack.start(
        name,
        [
            str(BIN / "celery"), "-A", "training.jobs.worker:celery", "worker",
            "--concurrency", "1", "--hostname", f"{name}@%h", "--without-mingle",
            "--without-gossip", "--loglevel", "INFO",
        ],
        environment,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not worker.alive():
            pytest.fail(f"the Celery worker {name} stopped:\n{worker.tail()}")
        if " ready." in worker.output():
            return worker
        time.sleep(0.1)
    pytest.fail(f"the Celery worker {name} did not start:\n{worker.tail()}")


def app_servers(stack: Stack, environment: Mapping[str, str], *names: str) -> list[AppServer]:
    """One ``gunicorn -c deploy/gunicorn.conf.py 'wsgi:app'`` per name, each on a port of its
    own, started together; returns once every ``/healthz`` answers 200."""
    servers = []
    for name in names:
        port = free_port()
        process = stack.start(
            name,
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            {**environment, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        )
        servers.append(AppServer(name, f"http://127.0.0.1:{port}", process))
    for server in servers:
        wait_until_healthy(server)
    return servers


def wait_until_healthy(server: AppServer, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not server.process.alive():
            raise AssertionError(f"{server.name} exited:\n{server.process.tail()}")
        try:
            if request("GET", server.url + "/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(
        f"{server.name} is not healthy after {seconds} s:\n{server.process.tail()}"
    )


# --- HAProxy ----------------------------------------------------------------------------

# Health checks every second; two failures in a row take a server out of the rotation.
CHECK_INTERVAL = 1.0
CHECK_FALL = 2

HAPROXY_CONFIG = """\
global
    stats socket {socket} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A connection refused (a server just killed) is tried again on another server.
    retries 2
    option redispatch 1

frontend web
    bind 127.0.0.1:{port}
    option forwardfor
    default_backend app

backend app
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    http-response set-header X-Served-By %s
    default-server check inter {inter}ms fall {fall} rise 2
{servers}
"""


@dataclass
class Balancer:
    url: str
    socket: Path
    process: Process

    def states(self) -> dict[str, str]:
        """Each server's state as HAProxy sees it (UP, DOWN, ...), from its stats socket."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(self.socket))
            conn.sendall(b"show stat\n")
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        lines = data.decode().lstrip("# ").splitlines()
        header = lines[0].split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            row["svname"]: row["status"]
            for row in rows
            if row["pxname"] == "app" and row["svname"] not in ("BACKEND", "FRONTEND")
        }


def balancer(stack: Stack, servers: list[AppServer]) -> Balancer:
    """HAProxy in front of ``servers``: round robin, no stickiness, health checks on
    ``/healthz``; every response says which server answered (``X-Served-By``)."""
    program = require_program("haproxy", "haproxy")
    port = free_port()
    stats = stack.folder / "haproxy.sock"
    config = stack.folder / "haproxy.cfg"
    config.write_text(
        HAPROXY_CONFIG.format(
            socket=stats,
            port=port,
            inter=int(CHECK_INTERVAL * 1000),
            fall=CHECK_FALL,
            servers="\n".join(f"    server {s.name} {urlsplit(s.url).netloc}" for s in servers),
        ),
        encoding="utf-8",
    )
    process = stack.start("haproxy", [program, "-db", "-f", str(config)], os.environ)
    wait_for_port(port, process.popen)
    front = Balancer(f"http://127.0.0.1:{port}", stats, process)
    deadline = time.monotonic() + 10
    while set(front.states().values()) != {"UP"}:
        assert time.monotonic() < deadline, (front.states(), process.tail())
        time.sleep(0.1)
    return front


# --- HTTP -------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def served_by(self) -> str | None:
        return self.headers.get("X-Served-By")


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Response:
    """One request on a connection of its own; redirects are returned, not followed."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path or "/", body=body, headers=dict(headers or {}))
        answer = conn.getresponse()
        return Response(answer.status, answer.headers, answer.read())
    finally:
        conn.close()


CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@dataclass
class Browser:
    """Cookies kept by hand and sent to whichever server the test names: production
    cookies are ``Secure``, which an HTTP client would keep to HTTPS."""

    cookies: dict[str, str] = field(default_factory=dict)

    def send(
        self,
        method: str,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        sent = dict(headers or {})
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = request(method, url, body=body, headers=sent)
        for header in response.headers.get_all("Set-Cookie") or []:
            pair, _sep, attributes = header.partition(";")
            name, _eq, value = pair.strip().partition("=")
            if not value or "max-age=0" in attributes.lower().replace(" ", ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def csrf_token(self, url: str) -> str:
        page = self.send("GET", url)
        match = CSRF.search(page.text)
        assert match, f"no CSRF token on {url} ({page.status})"
        return match.group(1)

    def sign_in(self, server: str, email: str, password: str, *, form_from: str = "") -> Response:
        """The sign-in form, fetched from ``form_from`` (default: the same server) and
        posted to ``server``."""
        token = self.csrf_token((form_from or server) + "/login")
        return self.send(
            "POST",
            server + "/login",
            form={"email": email, "password": password, "csrf_token": token},
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
