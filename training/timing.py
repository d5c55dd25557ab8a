"""``Server-Timing`` on every response: how long the application took, for benchmarks
and for operators reading their browser's network panel."""

from __future__ import annotations

import time

from flask import Flask, g
from werkzeug.wrappers import Response


def _start() -> None:
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is not None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.2f}"
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
