"""Response headers and request hygiene that apply to every request."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask, request, send_file
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from training.errors import Invalid

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _set_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.path.startswith("/api/") and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    from flask import current_app

    if current_app.config.get("HSTS_ENABLED"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def _has_nul(value: str) -> bool:
    return "\x00" in value


def _reject_nul_characters() -> None:
    """NUL characters are never meaningful input, and PostgreSQL refuses them in text."""
    if _has_nul(request.path) or any(_has_nul(v) for v in request.args.values()):
        raise Invalid(_("No se admiten caracteres NUL."))
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    if request.is_json:
        raw = request.get_data(cache=True)
        found = b"\x00" in raw or b"\\u0000" in raw
    elif request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        found = any(_has_nul(value) for value in request.form.values())
    else:
        found = False
    if found:
        raise Invalid(_("No se admiten caracteres NUL."))


def _reject_unusable_json() -> None:
    """JSON that the parser cannot take without failing is a 400 here, not a 500 later.

    The JSON parser raises more than ``JSONDecodeError``: ``RecursionError`` for deeply
    nested arrays, ``ValueError`` for integers of thousands of digits; and ``\\ud800``
    escapes decode to lone surrogates, which no UTF-8 encoder (the database's, Argon2's)
    accepts. Bodies that fail in one of these ways never reach a view.
    """
    if request.method in {"GET", "HEAD", "OPTIONS"} or not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw.strip():
        return
    try:
        json.dumps(json.loads(raw), ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeError):
        raise Invalid(details={"fields": {"json": ["Invalid JSON body."]}}) from None


def _limit_api_bodies() -> None:
    """Set the API's body limit before anything (CSRF check, authentication, view) reads
    the body, and refuse a declared length over it at once (413) without reading it.

    A body sent without a length (chunked) is cut off by Werkzeug at the same limit.
    """
    if request.path.startswith("/api/"):
        from flask import current_app

        # An endpoint that takes a file names a larger limit on its view class
        # (``body_limit_setting``, e.g. training.links.api); every other body stays small.
        view = current_app.view_functions.get(request.endpoint or "")
        setting = getattr(getattr(view, "view_class", None), "body_limit_setting", None)
        limit = current_app.config[setting or "API_MAX_BODY_BYTES"]
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge()


def init_body_limits(app: Flask) -> None:
    """Register the body limit as the application's first ``before_request`` function.

    Called before any extension registers its own hooks: the CSRF check for
    session-authenticated API calls reads the form, and a stream opened without the
    limit would stay unlimited for the rest of the request.
    """
    functions = app.before_request_funcs.setdefault(None, [])
    if _limit_api_bodies not in functions:
        functions.insert(0, _limit_api_bodies)


def init_app(app: Flask) -> None:
    init_body_limits(app)
    app.before_request(_reject_nul_characters)
    app.before_request(_reject_unusable_json)
    app.after_request(_set_headers)


def private_download(path: Path | str, mimetype: str, download_name: str) -> FlaskResponse:
    """A stored file sent to the one person allowed to have it: always as an attachment,
    never cached, never sniffed into another type, and sandboxed should a browser open it
    anyway (an uploaded evidence file, a prepared export)."""
    response = send_file(
        path,
        mimetype=mimetype,
        as_attachment=True,
        download_name=download_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
