"""Which language a response is in.

Order (API.md): the ``lang`` query parameter, the signed-in user's language, the
language chosen with the switch (kept in the session), ``Accept-Language``, Spanish.
"""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return str(current_app.config["DEFAULT_LANGUAGE"])
    requested = request.args.get("lang")
    if requested in languages:
        return str(requested)
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return str(current_user.language)
    chosen = session.get("language")
    if chosen in languages:
        return str(chosen)
    best = request.accept_languages.best_match(languages)
    return str(best or current_app.config["DEFAULT_LANGUAGE"])


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "es"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["LANGUAGE_NAMES"] = {"es": "Español", "en": "English", "fr": "Français"}
