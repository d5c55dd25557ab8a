"""Which language a page or message is in: parameter, account, switch, browser, Spanish."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.helpers import post_form
from training.i18n import select_locale

LOGIN_PAGE = {
    "es": [
        "Iniciar sesión",
        "Correo electrónico",
        "Contraseña",
        "Entrar",
        "¿Olvidó su contraseña?",
    ],
    "en": ["Sign in", "E-mail", "Password", "Forgot your password?"],
    "fr": ["Se connecter", "Courriel", "Mot de passe", "Mot de passe oublié ?"],
}


def language_of(response) -> str:
    page = response.get_data(as_text=True)
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("language", ["es", "en", "fr"])
def test_the_login_page_in_each_language(client, language):
    page = client.get(f"/login?lang={language}").get_data(as_text=True)

    assert f'<html lang="{language}">' in page
    for text in LOGIN_PAGE[language]:
        assert text in page, text
    if language != "es":
        assert "Iniciar sesión" not in page
        assert "¿Olvidó su contraseña?" not in page


def test_spanish_is_the_default(client):
    assert language_of(client.get("/login")) == "es"


@pytest.mark.parametrize(
    ("accept", "language"),
    [
        ("en-US,en;q=0.9", "en"),
        ("fr-CA", "fr"),
        ("de-DE, fr;q=0.5", "fr"),
        ("de-DE", "es"),
        ("es-GT,es;q=0.9,en;q=0.5", "es"),
    ],
)
def test_accept_language_is_followed(client, accept, language):
    response = client.get("/login", headers={"Accept-Language": accept})

    assert language_of(response) == language


def test_lang_parameter_wins_over_accept_language(client):
    response = client.get("/login?lang=fr", headers={"Accept-Language": "en"})

    assert language_of(response) == "fr"


@pytest.mark.parametrize("lang", ["de", "", "EN", "en-US"])
def test_unknown_lang_parameters_are_ignored(client, lang):
    response = client.get("/login", query_string={"lang": lang}, headers={"Accept-Language": "en"})

    assert language_of(response) == "en"


def test_the_language_switch_wins_over_accept_language(client):
    post_form(client, "/language", {"language": "fr"}, token_from="/login")

    response = client.get("/login", headers={"Accept-Language": "en"})

    assert language_of(response) == "fr"
    assert language_of(client.get("/login?lang=en")) == "en"


def test_the_users_language_wins_over_the_switch_and_the_browser(client, make_user):
    user = make_user(language="en")
    post_form(client, "/language", {"language": "fr"}, token_from="/login")
    # The visitor's choice is kept through sign-in, but the account's language decides,
    login(client, user)

    response = client.get("/", headers={"Accept-Language": "fr"})

    assert language_of(response) == "en"
    # except for an explicit lang parameter.
    assert language_of(client.get("/?lang=es")) == "es"


def test_api_messages_follow_the_users_language(client, api_token, make_user):
    user = make_user(language="fr")

    response = client.get("/api/v1/auth/tokens/current", headers=api_token(user))

    assert response.status_code == 405
    assert response.get_json()["message"] == "Méthode non autorisée."


def test_outside_a_request_the_default_language_is_used(app):
    assert select_locale() == "es"
    app.config["DEFAULT_LANGUAGE"] = "fr"
    assert select_locale() == "fr"
