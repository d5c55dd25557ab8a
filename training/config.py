"""Settings read from environment variables, with safe defaults.

Every variable is documented in the README. ``load_settings`` is pure: it takes the
environment as a mapping and the instance folder, and returns a dict for
``app.config.from_mapping``; the only side effect is creating the development secret
key file the first time it is needed.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "production", "testing")
LANGUAGES = ("es", "en", "fr")


class ConfigurationError(RuntimeError):
    """The environment does not allow the application to start safely."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _number(
    environ: Mapping[str, str],
    name: str,
    default: float,
    *,
    whole: bool = True,
    minimum: float = 0,
    maximum: float,
) -> Any:
    """The variable ``name`` as a number (whole, or with decimals) between ``minimum``
    and ``maximum``; ``default`` when unset or empty. Anything else stops the start with
    a clear message."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or not minimum <= value <= maximum:
        kind = "a whole number" if whole else "a number"
        raise ConfigurationError(
            f"{name} must be {kind} from {minimum:g} to {maximum:g}, not {raw!r}."
        )
    return value


def _rate(environ: Mapping[str, str], name: str, default: str) -> str:
    """The variable ``name`` as a rate limit such as ``10 per 15 minutes``; ``default``
    when unset or empty. Anything the rate limiter cannot read stops the start."""
    from limits import parse

    raw = environ.get(name, "").strip() or default
    try:
        parse(raw)
    except ValueError:
        raise ConfigurationError(
            f"{name} must be a rate such as '10 per 15 minutes', not {raw!r}."
        ) from None
    return raw


def _networks(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    """The variable ``name`` as comma-separated networks (``10.0.0.0/8, ::1``); a typo
    stops the start rather than open or close a door silently."""
    import ipaddress

    networks = []
    for part in environ.get(name, "").split(","):
        if not part.strip():
            continue
        try:
            networks.append(str(ipaddress.ip_network(part.strip(), strict=False)))
        except ValueError:
            raise ConfigurationError(
                f"{name} must list networks such as '10.0.0.0/8, 127.0.0.1', not {part.strip()!r}."
            ) from None
    return tuple(networks)


def _redis_client_options() -> dict[str, Any]:
    """How the rate limiter talks to Redis: give up within a second on a Redis that is
    down or unreachable, and raise the limits library's StorageError, which the sign-in
    limits catch (training.limiting)."""
    return {"socket_connect_timeout": 1, "socket_timeout": 1, "wrap_exceptions": True}


def _development_secret_key(instance_path: Path) -> str:
    """Return the key kept under ``instance/``, creating it (mode 0600) the first time."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def database_url(environ: Mapping[str, str], instance_path: Path) -> str:
    url = environ.get("DATABASE_URL", "").strip()
    if url:
        # Hosting platforms still hand out the pre-SQLAlchemy-1.4 scheme.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return f"sqlite:///{instance_path / 'aula_consular.sqlite3'}"


def _refuse_unsafe_production(
    environ: Mapping[str, str], secret_key: str, ratelimit_enabled: bool
) -> None:
    """Settings that are fine for a laptop and never for production stop the start."""
    if not ratelimit_enabled:
        raise ConfigurationError(
            "RATELIMIT_ENABLED must not be false when TRAINING_ENV=production: the sign-in, "
            "password-reset and verification limits are what stop guessing and flooding."
        )
    # Unset, it would fall back to SECRET_KEY: the same thing as setting it equal.
    if environ.get("KEY_ENCRYPTION_SECRET", "").strip() in {"", secret_key}:
        raise ConfigurationError(
            "KEY_ENCRYPTION_SECRET must differ from SECRET_KEY when TRAINING_ENV=production "
            "(set it, and back it up): a leaked or rotated SECRET_KEY must not expose or lose "
            "the signing keys."
        )


