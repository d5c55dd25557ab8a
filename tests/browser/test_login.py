"""A learner signs in with the keyboard, changes the language and signs out."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.factories import PASSWORD
from tests.helpers import fresh


def test_learner_signs_in_changes_language_and_signs_out(
    page: Page, live_server: LiveServer, make_user: Any
) -> None:
    user = make_user(roles=["learner"], ministry="GT", full_name="Ana María Pérez López")
    email = user.email

    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Iniciar sesión")
    assert_accessible(page)

    page.get_by_label("Correo electrónico").fill(email)
    password = page.get_by_label("Contraseña")
    password.fill(PASSWORD)
    password.press("Enter")

    expect(page).to_have_url(live_server.url("/"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Bienvenida o bienvenido, Ana María Pérez López")
    assert_accessible(page)

    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("button", name="Cambiar").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Welcome, Ana María Pérez López")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Home")
    fresh()
    assert user.language == "en"  # the choice is kept on the account

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_server.url("/login"))
    expect(page.get_by_label("Contraseña")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(live_server.url("/login?next=/"))
