"""``flask links check`` against a local web server (never the internet), and the demo's
IOM course."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.helpers import fresh, row_counts
from training.database import utcnow
from training.extensions import db
from training.links import checker, courses
from training.links.models import ExternalCourse, ExternalCourseCredit, ExternalLinkCheck


class Handler(BaseHTTPRequestHandler):
    """/ok 200; /missing 404; /no-head 405 to HEAD but 200 to GET; /moved 301 to /ok;
    /slow answers after 1.5 s."""

    requests: list[str] = []

    def _answer(self, body: bool) -> None:
        type(self).requests.append(f"{self.command} {self.path}")
        if self.path == "/slow":
            time.sleep(1.5)
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = {"/ok": 200, "/slow": 200, "/missing": 404}.get(self.path, 404)
        if self.path == "/no-head":
            status = 405 if self.command == "HEAD" else 200
        payload = b"<html>curso</html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(autouse=True)
def intranet(app: Any) -> None:
    """The test site is on 127.0.0.1: these checks may reach private addresses (the
    default refuses them; see the test of the guard below)."""
    app.config["LINK_CHECK_PRIVATE_ADDRESSES"] = True


@pytest.fixture
def site() -> Iterator[str]:
    """A web server on 127.0.0.1, on a port the system chooses."""
    Handler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def closed_port() -> int:
    """A port nobody listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def add_course(url: str, title: str, *, ministry_id: int | None = None) -> ExternalCourse:
    """Straight into the database: registration only takes https, the test server is http."""
    course = ExternalCourse(
        provider="Prueba",
        title={"es": title},
        description={},
        url=url,
        language="es",
        active=True,
        ministry_id=ministry_id,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    db.session.add(course)
    db.session.commit()
    return course


def checks() -> dict[str, list[ExternalLinkCheck]]:
    fresh()
    found: dict[str, list[ExternalLinkCheck]] = {}
    for check in db.session.scalars(db.select(ExternalLinkCheck).order_by(ExternalLinkCheck.id)):
        found.setdefault(check.url, []).append(check)
    return found


def test_links_check_records_the_status_of_every_active_course(
    app: Any, runner: Any, ministries: Any, site: str, closed_port: int
) -> None:
    app.config["LINK_CHECK_TIMEOUT"] = 0.3
    urls = {
        "ok": f"{site}/ok",
        "missing": f"{site}/missing",
        "no-head": f"{site}/no-head",
        "moved": f"{site}/moved",
        "slow": f"{site}/slow",
        "refused": f"http://127.0.0.1:{closed_port}/",
        "file": "file:///etc/passwd",
    }
    for name, url in urls.items():
        add_course(url, name)
    withdrawn = add_course(f"{site}/withdrawn", "retirado")
    withdrawn.active = False
    db.session.commit()

    result = runner.invoke(args=["links", "check"])

    assert result.exit_code == 0, result.output
    assert "7 links checked, 4 broken." in result.output
    found = checks()
    summary = {
        name: (found[url][0].ok, found[url][0].status_code, found[url][0].error)
        for name, url in urls.items()
    }
    assert summary == {
        "ok": (True, 200, None),
        "missing": (False, 404, None),
        "no-head": (True, 200, None),
        "moved": (True, 200, None),
        "slow": (False, None, "timeout"),
        "refused": (False, None, "connection refused"),
        "file": (False, None, "unsupported scheme"),
    }
    assert f"{site}/withdrawn" not in found
    # HEAD first; GET only when HEAD is answered with an error (or after a redirect).
    assert {"HEAD /ok", "HEAD /no-head", "GET /no-head", "HEAD /missing", "GET /missing"} <= set(
        Handler.requests
    )
    assert Handler.requests.count("GET /ok") == 1  # /moved's target; /ok itself: HEAD only


def test_each_run_adds_to_the_history(app: Any, runner: Any, ministries: Any, site: str) -> None:
    add_course(f"{site}/ok", "ok")

    for _ in range(2):
        assert runner.invoke(args=["links", "check", "--timeout", "2"]).exit_code == 0

    [history] = checks().values()
    assert [check.ok for check in history] == [True, True]
    assert history[0].checked_at <= history[1].checked_at


def test_links_check_with_nothing_registered(runner: Any, ministries: Any) -> None:
    result = runner.invoke(args=["links", "check"])

    assert result.exit_code == 0
    assert "0 links checked, 0 broken." in result.output


def test_broken_links_are_flagged_on_the_coordinators_pages(
    app: Any, runner: Any, client: Any, logged_in: Any, gt_coordinator: Any, site: str
) -> None:
    ministry = gt_coordinator.ministry_id
    good = add_course(f"{site}/ok", "Curso que funciona", ministry_id=ministry)
    bad = add_course(f"{site}/missing", "Curso con enlace roto", ministry_id=ministry)
    assert runner.invoke(args=["links", "check"]).exit_code == 0
    logged_in(gt_coordinator)

    registry = client.get("/coordination/external-courses").get_data(as_text=True)
    history = client.get(f"/coordination/external-courses/{bad.id}/checks").get_data(as_text=True)

    assert "1 enlace roto" in registry
    row_of_bad = registry.split(f'id="course-{bad.id}"', 1)[1].split("</tr>", 1)[0]
    row_of_good = registry.split(f'id="course-{good.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Enlace roto" in row_of_bad and "404" in row_of_bad
    assert "Enlace correcto" in row_of_good
    assert "La última comprobación falló" in history and "404" in history


# --- The guard against probing the server's own network ------------------------------


def test_by_default_the_check_reaches_no_private_address(
    app: Any, runner: Any, ministries: Any, site: str
) -> None:
    app.config["LINK_CHECK_PRIVATE_ADDRESSES"] = False
    port = site.rsplit(":", 1)[1]
    urls = [
        f"{site}/ok",
        f"http://localhost:{port}/ok",
        f"http://[::1]:{port}/ok",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.20.30.40/intranet",
        "https://192.168.1.1/",
        "http://0.0.0.0/",
    ]
    for number, url in enumerate(urls):
        add_course(url, f"interno {number}")

    result = runner.invoke(args=["links", "check"])

    assert result.exit_code == 0, result.output
    assert f"{len(urls)} links checked, {len(urls)} broken." in result.output
    found = checks()
    assert {url: (found[url][0].status_code, found[url][0].error) for url in urls} == dict.fromkeys(
        urls, (None, "address not allowed")
    )
    assert Handler.requests == []  # nothing reached the local site


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("64:ff9b::808:808", True),  # NAT64 of a public IPv4 address
        ("10.0.0.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
    ],
)
def test_which_addresses_count_as_public(address: str, public: bool) -> None:
    assert checker.is_public(address) is public


# --- Demo -------------------------------------------------------------------------------


def test_the_demo_registers_iom_s_virtual_course_once(runner: Any) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    before = row_counts()

    assert runner.invoke(args=["demo"]).exit_code == 0

    assert row_counts() == before
    fresh()
    course = db.session.scalars(db.select(ExternalCourse)).one()
    assert course.ministry_id is None
    assert course.provider == "OIM / IOM"
    assert course.url == "https://www.ecampus.iom.int/"
    assert set(course.title) == {"es", "en", "fr"}
    assert courses.safe_target(course.url) == course.url
    credits = db.session.scalars(db.select(ExternalCourseCredit)).all()
    assert [credit.course_id for credit in credits] == [course.id]
