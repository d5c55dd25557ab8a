"""/healthz and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.conftest import _settings
from training import create_app
from training.extensions import db

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/x"


def test_healthz_when_all_is_well(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not_configured",
        "broker": "not_configured",
    }
    assert response.mimetype == "application/json"


@pytest.fixture
def unreachable_app(app: Flask) -> Iterator[Flask]:
    broken = create_app(_settings(UNREACHABLE))
    yield broken
    with broken.app_context():
        db.engine.dispose()


def test_healthz_answers_503_when_the_database_is_unreachable(unreachable_app):
    response = unreachable_app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "database": "unreachable",
        "redis": "not_configured",
        "broker": "not_configured",
    }
    assert response.headers["Content-Security-Policy"]


def test_healthz_needs_no_sign_in_and_answers_only_get(client):
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response.get_json()["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_openapi_document_describes_the_api(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    spec = response.get_json()
    assert spec["info"]["title"] == "Aula Consular API"
    assert spec["openapi"] == "3.0.3"
    paths = spec["paths"]
    assert set(paths["/api/v1/auth/tokens"]) >= {"post"}
    assert set(paths["/api/v1/auth/tokens/current"]) >= {"delete"}
    assert set(paths["/api/v1/me"]) >= {"get"}
    assert set(paths["/healthz"]) >= {"get"}
    token_request = paths["/api/v1/auth/tokens"]["post"]
    assert {"201", "401", "422", "429"} <= set(token_request["responses"])
    assert "503" in paths["/healthz"]["get"]["responses"]
    schemas = spec["components"]["schemas"]
    assert set(schemas["Error"]["properties"]) == {"code", "message", "details"}
    # The password is write-only: it is never in a response schema.
    assert "password" not in schemas.get("Token", {}).get("properties", {})


def test_every_operation_with_a_body_documents_the_413_of_the_body_limit(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    with_body = [
        (path, method, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    assert len(with_body) >= 10
    missing = [(path, method) for path, method, op in with_body if "413" not in op["responses"]]
    assert missing == []
    answers = spec["paths"]["/api/v1/auth/tokens"]["post"]["responses"]
    assert answers["413"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    # Operations without a body do not claim it.
    assert "413" not in spec["paths"]["/api/v1/me"]["get"]["responses"]


@pytest.mark.parametrize(
    ("app_settings", "broker", "status"),
    [
        ({"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}, "unreachable", "degraded"),
        ({"CELERY_BROKER_URL": "amqp://guest@127.0.0.1:1//"}, "unchecked", "ok"),
    ],
    ids=["redis broker down", "broker not redis"],
)
def test_healthz_names_the_broker_apart_from_redis(client, broker, status):
    response = client.get("/healthz")

    # Only the database takes the host out of service.
    assert response.status_code == 200
    assert response.get_json() == {
        "status": status,
        "database": "ok",
        "redis": "not_configured",
        "broker": broker,
    }
