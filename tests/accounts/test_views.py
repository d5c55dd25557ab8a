"""Sign-in, sign-out, password change and password reset pages."""

from __future__ import annotations

import time
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.conftest import CSRF_PATTERN, PASSWORD, csrf_token, login
from tests.helpers import (
    audit_actions,
    audit_events,
    flashes,
    fresh,
    outbox,
    post_form,
    reset_link,
    row_counts,
    signed_in_as,
    with_settings,
)
from training.accounts import passwords, tokens, users
from training.accounts.models import ApiToken, User
from training.extensions import db

NEW_PASSWORD = "a new passphrase for the consulate"
WRONG_CREDENTIALS = "Correo electrónico o contraseña incorrectos."
CSRF_REFUSED = "El formulario caducó o no es válido."


def password_works(user: User, password: str) -> bool:
    fresh()
    return passwords.verify_password(db.session.get(User, user.id).password_hash, password)


# --- Sign-in ----------------------------------------------------------------------------


def test_login_page_offers_email_and_password_but_no_remember_me(client):
    page = client.get("/login").get_data(as_text=True)

    assert 'name="email"' in page
    assert 'name="password"' in page
    assert 'autocomplete="current-password"' in page
    assert "remember" not in page.lower()


def test_login_signs_in_and_opens_the_dashboard(client, learner):
    response = login(client, learner)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert learner.full_name in client.get("/").get_data(as_text=True)
    assert signed_in_as(client) == learner.email


