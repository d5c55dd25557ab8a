"""PostgreSQL restarted, and stopped then started, under traffic on gunicorn.

The test runs a PostgreSQL cluster of its own (initdb into a temporary folder, on a free
port; never the machine's server), migrates it, serves the application with the
project's gunicorn configuration and sends requests from several threads: the learner
API with a bearer token, a signed-in page and /healthz. While the database restarts or
is away every answer is a 200 or a 503 with Retry-After (never a 500, never a dropped
connection), and within 5 s of the database accepting connections again every answer is
a 200. Restarted while no request runs, it goes unnoticed: every answer after it is a
200 (the pool tests each connection before use). It needs PostgreSQL's server binaries
(Debian's postgresql package) and fails without them.
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from flask_migrate import upgrade

from tests.conftest import PASSWORD, _settings
from tests.processes import child_environment, free_port
from tests.processes import gunicorn as gunicorn_server
from training import create_app
from training.extensions import db

RECOVERY_SECONDS = 5
# Flask-Login ties a session to the browser's User-Agent: every request sends this one.
AGENT = "restart-test"


def _server_binaries() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if not found:
        pytest.fail(
            "PostgreSQL's initdb is missing (/usr/lib/postgresql/*/bin): install Debian's "
            "postgresql package; this test runs a cluster of its own",
            pytrace=False,
        )
    return Path(found[-1]).parent


class Cluster:
    """A throw-away PostgreSQL cluster, run as the ``postgres`` user when we are root."""

    def __init__(self) -> None:
        self.bin = _server_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="aula-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        else:
            self.prefix = []

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.prefix, *args], check=True, capture_output=True, timeout=60, cwd=self.root
        )

    def create(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        settings = (
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.root}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        )
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(settings)
        self.start()

    def pg_ctl(self, *args: str) -> None:
        log = str(self.root / "server.log")
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", log, "-w", "-t", "30", *args
        )

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        subprocess.run(
            [
                *self.prefix,
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "stop",
                "-m",
                "immediate",
            ],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Answer:
    path: str
    started: float
    ended: float = 0.0
    status: int | None = None
    retry_after: str | None = None
    body: str = ""
    error: str | None = None


@dataclass
class Traffic:
    port: int
    token: str
    cookie: str
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    paused: threading.Event = field(default_factory=threading.Event)

    def request(self, path: str, headers: dict[str, str]) -> Answer:
        # A new connection per request: a reset can only be the server's doing.
        answer = Answer(path, time.monotonic())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.request(
                "GET", path, headers={**headers, "User-Agent": AGENT, "Connection": "close"}
            )
            response = connection.getresponse()
            answer.body = response.read().decode("utf-8", "replace")
            answer.status = response.status
            answer.retry_after = response.getheader("Retry-After")
        except OSError as error:
            answer.error = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
            answer.ended = time.monotonic()
        return answer

    def run(self) -> None:
        api = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        page = {"Cookie": self.cookie, "Accept": "text/html"}
        rounds = [
            ("/api/v1/me", api),
            ("/api/v1/modules", api),
            ("/", page),
            ("/api/v1/me/progress", api),
            ("/healthz", {}),
        ]
        while not self.stop.is_set():
            for path, headers in rounds:
                if self.paused.is_set():
                    time.sleep(0.05)
                    break
                self.answers.append(self.request(path, headers))

    def since(self, moment: float) -> list[Answer]:
        return [a for a in list(self.answers) if a.started >= moment]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    server = Cluster()
    try:
        server.create()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def learner_token(cluster: Cluster) -> tuple[str, str]:
    """Migrate the cluster and create a learner: (e-mail, bearer token)."""
    from tests.factories import create_user
    from training.ministries.services import seed_ministries

    app = create_app(_settings(cluster.url))
    with app.app_context():
        upgrade()
        seed_ministries()
        db.session.commit()
        user = create_user(roles=["learner"], ministry="GT")
        email = user.email
        response = app.test_client().post(
            "/api/v1/auth/tokens", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        token = str(response.get_json()["token"])
        db.session.remove()
        db.engine.dispose()
    return email, token


@pytest.fixture(scope="module")
def gunicorn(cluster: Cluster, learner_token: tuple[str, str]) -> Iterator[tuple[int, Path]]:
    log = cluster.root / "gunicorn.log"
    environ = child_environment(
        TRAINING_ENV="development",
        SECRET_KEY="restart-test-" + "k" * 40,
        DATABASE_URL=cluster.url,
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
    )
    with gunicorn_server(environ, log) as port:
        yield port, log


def _signed_in_cookie(port: int, email: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/login", timeout=10).read().decode()
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match
    form = urllib.parse.urlencode(
        {"email": email, "password": PASSWORD, "csrf_token": match.group(1)}
    ).encode()
    landing = opener.open(f"{base}/login", data=form, timeout=10)
    assert landing.status == 200 and "/login" not in landing.url, landing.url
    cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    home = Traffic(port, "", cookie).request("/", {"Cookie": cookie})
    assert home.status == 200, (cookie, home.status, home.body[:300])
    return cookie


def _describe(answers: list[Answer]) -> str:
    return "\n".join(f"{a.path} {a.status} {a.error or ''} {a.body[:120]!r}" for a in answers[:10])


def test_restarting_postgresql_under_traffic_gives_only_200_and_503(
    cluster: Cluster, gunicorn: tuple[int, Path], learner_token: tuple[str, str]
) -> None:
    port, log = gunicorn
    email, token = learner_token
    traffic = Traffic(port, token, _signed_in_cookie(port, email))
    threads = [threading.Thread(target=traffic.run, daemon=True) for _ in range(4)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        restarting = time.monotonic()
        cluster.restart()  # fast shutdown: running queries end with AdminShutdown
        back_after_restart = time.monotonic()
        time.sleep(RECOVERY_SECONDS + 1.5)

        stopped = time.monotonic()
        cluster.stop()
        time.sleep(3)
        down = traffic.since(stopped)
        cluster.start()
        back_after_stop = time.monotonic()
        time.sleep(RECOVERY_SECONDS + 1.5)
        finished = time.monotonic()

        # A restart while nobody asks: the pooled connections are all dead, and the next
        # requests are served anyway (each connection is tested before use).
        traffic.paused.set()
        time.sleep(1)
        cluster.restart()
        resumed = time.monotonic()
        traffic.paused.clear()
        time.sleep(2)
    finally:
        traffic.stop.set()
        for thread in threads:
            thread.join(30)

    answers = traffic.answers
    assert len(answers) > 100
    broken = [a for a in answers if a.error or a.status not in (200, 503)]
    assert broken == [], _describe(broken)
    warm = [a for a in answers if a.ended < restarting]
    assert warm and {a.status for a in warm} == {200}, _describe(warm)

    unavailable = [a for a in answers if a.status == 503]
    assert [a for a in down if a.status == 503], "no 503 while PostgreSQL was stopped"
    assert all(a.retry_after and 1 <= int(a.retry_after) <= 30 for a in unavailable)
    for answer in unavailable:
        if answer.path.startswith("/api/") or answer.path == "/healthz":
            body = json.loads(answer.body)
            assert body.get("code") == "database_unavailable" or body.get("database") == (
                "unreachable"
            ), answer.body[:200]
        else:
            assert "503" in answer.body and "Traceback" not in answer.body

    # Every request made from 5 s after the database accepted connections again (until
    # the next disruption) was served.
    for back, until in ((back_after_restart, stopped), (back_after_stop, finished)):
        later = [a for a in answers if a.started >= back + RECOVERY_SECONDS and a.ended < until]
        assert len(later) >= 10
        late = [(round(a.started - back, 2), a.path, a.status) for a in later if a.status != 200]
        assert late == []

    after_idle_restart = [a for a in answers if a.started >= resumed]
    assert len(after_idle_restart) >= 10
    assert {a.status for a in after_idle_restart} == {200}, _describe(
        [a for a in after_idle_restart if a.status != 200]
    )

    phases = (
        ("restart", began, back_after_restart, stopped),
        ("stop, 3 s, start", stopped, back_after_stop, finished),
    )
    for name, start, back, until in phases:
        phase = [a for a in answers if start <= a.started and a.ended < until]
        last = max((a.ended - back for a in phase if a.status != 200), default=None)
        outcome = "no 503" if last is None else f"the last 503 ended {last:+.2f} s after"
        print(f"{name}: {len(phase)} answers, {sum(a.status == 503 for a in phase)} 503; {outcome}")

    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log and "Unhandled error" not in server_log
    assert "Database unavailable" in server_log
