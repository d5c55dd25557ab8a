"""Every error, as the JSON envelope under /api and as a page elsewhere; never a traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, abort

from tests.conftest import PASSWORD
from tests.helpers import post_form, with_settings
from training import authz
from training.errors import Conflict, ValidationFailed

SECRET_DETAIL = "connection string postgresql://admin:hunter2@db/prod"


def _boom() -> str:
    raise RuntimeError(SECRET_DETAIL)


def _domain_conflict() -> str:
    raise Conflict("Ese certificado ya existe.")


def _http_conflict() -> str:
    abort(409)


def _validation() -> str:
    raise ValidationFailed(details={"fields": {"reason": ["Escriba el motivo."]}})


@authz.permission_required(authz.Permission.manage_content)
def _admin_only() -> str:
    return "for admins"


@pytest.fixture
def error_routes(app: Flask) -> Flask:
    """Routes that fail in each way, under /api/ and as pages (added before any request)."""
    routes: dict[str, Callable[[], str]] = {
        "boom": _boom,
        "domain-conflict": _domain_conflict,
        "http-conflict": _http_conflict,
        "validation": _validation,
        "admin-only": _admin_only,
    }
    for name, view in routes.items():
        app.add_url_rule(f"/api/v1/test/{name}", f"api_test_{name}", view)
        app.add_url_rule(f"/test/{name}", f"page_test_{name}", view)
    return app


def envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    assert "<html" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_400_malformed_json(client):
    response = client.post("/api/v1/auth/tokens", data="{", content_type="application/json")

    envelope(response, 400, "invalid")


def test_401_carries_www_authenticate(client):
    response = client.get("/api/v1/me")

    body = envelope(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert body["message"] == "Debe iniciar sesión."


def test_403_for_a_role_without_the_permission(error_routes, client, api_token, learner):
    body = envelope(
        client.get("/api/v1/test/admin-only", headers=api_token(learner)), 403, "forbidden"
    )

    assert body["message"] == "No tiene permiso para hacer esto."


def test_404_for_an_unknown_api_path(client):
    envelope(client.get("/api/v1/no/such/thing"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/v1/me", {"GET"}),
        ("post", "/api/v1/me", {"GET"}),
        ("get", "/api/v1/auth/tokens", {"POST"}),
        ("patch", "/api/v1/auth/tokens/current", {"DELETE"}),
    ],
)
def test_405_says_which_methods_are_allowed(client, method, path, allowed):
    response = getattr(client, method)(path)

    envelope(response, 405, "method_not_allowed")
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("path", ["/api/v1/test/domain-conflict", "/api/v1/test/http-conflict"])
def test_409_conflict(error_routes, client, path):
    body = envelope(client.get(path), 409, "conflict")

    assert body["message"] in {
        "Ese certificado ya existe.",
        "La operación choca con el estado actual.",
    }


def test_413_for_a_body_over_the_limit(client):
    big = json.dumps({"email": "a@gt.example.org", "password": "x" * 300_000})

    envelope(
        client.post("/api/v1/auth/tokens", data=big, content_type="application/json"),
        413,
        "too_large",
    )


def test_422_names_the_fields(client):
    response = client.post("/api/v1/auth/tokens", json={"email": 5, "colour": "red"})

    body = envelope(response, 422, "validation_failed")
    fields = body["details"]["fields"]
    assert set(fields) == {"email", "password", "colour"}
    assert all(isinstance(problems, list) and problems for problems in fields.values())


def test_422_from_a_service_keeps_its_field_details(error_routes, client):
    body = envelope(client.get("/api/v1/test/validation"), 422, "validation_failed")

    assert body["details"] == {"fields": {"reason": ["Escriba el motivo."]}}


@with_settings(LOGIN_LIMIT_PER_ADDRESS="1 per minute")
def test_429_says_when_to_come_back(client):
    client.post("/api/v1/auth/tokens", json={"email": "a@gt.example.org", "password": "x"})

    response = client.post(
        "/api/v1/auth/tokens", json={"email": "b@gt.example.org", "password": "x"}
    )

    envelope(response, 429, "rate_limited")
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_500_reveals_nothing_and_logs_the_traceback(error_routes, client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/test/boom")

    body = envelope(response, 500, "server_error")
    assert body["message"] == "Error interno. El equipo técnico ha sido avisado."
    assert SECRET_DETAIL not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)
    assert "Traceback" in caplog.text
    assert SECRET_DETAIL in caplog.text
    assert "GET /api/v1/test/boom" in caplog.text


def test_500_page_reveals_nothing(error_routes, client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/test/boom")

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Error interno. El equipo técnico ha sido avisado." in page
    assert SECRET_DETAIL not in page
    assert "Traceback" not in page


def test_error_messages_follow_the_language(client):
    body = client.get("/api/v1/me?lang=en").get_json()

    assert body["message"] == "You must sign in."


# --- Pages ------------------------------------------------------------------------------


def test_page_404_is_a_page(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "No encontrado." in response.get_data(as_text=True)


def test_page_405_is_a_page_with_allow(client):
    response = client.get("/logout")

    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "POST" in response.headers["Allow"]


def test_page_403_for_a_role_without_the_permission(error_routes, client, logged_in, learner):
    logged_in(learner)

    response = client.get("/test/admin-only")

    assert response.status_code == 403
    assert "No tiene permiso para hacer esto." in response.get_data(as_text=True)


def test_page_for_a_permission_sends_visitors_to_sign_in(error_routes, client):
    response = client.get("/test/admin-only")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/test/admin-only"


def test_page_422_lists_the_fields(error_routes, client):
    response = client.get("/test/validation")

    assert response.status_code == 422
    assert "reason: Escriba el motivo." in response.get_data(as_text=True)


@with_settings(MAX_CONTENT_LENGTH=2048)
def test_page_413_for_an_oversized_form(client, learner):
    response = post_form(client, "/login", {"email": learner.email, "password": PASSWORD * 200})

    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "La solicitud es demasiado grande." in response.get_data(as_text=True)


def test_csrf_failure_under_the_api_is_json(client, logged_in, learner):
    logged_in(learner)

    response = client.delete("/api/v1/auth/tokens/current")

    envelope(response, 400, "csrf_failed")


@pytest.mark.parametrize(
    ("status", "request_args"),
    [
        (
            400,
            {
                "method": "POST",
                "path": "/api/v1/auth/tokens",
                "data": "[",
                "content_type": "application/json",
            },
        ),
        (401, {"method": "GET", "path": "/api/v1/me"}),
        (404, {"method": "GET", "path": "/api/v1/missing"}),
        (405, {"method": "DELETE", "path": "/api/v1/me"}),
        (
            413,
            {
                "method": "POST",
                "path": "/api/v1/auth/tokens",
                "data": "x" * 300_000,
                "content_type": "application/json",
            },
        ),
        (422, {"method": "POST", "path": "/api/v1/auth/tokens", "json": {}}),
    ],
)
@pytest.mark.parametrize("accept", ["text/html", "*/*", "application/json"])
def test_the_api_never_answers_html_whatever_the_client_accepts(
    client, status, request_args, accept
):
    args = dict(request_args)
    response = client.open(args.pop("path"), headers={"Accept": accept}, **args)

    assert response.status_code == status
    assert response.mimetype == "application/json"


@pytest.fixture
def log_lines(app: Flask) -> Any:
    """Lines written by a handler on the application's and Gunicorn's access loggers."""
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    loggers = [app.logger, logging.getLogger("gunicorn.access")]
    for logger in loggers:
        logger.addHandler(handler)
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.INFO)
    yield lambda: stream.getvalue().splitlines()
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_newline_in_the_path_of_a_500_cannot_forge_a_log_line(app, client, log_lines):
    from flask import request

    @app.before_request
    def fail_on_boom() -> None:
        if request.path.startswith("/test/boom/"):
            _boom()

    response = client.get("/test/boom/x%0aCRITICAL training: forged%0d%1b[31m")

    assert response.status_code == 500
    lines = log_lines()
    forged = [line for line in lines if "forged" in line]
    assert forged == [
        "ERROR training: Unhandled error on GET "
        "/test/boom/x\\nCRITICAL training: forged\\r\\x1b[31m"
    ]
    assert not any(line.startswith("CRITICAL") for line in lines)
    assert any(line.startswith("Traceback") for line in lines)  # the traceback keeps its lines


def test_a_user_agent_with_a_newline_stays_on_its_access_log_line(app, log_lines):
    access = logging.getLogger("gunicorn.access")

    access.info('"%(r)s" "%(a)s"', {"r": "GET / HTTP/1.1", "a": "Mozilla\nINFO admin: forged"})

    assert log_lines() == ['INFO gunicorn.access: "GET / HTTP/1.1" "Mozilla\\nINFO admin: forged"']
