"""Fetching registered URLs to see whether they still answer (``flask links check``),
and recording each result in the course's check history (:func:`check_links`).

Only ``http`` and ``https`` are ever fetched (the opener has no ``file:``, ``ftp:`` or
``data:`` handlers); redirects are followed; nothing of the body is kept.

Course URLs are typed by coordinators, and the server fetches them: so that nobody can
use the check to probe the server's own network, every connection (redirects included)
goes only to public addresses, checked on the address actually connected to, after name
resolution. ``LINK_CHECK_PRIVATE_ADDRESSES`` lifts this for a course on an intranet.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from training.database import utcnow
from training.extensions import db
from training.links.models import ExternalCourse, ExternalLinkCheck

USER_AGENT = "AulaConsular-LinkCheck/1.0"
ERROR_MAX = 300


@dataclass(frozen=True)
class FetchResult:
    """The final status code (None when there was no answer) and what went wrong."""

    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 400


class AddressNotAllowed(OSError):
    """The name resolves only to addresses the check may not reach."""


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(address: str) -> bool:
    """A global address, and so is any IPv4 address it carries (IPv4-mapped, NAT64,
    6to4, Teredo), since those reach the IPv4 network behind them."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not ip.is_global:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        carried = [ip.ipv4_mapped, ip.sixtofour]
        if ip.teredo:
            carried.append(ip.teredo[1])
        if ip in NAT64:
            carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return all(inner.is_global for inner in carried if inner is not None)
    return True


def public_connection(
    address: tuple[str, int], timeout: Any = None, source_address: Any = None, **extra: Any
) -> socket.socket:
    """``socket.create_connection`` that connects only to public addresses."""
    host, port = address
    last: OSError = AddressNotAllowed("address not allowed")
    for family, kind, proto, _name, target in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        if not is_public(str(target[0])):
            continue
        sock = None
        try:
            sock = socket.socket(family, kind, proto)
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(target)
            return sock
        except OSError as error:
            if sock is not None:
                sock.close()
            last = error
    raise last


class _PublicHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # http.client opens every socket through this attribute (HTTPS wraps it in TLS).
        self._create_connection = public_connection


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = public_connection


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PublicHTTPSConnection, req)


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPHandler() if allow_private else _PublicHTTPHandler(),
        urllib.request.HTTPSHandler() if allow_private else _PublicHTTPSHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.HTTPDefaultErrorHandler(),
    ):
        opener.add_handler(handler)
    return opener


def _request(url: str, method: str, timeout: float, allow_private: bool) -> int:
    request = urllib.request.Request(  # noqa: S310 - fetch_status admits http(s) only
        url, method=method, headers={"User-Agent": USER_AGENT, "Accept": "*/*"}
    )
    try:
        with _opener(allow_private).open(request, timeout=timeout) as response:
            if method == "GET":
                response.read(1024)
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def _cause(error: BaseException) -> BaseException:
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        return error.reason
    return error


def _describe(error: BaseException) -> str:
    cause = _cause(error)
    if isinstance(cause, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, socket.gaierror):
        return "name not resolved"
    if isinstance(cause, AddressNotAllowed):
        return "address not allowed"
    return f"{type(cause).__name__}: {cause}"[:ERROR_MAX]


def _network_failure(error: BaseException) -> bool:
    """Nothing answered at all (no point asking again with GET)."""
    cause = _cause(error)
    return isinstance(cause, OSError) and not isinstance(cause, http.client.HTTPException)


def fetch_status(url: str, timeout: float, *, allow_private: bool = False) -> FetchResult:
    """HEAD the URL, then GET when HEAD gets an error status or a broken answer (many
    servers do not implement HEAD). Network failures (timeout, refused connection,
    unknown host, an address not allowed) are not retried. Only public addresses are
    reached unless ``allow_private``."""
    if urlsplit(url).scheme not in {"http", "https"}:
        return FetchResult(None, "unsupported scheme")
    result = FetchResult(None, "no answer")
    for method in ("HEAD", "GET"):
        try:
            status = _request(url, method, timeout, allow_private)
        except (OSError, http.client.HTTPException, ValueError) as error:
            result = FetchResult(None, _describe(error))
            if _network_failure(error):
                return result
            continue
        result = FetchResult(status, None)
        if status < 400:
            return result
    return result


def check_links(*, timeout: float | None = None) -> list[tuple[ExternalCourse, ExternalLinkCheck]]:
    """Fetch the URL of every active course (a few at a time) and record each result in
    the course's check history; returns the courses with their new checks (flushes).
    Only public addresses are fetched unless ``LINK_CHECK_PRIVATE_ADDRESSES`` is set."""
    timeout = float(timeout or current_app.config["LINK_CHECK_TIMEOUT"])
    allow_private = bool(current_app.config["LINK_CHECK_PRIVATE_ADDRESSES"])
    courses = list(
        db.session.scalars(
            select(ExternalCourse)
            .where(ExternalCourse.active.is_(True))
            .order_by(ExternalCourse.id)
        )
    )
    if not courses:
        return []
    urls = [course.url for course in courses]
    with ThreadPoolExecutor(max_workers=min(8, len(urls))) as pool:
        results = list(
            pool.map(lambda url: fetch_status(url, timeout, allow_private=allow_private), urls)
        )
    checked = []
    now = utcnow()
    for course, result in zip(courses, results, strict=True):
        check = ExternalLinkCheck(
            course_id=course.id,
            url=course.url,
            checked_at=now,
            status_code=result.status_code,
            error=(result.error or "")[:ERROR_MAX] or None,
            ok=result.ok,
        )
        db.session.add(check)
        checked.append((course, check))
    db.session.flush()
    return checked
