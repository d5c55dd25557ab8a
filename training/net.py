"""Who is on the other end of the request."""

from __future__ import annotations

from flask import request


def client_address() -> str:
    """The client's address, as corrected by ProxyFix when ``TRUSTED_PROXIES`` is set."""
    return request.remote_addr or "unknown"


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site; ``default`` for anything else.

    Refuses absolute URLs, scheme-relative ``//host`` and backslash tricks, so that a
    ``next`` parameter can never send anyone to another site.
    """
    from urllib.parse import urlsplit

    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