def test_login_ignores_the_case_of_the_email(client, learner):
    response = post_form(
        client, "/login", {"email": "  " + learner.email.upper() + " ", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert signed_in_as(client) == learner.email


@pytest.mark.parametrize(
    ("next_page", "expected"),
    [
        ("/account/password", "/account/password"),
        ("/?tab=1", "/?tab=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_login_returns_only_to_pages_of_this_site(client, learner, next_page, expected):
    token = csrf_token(client)
    response = client.post(
        "/login",
        query_string={"next": next_page},
        data={"email": learner.email, "password": PASSWORD, "csrf_token": token},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == expected


def _failed_login(
    client: Any, email: str, password: str
) -> tuple[int, tuple[tuple[str, str], ...]]:
    response = post_form(client, "/login", {"email": email, "password": password})
    return response.status_code, flashes(response.get_data(as_text=True))


def test_wrong_password_unknown_email_and_inactive_account_get_the_same_answer(
    app, make_user, learner
):
    inactive = make_user(active=False)
    answers = {
        "wrong password": _failed_login(app.test_client(), learner.email, "not the password!"),
        "unknown e-mail": _failed_login(app.test_client(), "nobody@gt.example.org", PASSWORD),
        "inactive": _failed_login(app.test_client(), inactive.email, PASSWORD),
    }

    assert set(answers.values()) == {(200, (("error", WRONG_CREDENTIALS),))}, answers


def test_failed_login_keeps_the_visitor_signed_out_and_is_audited(client, learner):
    post_form(client, "/login", {"email": learner.email, "password": "not the password!"})

    assert signed_in_as(client) is None
    (event,) = audit_events("auth.login_failed")
    assert event.details == {"email": learner.email, "reason": "credentials"}
    assert event.ministry_id == learner.ministry_id


def test_inactive_user_is_refused(client, make_user):
    user = make_user(active=False)

    response = login(client, user)

    assert response.status_code == 200
    assert signed_in_as(client) is None
    (event,) = audit_events("auth.login_failed")
    assert event.details["reason"] == "inactive"


def test_deactivation_ends_an_open_session(client, logged_in, learner):
    logged_in(learner)
    users.deactivate(db.session.get(User, learner.id), actor=None)
    db.session.commit()

    assert signed_in_as(client) is None
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "data",
    [
        {"email": "", "password": PASSWORD},
        {"email": "persona@gt.example.org", "password": ""},
        {"email": "x" * 255 + "@gt.example.org", "password": PASSWORD},
        {"email": "persona@gt.example.org", "password": "p" * 257},
        {},
    ],
    ids=["no email", "no password", "email too long", "password too long", "nothing"],
)
def test_incomplete_login_form_is_shown_again_without_signing_in(client, learner, data):
    before = row_counts()

    response = post_form(client, "/login", data)

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert row_counts() == before


def test_session_is_replaced_at_login(client, learner):
    csrf_token(client)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = client.get_cookie("aula_session").value

    login(client, learner)

    assert client.get_cookie("aula_session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{learner.id}.")


def test_remember_me_is_off(client, learner):
    response = login(client, learner)

    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("aula_session="))
    # A browser-session cookie: gone when the browser closes.
    assert "Expires" not in session_cookie
    assert "Max-Age" not in session_cookie
    assert "HttpOnly" in session_cookie
    assert client.get_cookie("remember_token") is None


def test_strong_session_protection_refuses_a_cookie_replayed_elsewhere(app, client, learner):
    login(client, learner)
    stolen = client.get_cookie("aula_session").value

    thief = app.test_client()
    thief.set_cookie("aula_session", stolen)
    thief.environ_base["REMOTE_ADDR"] = "198.51.100.66"

    assert signed_in_as(thief) is None
    assert signed_in_as(client) == learner.email


# --- Sign-out ---------------------------------------------------------------------------


def test_logout_signs_out_and_is_audited(client, logged_in, learner):
    logged_in(learner)

    response = post_form(client, "/logout", {}, token_from="/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert signed_in_as(client) is None
    page = client.get("/login").get_data(as_text=True)
    assert ("info", "Ha cerrado la sesión.") in flashes(page)
    assert "auth.logout" in audit_actions()


def test_logout_ends_the_session_for_a_copy_of_the_cookie_too(app, client, logged_in, learner):
    logged_in(learner)
    copy = app.test_client()
    copy.set_cookie("aula_session", client.get_cookie("aula_session").value)
    assert signed_in_as(copy) == learner.email  # same browser, same address

    post_form(client, "/logout", {}, token_from="/")

    assert signed_in_as(copy) is None
    assert signed_in_as(client) is None


def test_signing_in_again_ends_the_previous_session(app, client, logged_in, learner):
    logged_in(learner)
    first = client.get_cookie("aula_session").value

    login(client, learner)
    post_form(client, "/logout", {}, token_from="/")

    copy = app.test_client()
    copy.set_cookie("aula_session", first)
    assert signed_in_as(copy) is None


def test_two_browsers_have_two_sessions(app, client, logged_in, learner):
    logged_in(learner)
    other = app.test_client()
    login(other, learner)

    post_form(client, "/logout", {}, token_from="/")

    assert signed_in_as(other) == learner.email


def test_logout_when_not_signed_in_just_goes_to_the_login_page(client):
    response = post_form(client, "/logout", {}, token_from="/login")

    assert response.status_code == 302
    assert "auth.logout" not in audit_actions()


def test_logout_only_answers_post(client, logged_in, learner):
    logged_in(learner)

    assert client.get("/logout").status_code == 405
    assert signed_in_as(client) == learner.email


def test_dashboard_sends_visitors_to_the_login_page_and_back(client, learner):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/"

    token = csrf_token(client, "/login?next=/")
    response = client.post(
        "/login?next=/", data={"email": learner.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


# --- Login rate limits ------------------------------------------------------------------


@with_settings(LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
def test_login_is_rate_limited_per_account(client, learner, make_user):
    other = make_user()
    for _attempt in range(3):
        status, _ = _failed_login(client, learner.email, "not the password!")
        assert status == 200

    response = post_form(client, "/login", {"email": learner.email, "password": PASSWORD})

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Demasiadas solicitudes" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    # Another account from the same address is not affected.
    assert login(client, other).status_code == 302


@with_settings(LOGIN_LIMIT_PER_ADDRESS="3 per minute")
def test_login_is_rate_limited_per_address(app, client, learner):
    for n in range(3):
        status, _ = _failed_login(client, f"guess{n}@gt.example.org", "not the password!")
        assert status == 200

    response = post_form(client, "/login", {"email": learner.email, "password": PASSWORD})

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    # The same account from another address still gets in.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert login(elsewhere, learner).status_code == 302


@with_settings(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
def test_rate_limit_counts_an_account_whatever_the_case_of_its_email(client, learner):
    _failed_login(client, learner.email.upper(), "not the password!")
    _failed_login(client, learner.email, "not the password!")

    status, _ = _failed_login(client, learner.email.title(), "not the password!")

    assert status == 429


@with_settings(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
def test_login_page_itself_is_not_rate_limited(client, learner):
    for _attempt in range(2):
        _failed_login(client, learner.email, "not the password!")

    assert client.get("/login").status_code == 200


# --- CSRF on every form -----------------------------------------------------------------

FORMS = ["login", "logout", "password change", "reset request", "reset", "language"]


def _form(name: str, user: User, logged_in: Any) -> tuple[str, dict[str, str]]:
    if name == "login":
        return "/login", {"email": user.email, "password": PASSWORD}
    if name == "reset request":
        return "/account/reset", {"email": user.email}
    if name == "reset":
        token = tokens.make_token(user)
        return f"/account/reset/{token}", {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    logged_in(user)
    if name == "logout":
        return "/logout", {}
    if name == "password change":
        return "/account/password", {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        }
    return "/language", {"language": "en"}


@pytest.mark.parametrize("csrf", [None, "", "forged-token"], ids=["missing", "empty", "forged"])
@pytest.mark.parametrize("form", FORMS)
def test_every_form_refuses_a_post_without_its_csrf_token(client, learner, logged_in, form, csrf):
    path, data = _form(form, learner, logged_in)
    was_signed_in = signed_in_as(client)
    before = row_counts()
    if csrf is not None:
        data["csrf_token"] = csrf

    response = client.post(path, data=data)

    assert response.status_code == 400
    assert CSRF_REFUSED in response.get_data(as_text=True)
    assert row_counts() == before
    assert signed_in_as(client) == was_signed_in
    assert password_works(learner, PASSWORD)
    fresh()
    assert db.session.get(User, learner.id).language == "es"


def test_csrf_token_of_another_session_is_refused(app, client, learner):
    other_token = csrf_token(app.test_client())
    csrf_token(client)

    response = client.post(
        "/login", data={"email": learner.email, "password": PASSWORD, "csrf_token": other_token}
    )

    assert response.status_code == 400
    assert signed_in_as(client) is None


# --- Password change --------------------------------------------------------------------


def _change_password(client: Any, current: str, new: str, confirm: str | None = None) -> Any:
    return post_form(
        client,
        "/account/password",
        {"current_password": current, "new_password": new, "confirm": confirm or new},
    )


def test_password_change_page_needs_a_signed_in_user(client):
    response = client.get("/account/password")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account/password"


def test_password_change(client, logged_in, learner):
    logged_in(learner)

    response = _change_password(client, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert ("info", "Su contraseña se ha cambiado.") in flashes(page)
    # This browser stays signed in; the new password is the one that works.
    assert signed_in_as(client) == learner.email
    assert password_works(learner, NEW_PASSWORD)
    assert not password_works(learner, PASSWORD)
    assert audit_events("auth.password_changed")[0].actor_id == learner.id


def test_password_change_ends_the_other_sessions_and_tokens(app, client, logged_in, learner):
    other_browser = app.test_client()
    login(other_browser, learner)
    assert signed_in_as(other_browser) == learner.email
    issued = tokens.create_token(learner)
    db.session.commit()
    bearer = {"Authorization": f"Bearer {issued.token}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    logged_in(learner)

    _change_password(client, PASSWORD, NEW_PASSWORD)

    assert signed_in_as(client) == learner.email
    assert signed_in_as(other_browser) is None
    assert other_browser.get("/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    fresh()
    assert db.session.get(ApiToken, issued.record.id).revoked_at is not None


def test_password_change_with_a_wrong_current_password(client, logged_in, learner):
    logged_in(learner)

    response = _change_password(client, "not the password!", NEW_PASSWORD)

    assert response.status_code == 422
    assert "La contraseña actual no es correcta." in response.get_data(as_text=True)
    assert password_works(learner, PASSWORD)
    assert "auth.password_changed" not in audit_actions()


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("short pass", "al menos 12 caracteres"),
        ("contrasena123", "demasiado común"),
        ("ContraSeña2024", "demasiado común"),
        ("aaaaaaaaaaaaaaaa", "demasiado común"),
        ("{local} is my password", "no puede contener su dirección de correo"),
    ],
    ids=["too short", "common", "common any case", "one letter", "contains e-mail"],
)
def test_password_change_enforces_the_password_rules(
    client, logged_in, learner, new_password, message
):
    logged_in(learner)
    new_password = new_password.format(local=learner.email.split("@")[0].upper())

    response = _change_password(client, PASSWORD, new_password)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert password_works(learner, PASSWORD)
    assert signed_in_as(client) == learner.email


def test_password_change_needs_the_same_password_twice(client, logged_in, learner):
    logged_in(learner)

    response = _change_password(client, PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "!")

    assert response.status_code == 200
    assert "Las contraseñas no coinciden." in response.get_data(as_text=True)
    assert password_works(learner, PASSWORD)


# --- Password reset ---------------------------------------------------------------------


def _request_reset(client: Any, email: str) -> Any:
    return post_form(client, "/account/reset", {"email": email})


def _reset(client: Any, path: str, password: str = NEW_PASSWORD) -> Any:
    return post_form(client, path, {"new_password": password, "confirm": password})


def test_reset_request_mails_a_link_to_the_public_address(client, learner):
    response = _request_reset(client, learner.email.upper())

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    (message,) = outbox()
    assert message.recipient == learner.email
    assert message.subject == "Restablecer su contraseña de Aula Consular"
    assert message.status == "queued"
    link, _token = reset_link(message)
    assert link.startswith("https://aula.example.org/account/reset/")
    assert learner.full_name in message.body
    assert "60 minutos" in message.body


def test_reset_link_never_follows_the_host_header(client, learner):
    page = client.get("/account/reset", base_url="http://evil.example").text
    token = CSRF_PATTERN.search(page).group(1)
    client.post(
        "/account/reset",
        base_url="http://evil.example",
        data={"email": learner.email, "csrf_token": token},
    )

    (message,) = outbox()
    assert reset_link(message)[0].startswith("https://aula.example.org/")
    assert "evil.example" not in message.body


def test_reset_request_answers_the_same_for_unknown_inactive_and_known_accounts(
    app, learner, make_user
):
    inactive = make_user(active=False)
    pages = {}
    for label, email in [
        ("known", learner.email),
        ("unknown", "nobody@gt.example.org"),
        ("inactive", inactive.email),
        ("malformed", "not an e-mail"),
    ]:
        visitor = app.test_client()
        response = _request_reset(visitor, email)
        assert response.status_code == 302, label
        pages[label] = (response.headers["Location"], flashes(visitor.get("/login").text))

    assert len(set(pages.values())) == 1, pages
    assert [message.recipient for message in outbox()] == [learner.email]


def test_password_reset_with_the_mailed_link(app, client, learner):
    other_browser = app.test_client()
    login(other_browser, learner)
    _request_reset(client, learner.email)
    link, _token = reset_link(outbox()[0])
    path = link.removeprefix("https://aula.example.org")

    form = client.get(path)
    assert form.status_code == 200
    assert 'name="new_password"' in form.get_data(as_text=True)

    response = _reset(client, path)

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert password_works(learner, NEW_PASSWORD)
    assert login(app.test_client(), learner, NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), learner, PASSWORD).status_code == 200
    # Sessions opened with the old password end.
    assert signed_in_as(other_browser) is None
    assert "auth.password_reset" in audit_actions()


def test_reset_link_works_once(client, learner):
    path = f"/account/reset/{tokens.make_token(learner)}"
    assert _reset(client, path).status_code == 302

    again = client.get(path)
    assert again.status_code == 400
    assert "ya se usó" in again.get_data(as_text=True)
    assert _reset(client, path, "yet another passphrase here").status_code == 400
    assert password_works(learner, NEW_PASSWORD)


def test_reset_link_expires(client, learner, monkeypatch):
    two_hours_ago = int(time.time()) - 7200
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: two_hours_ago)
    path = f"/account/reset/{tokens.make_token(learner)}"
    monkeypatch.undo()

    response = client.get(path)

    assert response.status_code == 400
    assert "El enlace ha caducado" in response.get_data(as_text=True)
    assert _reset(client, path).status_code == 400
    assert password_works(learner, PASSWORD)


@with_settings(PASSWORD_RESET_MAX_AGE=120)
def test_reset_link_is_valid_until_its_age_limit(client, learner, monkeypatch):
    a_minute_ago = int(time.time()) - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: a_minute_ago)
    path = f"/account/reset/{tokens.make_token(learner)}"
    monkeypatch.undo()

    assert _reset(client, path).status_code == 302


def _tampered(token: str, how: str, app: Any) -> str:
    if how == "changed character":
        position = len(token) // 2
        return token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
    if how == "cut short":
        return token[:-3]
    if how == "other secret":
        return URLSafeTimedSerializer("another secret key", salt="password-reset").dumps(
            {"u": 1, "f": "0"}
        )
    if how == "other salt":
        return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps({"u": 1})
    return "not-a-token"


@pytest.mark.parametrize(
    "how", ["changed character", "cut short", "other secret", "other salt", "garbage"]
)
def test_tampered_reset_link_is_refused(app, client, learner, how):
    path = f"/account/reset/{_tampered(tokens.make_token(learner), how, app)}"

    page = client.get(path)
    assert page.status_code == 400
    assert "no es válido" in page.get_data(as_text=True)
    assert "Pedir un enlace nuevo" in page.get_data(as_text=True)
    assert _reset(client, path).status_code == 400
    assert password_works(learner, PASSWORD)


def test_overlong_reset_link_is_refused(client):
    response = client.get("/account/reset/" + "a" * 501)

    assert response.status_code == 400


def test_reset_link_of_a_deactivated_account_is_refused(client, learner):
    path = f"/account/reset/{tokens.make_token(learner)}"
    users.deactivate(learner, actor=None)
    db.session.commit()

    assert client.get(path).status_code == 400


def test_reset_enforces_the_password_rules_and_keeps_the_link(client, learner):
    path = f"/account/reset/{tokens.make_token(learner)}"

    response = _reset(client, path, "too short")

    assert response.status_code == 422
    assert "al menos 12 caracteres" in response.get_data(as_text=True)
    assert password_works(learner, PASSWORD)
    assert _reset(client, path).status_code == 302


def test_reset_of_another_users_link_changes_only_that_user(client, learner, make_user):
    other = make_user()
    path = f"/account/reset/{tokens.make_token(other)}"

    _reset(client, path)

    assert password_works(other, NEW_PASSWORD)
    assert password_works(learner, PASSWORD)
