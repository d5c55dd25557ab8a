"""Fetching a registered URL to see whether it still answers (``flask links check``).

Only ``http`` and ``https`` are ever fetched (the opener has no ``file:``, ``ftp:`` or
``data:`` handlers); redirects are followed; nothing of the body is kept.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

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


def _opener() -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.HTTPDefaultErrorHandler(),
    ):
        opener.add_handler(handler)
    return opener


def _request(url: str, method: str, timeout: float) -> int:
    request = urllib.request.Request(  # noqa: S310 - fetch_status admits http(s) only
        url, method=method, headers={"User-Agent": USER_AGENT, "Accept": "*/*"}
    )
    try:
        with _opener().open(request, timeout=timeout) as response:
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
    return f"{type(cause).__name__}: {cause}"[:ERROR_MAX]


def _network_failure(error: BaseException) -> bool:
    """Nothing answered at all (no point asking again with GET)."""
    cause = _cause(error)
    return isinstance(cause, OSError) and not isinstance(cause, http.client.HTTPException)


def fetch_status(url: str, timeout: float) -> FetchResult:
    """HEAD the URL, then GET when HEAD gets an error status or a broken answer (many
    servers do not implement HEAD). Network failures (timeout, refused connection,
    unknown host) are not retried."""
    if urlsplit(url).scheme not in {"http", "https"}:
        return FetchResult(None, "unsupported scheme")
    result = FetchResult(None, "no answer")
    for method in ("HEAD", "GET"):
        try:
            status = _request(url, method, timeout)
        except (OSError, http.client.HTTPException, ValueError) as error:
            result = FetchResult(None, _describe(error))
            if _network_failure(error):
                return result
            continue
        result = FetchResult(status, None)
        if status < 400:
            return result
    return result
