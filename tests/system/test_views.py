"""The dashboard, the language switch, the API documentation page and the favicon."""

from __future__ import annotations

import pytest

from tests.factories import create_post_for
from tests.helpers import fresh, post_form
from training.accounts.models import User
from training.extensions import db


def test_dashboard_shows_the_users_ministry_post_and_roles(client, logged_in, make_user):
    post = create_post_for("GT", name="Consulado General de Guatemala en Tapachula")
    user = make_user(roles=["coordinator", "learner"], post=post, full_name="Ana Lucía Coyoy")
    logged_in(user)

    page = client.get("/").get_data(as_text=True)

    assert "Bienvenida o bienvenido, Ana Lucía Coyoy" in page
    assert "Ministerio de Relaciones Exteriores de Guatemala" in page
    assert "Consulado General de Guatemala en Tapachula" in page
    assert "Participante" in page
    assert "Coordinación de formación" in page
    assert 'action="/logout"' in page


def test_dashboard_without_a_post(client, logged_in, learner):
    logged_in(learner)

    assert "Sin puesto asignado" in client.get("/").get_data(as_text=True)


def test_dashboard_in_the_users_language(client, logged_in, make_user):
    logged_in(make_user(language="en", ministry="CA"))

    page = client.get("/").get_data(as_text=True)

    assert '<html lang="en">' in page
    assert "Global Affairs Canada" in page


def test_dashboard_sends_visitors_to_sign_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/"


def test_language_switch_for_a_visitor(client):
    response = post_form(
        client, "/language", {"language": "fr", "next": "/login"}, token_from="/login"
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert '<html lang="fr">' in client.get("/login").get_data(as_text=True)


def test_language_switch_is_saved_on_the_account(client, logged_in, learner):
    logged_in(learner)

    post_form(client, "/language", {"language": "en"}, token_from="/")

    fresh()
    assert db.session.get(User, learner.id).language == "en"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("language", ["de", "", "ES", "e\u0301s"])
def test_language_switch_ignores_unknown_languages(client, logged_in, learner, language):
    logged_in(learner)

    response = post_form(client, "/language", {"language": language}, token_from="/")

    assert response.status_code == 302
    fresh()
    assert db.session.get(User, learner.id).language == "es"
    with client.session_transaction() as session:
        assert "language" not in session


@pytest.mark.parametrize(
    ("next_page", "location"),
    [
        ("/account/password", "/account/password"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("", "/"),
    ],
)
def test_language_switch_returns_only_to_this_site(client, next_page, location):
    response = post_form(
        client, "/language", {"language": "en", "next": next_page}, token_from="/login"
    )

    assert response.headers["Location"] == location


def test_api_docs_page_lists_every_operation(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'href="/api/v1/openapi.json"' in page
    for method, path in [
        ("POST", "/api/v1/auth/tokens"),
        ("DELETE", "/api/v1/auth/tokens/current"),
        ("GET", "/api/v1/me"),
        ("GET", "/healthz"),
    ]:
        assert f"<td><code>{method}</code></td><td><code>{path}</code></td>" in page


def test_api_docs_page_is_translated(client):
    page = client.get("/api/docs?lang=en").get_data(as_text=True)

    assert '<html lang="en">' in page
    assert "<h1>API for integrations</h1>" in page
    assert "<caption>Operations</caption>" in page


def test_favicon_points_to_the_svg(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response.headers["Location"] == "/static/favicon.svg"
    assert client.get("/static/favicon.svg").status_code == 200
