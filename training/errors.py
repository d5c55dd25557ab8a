"""Domain errors and the one place that turns any error into a response.

Services raise subclasses of :class:`DomainError`. ``register_error_handlers`` maps them,
and every HTTP error Werkzeug, flask-smorest or Flask-Limiter raises, to the JSON
envelope of API.md (``{"code", "message", "details"}``) under ``/api/`` and to an error
page elsewhere. Unexpected exceptions are logged with their traceback and answered with a
500 that reveals nothing. A database that is down or drops the connection is not a bug:
it is answered 503 with ``Retry-After`` and logged as one warning line.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from training.extensions import db, login_manager


class DomainError(Exception):
    """Base of the errors services raise; ``status`` and ``code`` fix the HTTP answer."""

    status = 400
    code = "invalid"
    default_message = _l("La solicitud no es válida.")

    def __init__(self, message: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message or str(self.default_message))
        self.message = message or str(self.default_message)
        self.details = details or {}


class Invalid(DomainError):
    status = 400
    code = "invalid"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"
    default_message = _l("Algunos datos no son válidos.")


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    default_message = _l("Debe iniciar sesión.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("No tiene permiso para hacer esto.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("No encontrado.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _l("La operación choca con el estado actual.")


CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}

MESSAGES = {
    400: _l("La solicitud no es válida."),
    401: _l("Debe iniciar sesión."),
    403: _l("No tiene permiso para hacer esto."),
    404: _l("No encontrado."),
    405: _l("Método no permitido."),
    409: _l("La operación choca con el estado actual."),
    413: _l("La solicitud es demasiado grande."),
    415: _l("Tipo de contenido no admitido."),
    422: _l("Algunos datos no son válidos."),
    429: _l("Demasiadas solicitudes. Vuelva a intentarlo más tarde."),
    500: _l("Error interno. El equipo técnico ha sido avisado."),
    503: _l("Servicio no disponible."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(
    status: int,
    message: str | None = None,
    details: dict[str, Any] | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    message = message or str(MESSAGES.get(status, MESSAGES[400]))
    code = code or CODES.get(status, "error")
    if wants_json():
        response = jsonify({"code": code, "message": message, "details": details or {}})
    else:
        response = Response(
            render_template("errors/error.html", status=status, message=message, details=details),
            mimetype="text/html",
        )
    response.status_code = status
    if status == 401 and wants_json():
        response.headers["WWW-Authenticate"] = "Bearer"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _http_details(error: HTTPException) -> dict[str, Any]:
    # flask-smorest / webargs put the marshmallow messages in ``data["messages"]``.
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if not messages:
        return {}
    # webargs nests by location ({"json": {...}}); the location is noise for clients.
    if isinstance(messages, dict) and len(messages) == 1:
        (only,) = messages.values()
        if isinstance(only, dict):
            return {"fields": only}
    return {"fields": messages}


def handle_domain_error(error: DomainError) -> Response:
    return error_response(error.status, error.message, error.details, error.code)


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    headers: dict[str, str] = {}
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    details = _http_details(error)
    if status == 429:
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
    return error_response(status, None, details, headers=headers)


CSRF_MESSAGE = _l("El formulario caducó o no es válido. Recargue la página e inténtelo otra vez.")


def handle_csrf_error(error: CSRFError) -> Response:
    return error_response(400, str(CSRF_MESSAGE), code="csrf_failed")


def handle_unexpected(error: Exception) -> Response:
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500)


# Seconds a client is asked to wait when the database is unavailable: about what the
# pool needs to reconnect after PostgreSQL restarts (connect_timeout is 5 s).
DATABASE_RETRY_AFTER = 5
DATABASE_UNAVAILABLE_MESSAGE = _l(
    "El servicio no puede consultar la base de datos en este momento. "
    "Vuelva a intentarlo en unos segundos."
)
# SQLite's primary result codes for a file that cannot be used right now: BUSY, LOCKED,
# IOERR, FULL, CANTOPEN. Its other OperationalErrors (``no such table``, syntax errors)
# are bugs, like PostgreSQL's ProgrammingError.
_SQLITE_UNAVAILABLE = frozenset({5, 6, 10, 13, 14})


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database is down or lost the connection (as opposed to
    a bug or a constraint the request broke)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlite_code = getattr(error.orig, "sqlite_errorcode", None)
    if sqlite_code is None:
        # psycopg: connection refused or lost, AdminShutdown, too many connections,
        # statement cancelled: every one of them passes.
        return True
    return sqlite_code & 0xFF in _SQLITE_UNAVAILABLE


def handle_database_error(error: DBAPIError) -> Response:
    if not database_unavailable(error):
        return handle_unexpected(error)
    with suppress(SQLAlchemyError):  # the connection is gone; the pool discards it
        db.session.rollback()
    # The page and the language are chosen for an anonymous visitor: loading the signed-in
    # user would ask the database again. Flask-Login has no public call that does this
    # without signing the user out (which would end their session).
    login_manager._update_request_context_with_user()
    reason = str(error.orig or error).strip().splitlines()
    current_app.logger.warning(
        "Database unavailable on %s %s: %s: %s",
        request.method,
        request.path,
        type(error.orig or error).__name__,
        reason[0] if reason else "",
    )
    g.database_unavailable = True
    return error_response(
        503,
        str(DATABASE_UNAVAILABLE_MESSAGE),
        code="database_unavailable",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def _keep_database_retry_after(response: Response) -> Response:
    # Flask-Limiter's headers raise Retry-After to the end of the route's rate-limit
    # window (15 minutes for sign-in): wrong advice while the database restarts.
    if g.get("database_unavailable"):
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    # ``after_request`` functions run last-registered first: at the front of the list,
    # this one runs after every extension's.
    functions = app.after_request_funcs.setdefault(None, [])
    if _keep_database_retry_after not in functions:
        functions.insert(0, _keep_database_retry_after)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)


__all__ = [
    "DATABASE_RETRY_AFTER",
    "Conflict",
    "DomainError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "Unauthenticated",
    "ValidationFailed",
    "error_response",
    "register_error_handlers",
]
