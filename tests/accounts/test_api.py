"""Accounts API: bearer tokens, /api/v1/me, and what malformed requests get back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import PASSWORD, csrf_token, login
from tests.factories import create_post_for
from tests.helpers import (
    audit_events,
    fresh,
    post_form,
    row_counts,
    table_text,
    with_settings,
)
from training.accounts import tokens, users
from training.accounts.models import ApiToken, User
from training.extensions import db

TOKENS = "/api/v1/auth/tokens"
CURRENT = "/api/v1/auth/tokens/current"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert body["message"]
    return body


# --- Tokens -----------------------------------------------------------------------------


def test_token_is_issued_for_an_email_and_password(client, learner):
    response = client.post(TOKENS, json={"email": learner.email.upper(), "password": PASSWORD})

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    assert body["token"].startswith("aula_")
    assert len(body["token"]) > 40
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert body["expires_at"].endswith("Z")
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    # The token works, and names its holder.
    me = client.get("/api/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.get_json()["email"] == learner.email


def test_each_token_is_new(client, learner):
    first = client.post(TOKENS, json={"email": learner.email, "password": PASSWORD})
    second = client.post(TOKENS, json={"email": learner.email, "password": PASSWORD})

    assert first.get_json()["token"] != second.get_json()["token"]


@pytest.mark.parametrize(
    "who", ["wrong password", "unknown e-mail", "inactive"], ids=lambda who: who
)
def test_token_refused_with_one_answer_for_every_bad_credential(client, make_user, learner, who):
    inactive = make_user(active=False)
    credentials = {
        "wrong password": {"email": learner.email, "password": "not the password!"},
        "unknown e-mail": {"email": "nobody@gt.example.org", "password": PASSWORD},
        "inactive": {"email": inactive.email, "password": PASSWORD},
    }[who]

    response = client.post(TOKENS, json=credentials)
    english = client.post(TOKENS, json=credentials, headers={"Accept-Language": "en"})

    body = assert_envelope(response, 401, "unauthenticated")
    assert body["message"] == "Correo electrónico o contraseña incorrectos."
    assert english.get_json()["message"] == "Wrong e-mail or password."
    assert response.headers["WWW-Authenticate"] == "Bearer"
    fresh()
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0
    assert [event.action for event in audit_events()][-1] == "auth.login_failed"


def test_token_is_stored_hashed_and_never_logged(client, learner):
    token = client.post(TOKENS, json={"email": learner.email, "password": PASSWORD}).get_json()[
        "token"
    ]
    client.delete(CURRENT, headers=bearer(token))

    for table in ("api_token", "audit_event", "user_account", "outbox_message"):
        stored = table_text(table)
        assert token not in stored, table
        assert token.removeprefix("aula_") not in stored, table
        assert PASSWORD not in stored, table
    fresh()
    record = db.session.scalars(db.select(ApiToken)).one()
    assert len(record.token_hash) == 64


def test_token_revocation(client, learner):
    token = client.post(TOKENS, json={"email": learner.email, "password": PASSWORD}).get_json()[
        "token"
    ]

    response = client.delete(CURRENT, headers=bearer(token))

    assert response.status_code == 204
    assert response.get_data() == b""
    assert_envelope(client.get("/api/v1/me", headers=bearer(token)), 401, "unauthenticated")
    assert_envelope(client.delete(CURRENT, headers=bearer(token)), 401, "unauthenticated")
    (event,) = audit_events("auth.token_revoked")
    assert event.actor_id == learner.id
    assert event.target_type == "ApiToken"


def test_revoking_one_token_keeps_the_others(client, learner):
    first = tokens.create_token(learner).token
    second = tokens.create_token(learner).token
    db.session.commit()

    client.delete(CURRENT, headers=bearer(first))

    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200


def test_expired_token_is_refused(client, learner):
    issued = tokens.create_token(learner)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(issued.token)).status_code == 200

    db.session.execute(
        db.update(ApiToken)
        .where(ApiToken.id == issued.record.id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()

    assert_envelope(client.get("/api/v1/me", headers=bearer(issued.token)), 401, "unauthenticated")


def test_token_of_a_deactivated_user_is_refused(client, learner):
    issued = tokens.create_token(learner)
    db.session.commit()

    users.deactivate(learner, actor=None)
    db.session.commit()

    assert client.get("/api/v1/me", headers=bearer(issued.token)).status_code == 401


def test_token_use_is_recorded_at_most_once_a_minute(client, learner):
    issued = tokens.create_token(learner)
    db.session.commit()

    client.get("/api/v1/me", headers=bearer(issued.token))
    fresh()
    first_use = db.session.get(ApiToken, issued.record.id).last_used_at
    client.get("/api/v1/me", headers=bearer(issued.token))
    fresh()

    assert first_use is not None
    assert db.session.get(ApiToken, issued.record.id).last_used_at == first_use


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer aula_not-a-real-token",
        "Bearer not-prefixed-at-all",
        "Bearer aula_" + "x" * 300,
        "Token aula_abc",
        "bearer",
    ],
)
def test_bad_authorization_headers_get_a_401(client, learner, authorization):
    response = client.get("/api/v1/me", headers={"Authorization": authorization})

    assert_envelope(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_request_is_judged_by_the_token_not_the_cookie(
    client, logged_in, learner, other_learner
):
    token = tokens.create_token(other_learner).token
    db.session.commit()
    logged_in(learner)

    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.get_json()["email"] == other_learner.email
    # A bad token is not rescued by a good session either.
    assert client.get("/api/v1/me", headers=bearer("aula_forged")).status_code == 401


def test_a_token_works_from_a_browser_that_also_sends_its_cookie(client, learner):
    token = tokens.create_token(learner).token
    db.session.commit()
    # An anonymous visitor's session: a CSRF token and a language choice.
    post_form(client, "/language", {"language": "en"}, token_from="/login")

    response = client.get("/api/v1/me", headers=bearer(token))

    assert response.status_code == 200
    assert response.get_json()["email"] == learner.email


def test_revoking_needs_a_bearer_token(client, logged_in, learner):
    logged_in(learner)
    token = csrf_token(client, "/")

    response = client.delete(CURRENT, headers={"X-CSRFToken": token})

    assert_envelope(response, 404, "not_found")


def test_session_authenticated_api_calls_need_the_csrf_token(client, logged_in, learner):
    logged_in(learner)
    tokens.create_token(learner)
    db.session.commit()

    response = client.delete(CURRENT)

    assert_envelope(response, 400, "csrf_failed")


def test_anonymous_delete_of_the_current_token_is_a_401(client):
    response = client.delete(CURRENT)

    assert_envelope(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@with_settings(LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
def test_token_requests_are_rate_limited_per_account(client, learner, make_user):
    other = make_user()
    for _attempt in range(3):
        client.post(TOKENS, json={"email": learner.email, "password": "not the password!"})

    response = client.post(TOKENS, json={"email": learner.email, "password": PASSWORD})

    assert_envelope(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    assert client.post(TOKENS, json={"email": other.email, "password": PASSWORD}).status_code == 201


@with_settings(LOGIN_LIMIT_PER_ADDRESS="3 per minute")
def test_token_requests_are_rate_limited_per_address(app, client, learner):
    for n in range(3):
        client.post(TOKENS, json={"email": f"guess{n}@gt.example.org", "password": "wrong!"})

    response = client.post(TOKENS, json={"email": learner.email, "password": PASSWORD})

    assert_envelope(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert (
        elsewhere.post(TOKENS, json={"email": learner.email, "password": PASSWORD}).status_code
        == 201
    )


@with_settings(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
def test_page_and_api_share_the_sign_in_limit(client, learner):
    post_form(client, "/login", {"email": learner.email, "password": "not the password!"})
    client.post(TOKENS, json={"email": learner.email, "password": "not the password!"})

    assert client.post(TOKENS, json={"email": learner.email, "password": PASSWORD}).status_code == (
        429
    )


# --- /api/v1/me -------------------------------------------------------------------------

ROLE_FIXTURES = {
    "learner": ("GT", ["learner"]),
    "coordinator": ("GT", ["coordinator", "learner"]),
    "issuer": ("GT", ["issuer"]),
    "regional": ("CR", ["regional"]),
    "admin": ("CR", ["admin"]),
}


@pytest.mark.parametrize("role", list(ROLE_FIXTURES))
def test_me_for_each_role_with_a_token(request, client, api_token, role):
    user = request.getfixturevalue(role)
    ministry, roles = ROLE_FIXTURES[role]

    response = client.get("/api/v1/me", headers=api_token(user))

    assert response.status_code == 200
    assert response.get_json() == {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "language": "es",
        "ministry": {"code": ministry, "name": user.ministry.name_es},
        "post": None,
        "roles": roles,
    }
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", list(ROLE_FIXTURES))
def test_me_for_each_role_with_the_session(request, client, logged_in, role):
    user = request.getfixturevalue(role)
    logged_in(user)

    response = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.get_json()["roles"] == ROLE_FIXTURES[role][1]
    assert response.get_json()["ministry"]["code"] == ROLE_FIXTURES[role][0]


def test_me_shows_the_post_and_a_name_in_any_script(client, api_token, make_user):
    post = create_post_for("MX", name="Consulado General de México en Los Ángeles")
    user = make_user(ministry="MX", full_name="Ñusta Quispe 山田 Χαρά", post=post, language="fr")

    body = client.get("/api/v1/me", headers=api_token(user)).get_json()

    assert body["full_name"] == "Ñusta Quispe 山田 Χαρά"
    assert body["language"] == "fr"
    assert body["post"] == {
        "id": post.id,
        "kind": "consulate",
        "name": "Consulado General de México en Los Ángeles",
        "city": "Tapachula",
        "country": "MX",
    }
    # The ministry is named in the user's language.
    assert body["ministry"]["name"] == "Secrétariat des Relations extérieures du Mexique"


def test_me_names_the_ministry_in_the_requested_language(client, api_token, learner):
    body = client.get("/api/v1/me?lang=en", headers=api_token(learner)).get_json()

    assert body["ministry"]["name"] == "Ministry of Foreign Affairs of Guatemala"


def test_me_needs_a_user(client):
    response = client.get("/api/v1/me")

    assert_envelope(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"


# --- Malformed input --------------------------------------------------------------------


def _raw(body: bytes | str, content_type: str = "application/json") -> dict[str, Any]:
    return {"data": body, "content_type": content_type}


MALFORMED = {
    "unknown field": (
        {"json": {"email": "a@gt.example.org", "password": PASSWORD, "admin": True}},
        422,
        "admin",
    ),
    "email not a string": ({"json": {"email": 12, "password": PASSWORD}}, 422, "email"),
    "password a list": (
        {"json": {"email": "a@gt.example.org", "password": [PASSWORD]}},
        422,
        "password",
    ),
    "password null": ({"json": {"email": "a@gt.example.org", "password": None}}, 422, "password"),
    "missing password": ({"json": {"email": "a@gt.example.org"}}, 422, "password"),
    "empty email": ({"json": {"email": "", "password": PASSWORD}}, 422, "email"),
    "email too long": (
        {"json": {"email": "a" * 300 + "@gt.example.org", "password": PASSWORD}},
        422,
        "email",
    ),
    "password too long": (
        {"json": {"email": "a@gt.example.org", "password": "p" * 300}},
        422,
        "password",
    ),
    "a list, not an object": ({"json": [1, 2, 3]}, 422, None),
    "a string, not an object": ({"json": "hello"}, 422, None),
    "malformed JSON": (_raw('{"email": "a@gt.example.org", "password": '), 400, None),
    "not UTF-8": (_raw(b'{"email": "\xff\xfe", "password": "x"}'), 400, None),
    "form instead of JSON": (
        _raw("email=a%40gt.example.org&password=x", "application/x-www-form-urlencoded"),
        422,
        None,
    ),
    "empty body": (_raw(b""), 422, None),
    "NUL escaped in JSON": (
        _raw('{"email": "a\\u0000@gt.example.org", "password": "x"}'),
        400,
        None,
    ),
    "NUL raw in JSON": (_raw(b'{"email": "a\x00@gt.example.org", "password": "x"}'), 400, None),
    "NUL in query string": ({"json": {}, "query_string": {"lang": "e\x00s"}}, 400, None),
    "huge body": (_raw(json.dumps({"email": "a" * 300_000, "password": "x"})), 413, None),
    "deeply nested": (_raw("[" * 50_000 + "]" * 50_000), 400, "json"),
    "deeply nested field": (
        _raw('{"email": ' + "[" * 50_000 + "]" * 50_000 + ', "password": "x"}'),
        400,
        "json",
    ),
    "integer of 5000 digits": (
        _raw('{"email": "a@gt.example.org", "password": ' + "9" * 5000 + "}"),
        400,
        "json",
    ),
    "lone surrogate": (
        _raw('{"email": "a@gt.example.org", "password": "\\ud800 long enough"}'),
        400,
        "json",
    ),
    "NaN": (_raw('{"email": "a@gt.example.org", "password": NaN}'), 422, "password"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_token_requests_get_a_4xx_and_change_nothing(client, learner, case):
    request, status, field = MALFORMED[case]
    before = row_counts()

    response = client.post(TOKENS, **request)

    code = {400: "invalid", 413: "too_large", 422: "validation_failed"}[status]
    body = assert_envelope(response, status, code)
    if field is not None:
        assert field in body["details"]["fields"], body
    assert "Traceback" not in response.get_data(as_text=True)
    assert row_counts() == before


def test_a_lone_surrogate_in_the_password_of_a_real_account_is_a_400(client, learner):
    before = row_counts()
    body = json.dumps({"email": learner.email, "password": PASSWORD + "\ud800"})

    response = client.post(TOKENS, data=body, content_type="application/json")

    assert_envelope(response, 400, "invalid")
    assert row_counts() == before


def test_a_surrogate_pair_is_an_ordinary_character(client, make_user):
    user = make_user(password="\N{GRINNING FACE} correct horse battery")
    body = json.dumps({"email": user.email, "password": "\N{GRINNING FACE} correct horse battery"})

    response = client.post(TOKENS, data=body, content_type="application/json")

    assert response.status_code == 201


@with_settings(API_MAX_BODY_BYTES=1024)
def test_the_body_limit_is_a_setting(client, learner):
    padding = "p" * 1100
    response = client.post(TOKENS, json={"email": learner.email, "password": padding})

    assert_envelope(response, 413, "too_large")


def test_a_nul_in_an_authorization_token_is_a_401_not_a_500(client, learner):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer aula_\x01abc"})

    assert_envelope(response, 401, "unauthenticated")


def test_sign_in_records_when_it_happened(client, learner):
    assert login(client, learner).status_code == 302
    fresh()
    assert db.session.get(User, learner.id).last_login_at is not None
