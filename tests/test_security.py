"""Security headers on every response, cookies, and no inline script anywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.conftest import PASSWORD, POSTGRES_URL, _settings, _truncate_all, csrf_token, login
from tests.factories import create_user
from tests.helpers import post_form, row_counts
from training import create_app
from training.extensions import db
from training.ministries.services import seed_ministries

PRODUCTION_SECRET = "a production secret key of more than 32 characters"

PATHS = [
    "/login",
    "/account/reset",
    "/api/docs",
    "/",
    "/no-such-page",
    "/healthz",
    "/api/v1/me",
    "/api/v1/openapi.json",
    "/api/v1/no-such-thing",
    "/static/css/app.css",
    "/favicon.ico",
]


def directives(response: Any) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = directives(response)
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    # Not production: no HSTS (it would pin a developer's localhost to HTTPS).
    assert "Strict-Transport-Security" not in response.headers


def test_signed_in_pages_and_token_answers_carry_them_too(client, logged_in, api_token, learner):
    logged_in(learner)
    page = client.get("/")
    api = client.get("/api/v1/me", headers=api_token(learner))

    for response in (page, api):
        assert response.status_code == 200
        assert directives(response)["frame-ancestors"] == "'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/openapi.json", "/api/v1/nothing"])
def test_api_answers_are_never_cached(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize(
    "path", ["/login", "/account/reset", "/account/password", "/api/docs", "/", "/nothing-here"]
)
def test_pages_have_no_inline_script_or_style_the_policy_would_block(
    client, logged_in, learner, path
):
    if path in {"/", "/account/password"}:
        logged_in(learner)

    page = client.get(path).get_data(as_text=True)

    assert "<html" in page
    assert not INLINE_SCRIPT.search(page)
    assert not EVENT_HANDLER.search(page)
    assert not STYLE_ATTRIBUTE.search(page)
    assert "javascript:" not in page.lower()


def test_session_cookie_is_http_only_and_lax_but_not_secure_outside_production(client, learner):
    response = login(client, learner)

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "aula_session=" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.fixture
def production_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("TRAINING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", PRODUCTION_SECRET)
    monkeypatch.setenv("KEY_ENCRYPTION_SECRET", "k" * 40)
    application = create_app(_settings(database_url))
    with application.app_context():
        seed_ministries()
        db.session.commit()
        yield application
        db.session.remove()
        db.engine.dispose()
    if POSTGRES_URL:
        _truncate_all(application)


def test_production_sends_hsts_on_pages_and_api(production_app):
    client = production_app.test_client()

    for path in ("/login", "/api/v1/me", "/healthz"):
        response = client.get(path, base_url="https://aula.example.org")
        assert (
            response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        )


def test_production_cookies_are_secure(production_app):
    user = create_user(email="consul@gt.example.org")
    client = production_app.test_client()

    page = client.get("/login", base_url="https://aula.example.org")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login",
        base_url="https://aula.example.org",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://aula.example.org/login"},
    )

    assert response.status_code == 302, response.text
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "aula_session=" in c)
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "request_args",
    [
        {"path": "/login%00"},
        {"path": "/login", "query_string": {"next": "/\x00"}},
        {"path": "/api/v1/me", "query_string": {"lang": "\x00"}},
        {"path": "/api/v1/me%00"},
    ],
    ids=["page path", "page query", "api query", "api path"],
)
def test_nul_characters_in_the_address_are_refused(client, request_args):
    response = client.get(request_args.pop("path"), **request_args)

    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def test_nul_characters_in_a_form_are_refused_and_change_nothing(client, learner):
    before = row_counts()

    responses = [
        post_form(client, "/login", {"email": learner.email + "\x00", "password": PASSWORD}),
        post_form(client, "/login", {"email": learner.email, "password": PASSWORD + "\x00"}),
        post_form(client, "/account/reset", {"email": "\x00" + learner.email}),
    ]

    assert [response.status_code for response in responses] == [400, 400, 400]
    assert row_counts() == before
    assert client.get("/api/v1/me").status_code == 401


def test_a_large_json_body_with_a_page_session_is_refused_before_anything_reads_it(
    client, logged_in, learner, monkeypatch
):
    import time

    from training.extensions import csrf

    logged_in(learner)
    token = csrf_token(client, "/")
    checked: list[bool] = []
    real_protect = csrf.protect
    monkeypatch.setattr(csrf, "protect", lambda: checked.append(True) or real_protect())
    body = b'{"answers": [' + b'{"question": "q", "choices": []},' * 130_000 + b"{}]}"
    assert len(body) > 4 * 1024 * 1024
    before = row_counts()

    started = time.perf_counter()
    response = client.put(
        "/api/v1/attempts/1/answers",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    elapsed = time.perf_counter() - started

    assert response.status_code == 413
    assert response.get_json()["code"] == "too_large"
    assert checked == []  # the CSRF check (which reads the form) never ran
    assert elapsed < 1.0  # loosely: the test client's own copying included
    assert row_counts() == before


def test_a_small_json_body_with_a_page_session_still_needs_the_csrf_token(
    client, logged_in, learner
):
    logged_in(learner)

    response = client.put("/api/v1/attempts/1/answers", json={"answers": []})

    assert response.status_code == 400
    assert response.get_json()["code"] == "csrf_failed"
