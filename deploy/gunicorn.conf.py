"""gunicorn settings for Aula Consular: ``gunicorn -c deploy/gunicorn.conf.py 'wsgi:app'``.

Every setting can be overridden from the environment (the names below), so one file
serves every host. Worker class and count were chosen with ``bench/learning.py
--compare-workers`` on a 2-core machine (see the README's Performance section).
"""

import glob
import os
import shutil
import tempfile

# Where to listen: GUNICORN_BIND (e.g. "0.0.0.0:8000" or "unix:/run/aula.sock"), else PORT.
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Worker processes and threads. Measured on 2 cores with PostgreSQL: see the README.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "2"))

# A worker whose main loop is silent for this long is killed and replaced. With gthread
# workers the main loop keeps beating while a long request (a large export, a certificate
# ZIP) runs in its thread; with GUNICORN_WORKER_CLASS=sync, raise it above the longest
# export or those requests are cut off.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Keep-alive behind a load balancer that reuses connections.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Recycle workers now and then so that slow leaks cannot grow; the jitter keeps them
# from restarting all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))

# Load the application once in the master and fork it: workers start faster and share
# memory. Nothing opens a database connection at import (the pool connects lazily).
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in ("1", "true", "yes")

# gunicorn's control interface (a Unix socket) is off unless GUNICORN_CONTROL_SOCKET
# names one: its default path is the same for every server on a host, so a second server
# would take over the first one's socket.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
control_socket_disable = not _control_socket
if _control_socket:
    control_socket = _control_socket

# Access log off by default (the load balancer logs requests); set GUNICORN_ACCESS_LOG=-
# for stdout. Errors go to stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Prometheus metrics (/metrics, when METRICS_TOKEN or METRICS_ALLOWED_NETWORKS is set): the
# workers write their figures to files in PROMETHEUS_MULTIPROC_DIR and whichever worker
# answers a scrape adds them all up. The folder must be set before the application is
# imported (here, before preloading) and be empty when the server starts: figures of a
# previous run would be added to this one's. The systemd unit puts it under /run; without
# it a temporary folder is made and removed on exit.
_metrics_wanted = bool(
    os.environ.get("METRICS_TOKEN", "").strip()
    or os.environ.get("METRICS_ALLOWED_NETWORKS", "").strip()
)
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
if _metrics_wanted and not _metrics_dir:
    _metrics_dir = tempfile.mkdtemp(prefix="aula-metrics-")
    os.environ["AULA_METRICS_DIR_OWNED"] = _metrics_dir
if _metrics_dir and os.environ.get("AULA_METRICS_DIR_CLEARED") != _metrics_dir:
    # Only once per master process: gunicorn reads this file again on SIGHUP, while the
    # workers' files are in use.
    os.makedirs(_metrics_dir, exist_ok=True)
    for _stale in glob.glob(os.path.join(_metrics_dir, "*.db")):
        os.remove(_stale)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir
    os.environ["AULA_METRICS_DIR_CLEARED"] = _metrics_dir


def child_exit(server, worker):
    # A worker that exits (recycled, killed) stops counting in the gauges summed over
    # live workers; its counters stay in the totals.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    owned = os.environ.get("AULA_METRICS_DIR_OWNED")
    if owned:
        shutil.rmtree(owned, ignore_errors=True)
