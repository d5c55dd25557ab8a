"""Conditional requests for what a learner reads again and again (issue 13): the lesson
page, the lesson API and the job aid page.

A lesson's body never changes within a module version and language, so these responses
carry a strong ``ETag`` with ``Cache-Control: private, no-cache``: the browser (never a
shared cache) keeps the body and asks each time with ``If-None-Match``; when nothing the
response shows has changed, the answer is ``304 Not Modified`` without a body, decided
before the lesson bodies are loaded or a template is rendered.

The tag is a digest of everything the response shows:

* the release (:func:`release`: the code, templates and compiled translations), so that
  a deploy never leaves an old page in place;
* the module version (id and content hash), the lesson number, the language and the
  learner's "read" state;
* for pages, what ``base.html`` shows of the user and the session: the user id, their
  roles (the menu), the path (the language form returns to it) and the session's CSRF
  secret with a time window of half ``WTF_CSRF_TIME_LIMIT``, so that a kept page's forms
  still work. A page with a flashed message pending gets no tag (the message shows once).

Side effects stay where they were: the caller records the lesson's opening
(``remediation.note_opened``) before asking whether the learner's copy is current.
"""

from __future__ import annotations

import hashlib
import time
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, request, session
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from training.accounts.models import User
from training.i18n import current_language

CACHE_CONTROL = "private, no-cache"
VARY = ("Cookie", "Authorization", "Accept-Language")
_PACKAGE = Path(__file__).resolve().parents[1]
_RELEASE_FILES = {".py", ".html", ".mo"}


@cache
def release() -> str:
    """A digest of the package's code, templates and compiled translations, computed once
    per process: the same on every server of one deploy, different after a change."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in _RELEASE_FILES and path.is_file():
            digest.update(path.relative_to(_PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def etag(*parts: Any) -> str:
    """A strong entity tag for a response that shows exactly ``parts`` (and the release)."""
    text = "\x1f".join(str(part) for part in (release(), *parts))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def page_etag(user: User, *parts: Any) -> str | None:
    """The tag of a page that shows ``parts`` inside ``base.html``; None when the page
    must be rendered anyway (a flashed message is waiting)."""
    if session.get("_flashes"):
        return None
    generate_csrf()  # what the page's forms would do: the session's secret exists now
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    secret = hashlib.sha256(str(session.get(field, "")).encode()).hexdigest()
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT")
    window = int(time.time()) // max(1, int(limit) // 2) if limit else 0
    roles = sorted(str(role) for role in user.roles)
    return etag(
        "page", user.id, roles, current_language(), request.full_path, secret, window, *parts
    )


def not_modified(tag: str | None) -> Response | None:
    """``304 Not Modified`` when the request's ``If-None-Match`` names ``tag``."""
    if tag is None or not request.if_none_match.contains_weak(tag):
        return None
    return finish(Response(status=304), tag)


def finish(response: Response, tag: str | None) -> Response:
    """Mark a 200 or 304 answer as revalidated on each use, private, tagged ``tag``."""
    if response.status_code not in (200, 304):
        return response
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.update(VARY)
    if tag is not None:
        response.set_etag(tag)
    return response
