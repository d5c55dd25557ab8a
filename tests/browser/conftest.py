"""Browser tests: Playwright drives Debian's Chromium against a live server.

* ``live_server`` serves this test's ``app`` (and so its fresh database) on 127.0.0.1,
  on a free port, from a background thread; it is stopped and its port released when
  the test ends. Data that a test creates with the factories (which commit) is what the
  server sees.
* ``page`` is a new tab in a new browser context (no cookies, no cache) whose
  ``base_url`` is the live server, so tests write ``page.goto("/login")``. Override
  ``browser_context_args`` in a module to change the context's options.
* When a test that uses ``page`` fails, a full-page screenshot (and the page's HTML) is
  saved under ``test-artifacts/`` and its path printed.
* The browser is started once per session. When it cannot start, every browser test
  fails (never skips): ``make browser-deps`` installs what these tests need.

``tests/browser/axe.py`` checks a page with axe-core.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = "test-artifacts"

server_log = logging.getLogger("tests.browser.server")


# --- Live server ------------------------------------------------------------------------


def _log(type: str, message: str, *args: Any) -> None:
    """Werkzeug's own log lines (and tracebacks), into pytest's log capture."""
    server_log.log(logging.ERROR if type == "error" else logging.INFO, message, *args)


class _RequestHandler(WSGIRequestHandler):
    """One request per connection (HTTP/1.0), so that no thread waits on an idle
    keep-alive connection when the server stops; logs go to pytest's log capture, and
    every 5xx answer is remembered so that the test fails."""

    protocol_version = "HTTP/1.0"
    timeout = 10  # a connection the browser opened but never used ends in 10 s at most

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = int(code) if str(code).isdigit() else 0
        if status >= 500:
            self.server.server_errors.append(f"{self.command} {self.path} -> {status}")  # type: ignore[attr-defined]
        server_log.info("%s %s %s", self.command, self.path, code)

    def log(self, type: str, message: str, *args: Any) -> None:
        _log(type, message, *args)


@dataclass
class LiveServer:
    """The address of the running server, and the 5xx answers it gave (the test fails
    at teardown when there is any; a test that expects one clears ``errors``)."""

    base_url: str
    server: BaseWSGIServer
    thread: threading.Thread
    errors: list[str] = field(default_factory=list)

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def stop(self) -> None:
        self.server.shutdown()  # the serve_forever loop ends
        self.server.server_close()  # the port is released; request threads are joined
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the live server thread did not stop"


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """Serve this test's app on 127.0.0.1, on a port the system chooses."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_RequestHandler)
    server.daemon_threads = False  # so that server_close() waits for request threads
    errors: list[str] = []
    server.server_errors = errors  # type: ignore[attr-defined]
    server.log = _log  # type: ignore[method-assign]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server"
    )
    thread.start()
    live = LiveServer(f"http://127.0.0.1:{server.server_port}", server, thread, errors)
    try:
        yield live
    finally:
        live.stop()
    if errors:
        pytest.fail("the live server answered with a server error: " + "; ".join(errors))


# --- Browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    manager = sync_playwright()
    instance = manager.start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, started once. Fails (never skips) when it cannot start."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    try:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as error:
        pytest.fail(f"Chromium at {CHROMIUM} could not start: {error}")
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def browser_context_args(live_server: LiveServer) -> dict[str, Any]:
    """Options of the test's browser context; override in a module to change them.

    The app's Content-Security-Policy stays on: axe-core is served from the site's own
    origin (see ``context``), and any CSP violation fails the test (see ``page``).
    """
    return {
        "base_url": live_server.base_url,
        "locale": "es-ES",
        "viewport": {"width": 1280, "height": 800},
    }


@pytest.fixture
def context(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[BrowserContext]:
    from tests.browser.axe import AXE_JS, AXE_PATH

    instance = browser.new_context(**browser_context_args)
    instance.set_default_timeout(10_000)
    # axe-core answers from the site's own origin, so that script-src 'self' admits it.
    instance.route(
        f"**{AXE_PATH}",
        lambda route: route.fulfill(path=AXE_JS, content_type="application/javascript"),
    )
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """What the browser reported as Content-Security-Policy violations on ``page``."""
    return []


@pytest.fixture
def page(context: BrowserContext, csp_violations: list[str]) -> Iterator[Page]:
    """A page whose Content-Security-Policy violations fail the test."""
    instance = context.new_page()
    violations = csp_violations

    def watch(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    instance.on("console", watch)
    yield instance
    assert not violations, f"Content-Security-Policy violations: {violations}"


# --- Screenshots of failures ------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium (tests/browser)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _save_page(item: pytest.Item, page: Page) -> tuple[Path, Path]:
    folder = item.config.rootpath / ARTIFACTS
    folder.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", item.nodeid).strip("_")
    screenshot = folder / f"{stem}.png"
    page.screenshot(path=screenshot, full_page=True)
    html = folder / f"{stem}.html"
    html.write_text(page.content(), encoding="utf-8")
    return screenshot, html


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when != "call" or not report.failed:
        return report
    page = getattr(item, "funcargs", {}).get("page")
    if not isinstance(page, Page) or page.is_closed():
        return report
    try:
        screenshot, html = _save_page(item, page)
        message = f"screenshot: {screenshot}\npage HTML: {html}\nlast URL: {page.url}"
    except Exception as error:  # the failure itself matters more than its picture
        message = f"no screenshot: {error}"
    report.sections.append(("browser", message))
    reporter = item.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(f"{item.nodeid}: {message.splitlines()[0]}")
    return report