def load_settings(environ: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Build the Flask configuration from ``environ``."""
    env = environ.get("TRAINING_ENV", "development").strip() or "development"
    if env not in ENVIRONMENTS:
        raise ConfigurationError(
            f"TRAINING_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}"
        )
    production = env == "production"

    secret_key = environ.get("SECRET_KEY", "").strip()
    if not secret_key:
        if production:
            raise ConfigurationError("SECRET_KEY must be set when TRAINING_ENV=production")
        secret_key = (
            secrets.token_urlsafe(32)
            if env == "testing"
            else _development_secret_key(instance_path)
        )
    elif production and len(secret_key) < 32:
        raise ConfigurationError("SECRET_KEY must be at least 32 characters long in production")

    default_language = environ.get("DEFAULT_LANGUAGE", "es").strip() or "es"
    if default_language not in LANGUAGES:
        raise ConfigurationError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")

    # How `content validate` / `content sync` report the item-writing and hours checks by
    # default: "error"; "warn" lets a ministry load draft content while it is written.
    item_checks = environ.get("CONTENT_ITEM_CHECKS", "").strip().lower() or "error"
    if item_checks not in ("error", "warn"):
        raise ConfigurationError("CONTENT_ITEM_CHECKS must be error or warn")

    redis_url = environ.get("REDIS_URL", "").strip() or None
    url = database_url(environ, instance_path)
    # A pooled connection is tested before each use (a restarted server's are dead), and
    # connecting gives up quickly: while the database is away requests get a 503 at once
    # instead of holding a worker thread, and the first request after it returns is served.
    engine_options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        engine_options["connect_args"] = {
            "connect_timeout": _number(
                environ, "DATABASE_CONNECT_TIMEOUT", 3, minimum=1, maximum=60
            )
        }

    key_secret = environ.get("KEY_ENCRYPTION_SECRET", "").strip() or secret_key
    ratelimit_enabled = _flag(environ.get("RATELIMIT_ENABLED"), True)
    if production:
        _refuse_unsafe_production(environ, secret_key, ratelimit_enabled)

    return {
        "TRAINING_ENV": env,
        "TESTING": env == "testing",
        "SECRET_KEY": secret_key,
        # Encrypts the ministries' private signing keys at rest. Defaults to SECRET_KEY;
        # set it separately so that SECRET_KEY can be rotated without losing the keys.
        "KEY_ENCRYPTION_SECRET": key_secret,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "REDIS_URL": redis_url,
        # Background work (training.jobs): Celery's broker, Redis (REDIS_URL) when unset;
        # with neither, embedded mode runs the same tasks in the web or command process.
        # /healthz and /metrics look at it.
        "CELERY_BROKER_URL": environ.get("CELERY_BROKER_URL", "").strip() or redis_url,
        # /metrics (Prometheus) answers only a bearer METRICS_TOKEN or a client in one of
        # METRICS_ALLOWED_NETWORKS; with neither set it does not exist (404).
        "METRICS_TOKEN": environ.get("METRICS_TOKEN", "").strip() or None,
        "METRICS_ALLOWED_NETWORKS": _networks(environ, "METRICS_ALLOWED_NETWORKS"),
        "DEFAULT_LANGUAGE": default_language,
        "BABEL_DEFAULT_LOCALE": default_language,
        "BABEL_TRANSLATION_DIRECTORIES": "translations",
        "LANGUAGES": LANGUAGES,
        # Public address used in e-mails and QR codes (no trailing slash).
        "PUBLIC_BASE_URL": environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "TRUSTED_PROXIES": _number(environ, "TRUSTED_PROXIES", 0, maximum=10),
        # Report figures kept per process while their data is unchanged (reports/cache.py).
        "REPORT_CACHE_ENTRIES": _number(environ, "REPORT_CACHE_ENTRIES", 64, maximum=10000),
        # Sessions and cookies.
        "SESSION_COOKIE_NAME": "aula_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "HSTS_ENABLED": production,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        # Request sizes: pages may upload files; JSON bodies stay small.
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "API_MAX_BODY_BYTES": 256 * 1024,
        "STAFF_IMPORT_MAX_BODY_BYTES": 3 * 1024 * 1024,
        # Accounts.
        # Argon2id cost: RFC 9106's second recommended profile (64 MiB, 3 passes).
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 65536,
        "ARGON2_PARALLELISM": 4,
        "PASSWORD_RESET_MAX_AGE": 3600,
        "INVITATION_MAX_AGE": 7 * 24 * 3600,
        "API_TOKEN_LIFETIME": timedelta(days=30),
        "LOGIN_LIMIT_PER_ACCOUNT": _rate(environ, "LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": _rate(environ, "LOGIN_LIMIT_PER_ADDRESS", "50 per 15 minutes"),
        "LOGIN_SLOWDOWN_PER_ACCOUNT": _rate(environ, "LOGIN_SLOWDOWN_PER_ACCOUNT", "100 per hour"),
        "LOGIN_SLOWDOWN_SECONDS": _number(
            environ, "LOGIN_SLOWDOWN_SECONDS", 1, whole=False, minimum=0, maximum=5
        ),
        "PASSWORD_RESET_LIMIT_PER_ACCOUNT": _rate(
            environ, "PASSWORD_RESET_LIMIT_PER_ACCOUNT", "3 per hour"
        ),
        "VERIFY_RATE_LIMIT": environ.get("VERIFY_RATE_LIMIT", "60 per minute"),
        # The issuers' ZIP of certificate PDFs is rendered in the request: at most this
        # many PDFs per ZIP, and this many ZIPs per user.
        "CERTIFICATE_ZIP_MAX": _number(
            environ, "CERTIFICATE_ZIP_MAX", 200, minimum=1, maximum=2000
        ),
        "CERTIFICATE_ZIP_RATE_LIMIT": environ.get("CERTIFICATE_ZIP_RATE_LIMIT", "5 per 10 minutes"),
        # Above this many PDFs the ZIP is prepared in the background (an export).
        "CERTIFICATE_ZIP_INLINE_MAX": _number(
            environ, "CERTIFICATE_ZIP_INLINE_MAX", 25, minimum=0, maximum=2000
        ),
        # Above this many rows an XLSX completion report is prepared in the background.
        "REPORT_INLINE_MAX_ROWS": _number(
            environ, "REPORT_INLINE_MAX_ROWS", 5000, minimum=0, maximum=10_000_000
        ),
        # Exports prepared in the background are kept here, for this many hours. Workers
        # and web servers must see the same folder.
        "EXPORTS_PATH": environ.get("EXPORTS_PATH", "").strip() or str(instance_path / "exports"),
        "EXPORT_LIFETIME_HOURS": _number(
            environ, "EXPORT_LIFETIME_HOURS", 24, whole=False, minimum=0.1, maximum=24 * 31
        ),
        # Refused requests (another ministry's record, an account above one's rank) are
        # audited, at most this many per user and minute (0: none).
        "AUDIT_DENIALS_PER_MINUTE": _number(
            environ, "AUDIT_DENIALS_PER_MINUTE", 20, minimum=0, maximum=10000
        ),
        # Rate limits are shared between workers through Redis when there is one. When
        # Redis cannot be reached, every limit keeps applying, counted in each process's
        # memory until Redis answers again (README, "When Redis is down").
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": _redis_client_options() if redis_url else {},
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Redis lost in the middle of a request (after its limits were checked, before a
        # failed sign-in is counted): log the error rather than answer 500.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "aula",
        "RATELIMIT_ENABLED": ratelimit_enabled,
        # Mail: SMTP when MAIL_SERVER is set, otherwise the outbox table.
        "MAIL_SERVER": environ.get("MAIL_SERVER", "").strip() or None,
        "MAIL_PORT": _number(environ, "MAIL_PORT", 587, minimum=1, maximum=65535),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME", "").strip() or None,
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag(environ.get("MAIL_USE_TLS"), True),
        "MAIL_USE_SSL": _flag(environ.get("MAIL_USE_SSL"), False),
        "MAIL_SENDER": environ.get("MAIL_SENDER", "Aula Consular <no-reply@localhost>"),
        "MAIL_TIMEOUT": 10,
        # While one worker talks to the mail server about a message, no other sends it;
        # a killed worker's lease ends after this many seconds.
        "MAIL_LEASE_SECONDS": _number(
            environ, "MAIL_LEASE_SECONDS", 120, whole=False, minimum=1, maximum=3600
        ),
        # A task whose worker died is delivered again after this many seconds (Redis
        # transport); it must exceed the longest task (JOBS_TIME_LIMIT).
        "CELERY_VISIBILITY_TIMEOUT": _number(
            environ, "CELERY_VISIBILITY_TIMEOUT", 3600, minimum=10, maximum=7 * 24 * 3600
        ),
        # A task is stopped after this many seconds (a soft limit warns it 30 s before).
        "JOBS_TIME_LIMIT": _number(environ, "JOBS_TIME_LIMIT", 900, minimum=5, maximum=6 * 3600),
        # A failing task is tried again this many times, after 2, 4, 8... seconds (with
        # jitter), never waiting more than JOBS_RETRY_BACKOFF_MAX between tries.
        "JOBS_MAX_RETRIES": _number(environ, "JOBS_MAX_RETRIES", 8, minimum=0, maximum=100),
        "JOBS_RETRY_BACKOFF_MAX": _number(
            environ, "JOBS_RETRY_BACKOFF_MAX", 600, minimum=1, maximum=24 * 3600
        ),
        # OpenAPI (flask-smorest).
        "API_TITLE": "Aula Consular API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "CONTENT_PATH": environ.get("CONTENT_PATH", "content/manual_modules"),
        "CONTENT_ITEM_CHECKS": item_checks,
        # Optional PAdES signatures of certificate PDFs: a folder holding <CODE>.p12, or
        # <CODE>.pem with <CODE>.crt.pem, per ministry (passphrase: PADES_PASSPHRASE_<CODE>).
        "PADES_SIGNERS_DIR": environ.get("PADES_SIGNERS_DIR", "").strip() or None,
        # External courses: completion evidence is stored outside the web root, under
        # EVIDENCE_PATH/<ministry id>/; link checks give up after LINK_CHECK_TIMEOUT s.
        "EVIDENCE_PATH": environ.get("EVIDENCE_PATH", "").strip()
        or str(instance_path / "evidence"),
        "EVIDENCE_MAX_BYTES": _number(
            environ, "EVIDENCE_MAX_BYTES", 5 * 1024 * 1024, minimum=1024, maximum=100 * 1024 * 1024
        ),
        # API endpoints that take a file (evidence, completion lists) accept this much.
        "API_UPLOAD_MAX_BODY_BYTES": 6 * 1024 * 1024,
        # A sign-in lasts at most this long, whatever the browser does with its cookie.
        "SESSION_HOURS": _number(
            environ, "SESSION_HOURS", 12, whole=False, minimum=0.1, maximum=24 * 31
        ),
        "LINK_CHECK_TIMEOUT": _number(
            environ, "LINK_CHECK_TIMEOUT", 10, whole=False, minimum=0.1, maximum=300
        ),
        # Link checks reach public addresses only, unless a course lives on an intranet.
        "LINK_CHECK_PRIVATE_ADDRESSES": _flag(environ.get("LINK_CHECK_PRIVATE_ADDRESSES"), False),
    }
