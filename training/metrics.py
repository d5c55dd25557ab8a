"""Prometheus metrics for operators at ``/metrics``, by prometheus-flask-exporter.

What is exported:

* ``flask_http_request_duration_seconds`` (histogram; its ``_count`` is the number of
  requests) by method, status and ``url_rule``: the route's pattern
  (``/api/v1/modules/<slug>``), never the path, so that the number of series stays
  bounded; requests that match no route are ``<unmatched>``. ``flask_http_request_total``
  counts them by method and status.
* ``aula_db_pool_size``, ``aula_db_pool_checked_out`` and ``aula_db_pool_overflow``: the
  SQLAlchemy connection pool, read from the pool when a connection is taken or given
  back and when metrics are scraped; under gunicorn, summed over the live workers.
* ``aula_celery_queue_length``: messages waiting in Celery's ``celery`` queue on a Redis
  broker (``CELERY_BROKER_URL``, else ``REDIS_URL``), read when metrics are scraped;
  absent without a broker, NaN when it does not answer.

Who may read them: a request with ``Authorization: Bearer <METRICS_TOKEN>``, or from an
address in ``METRICS_ALLOWED_NETWORKS``. Everyone else gets a 404, as if the page did not
exist; with neither setting the exporter is not even installed.

Under gunicorn the workers share their figures through files in
``PROMETHEUS_MULTIPROC_DIR``, which ``deploy/gunicorn.conf.py`` prepares, and the
exporter's multiprocess variant reads them all at each scrape, whichever worker answers.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Request, abort, current_app, request
from sqlalchemy import event
from sqlalchemy.pool import Pool

from training import dependencies
from training.extensions import db
from training.net import client_address

UNMATCHED = "<unmatched>"


def url_rule(req: Request) -> str:
    """The label of a request: its route's pattern (the function's name is the label's)."""
    return req.url_rule.rule if req.url_rule is not None else UNMATCHED


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), str(token).encode()
        ):
            return True
    networks = current_app.config.get("METRICS_ALLOWED_NETWORKS") or ()
    if networks:
        try:
            address = ipaddress.ip_address(client_address())
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in ipaddress.ip_network(network) for network in networks)
    return False


class _Gauges:
    """The gauges read from the pool and the broker, one set per application."""

    def __init__(self, registry: Any, broker: bool) -> None:
        from prometheus_client import Gauge

        def gauge(name: str, documentation: str, mode: Any) -> Gauge:
            return Gauge(name, documentation, registry=registry, multiprocess_mode=mode)

        self.pool_size = gauge(
            "aula_db_pool_size", "Connections the database pool keeps.", "livesum"
        )
        self.checked_out = gauge(
            "aula_db_pool_checked_out", "Pool connections in use by a request.", "livesum"
        )
        self.overflow = gauge(
            "aula_db_pool_overflow", "Connections open beyond the pool's size.", "livesum"
        )
        self.queue = (
            gauge(
                "aula_celery_queue_length",
                "Messages waiting in Celery's default queue on the broker.",
                "mostrecent",
            )
            if broker
            else None
        )

    def read_pool(self, pool: Pool, returning: int = 0) -> None:
        # Only a queue pool has a size; SQLite in memory, for one, has none.
        if not all(hasattr(pool, name) for name in ("size", "checkedout", "overflow")):
            return
        self.pool_size.set(pool.size())  # type: ignore[attr-defined]
        self.checked_out.set(max(0, pool.checkedout() - returning))  # type: ignore[attr-defined]
        self.overflow.set(max(0, pool.overflow()))  # type: ignore[attr-defined]

    def read_queue(self) -> None:
        if self.queue is not None:
            length = dependencies.queue_length(dependencies.broker_url())
            self.queue.set(float("nan") if length is None else length)


def _guard(gauges: _Gauges) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not _allowed():
                abort(404)
            gauges.read_pool(db.engine.pool)
            gauges.read_queue()
            return view(*args, **kwargs)

        return guarded

    return decorate


def _watch_pool(app: Flask, gauges: _Gauges) -> None:
    with app.app_context():
        pool = db.engine.pool

    def taken(*_: Any) -> None:
        gauges.read_pool(pool)

    def given_back(*_: Any) -> None:
        # The checkin event comes before the connection is back in the pool.
        gauges.read_pool(pool, returning=1)

    event.listen(pool, "checkout", taken)
    event.listen(pool, "checkin", given_back)
    # Not read now: under gunicorn this runs in the master before the workers fork, and
    # the master's figures would be added to theirs.


def init_app(app: Flask) -> None:
    if not app.config.get("METRICS_TOKEN") and not app.config.get("METRICS_ALLOWED_NETWORKS"):
        return
    from prometheus_client import CollectorRegistry

    # A registry per application (the tests build many); under gunicorn the exporter adds
    # the collector that reads every worker's files.
    registry = CollectorRegistry()
    broker = bool(app.config.get("CELERY_BROKER_URL") or app.config.get("REDIS_URL"))
    gauges = _Gauges(registry, broker)
    options: dict[str, Any] = {
        "registry": registry,
        "group_by": url_rule,
        "metrics_decorator": _guard(gauges),
    }
    exporter: Any
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        exporter = GunicornInternalPrometheusMetrics.for_app_factory(path="/metrics", **options)
    else:
        from prometheus_flask_exporter import PrometheusMetrics

        exporter = PrometheusMetrics.for_app_factory(path="/metrics", **options)
    exporter.init_app(app)
    _watch_pool(app, gauges)
    app.extensions["training.metrics"] = exporter
