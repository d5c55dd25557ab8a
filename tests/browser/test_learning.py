"""A learner's day in a real browser: read a module, fail the quiz, retry, pass, and see
the module completed and the dashboard updated; in Spanish and in English, with axe
checking every learner page on the way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask_babel import force_locale
from flask_babel import gettext as babel_gettext
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.content_helpers import synced_content  # noqa: F401
from tests.factories import PASSWORD

# The fixture content's answers, by the text of the choices, per language.
WRONG = {
    "es": ["Dos", "Falso", "Viaja sin compañía"],
    "en": ["Two", "False", "Travels alone"],
}
RIGHT = {
    "es": [
        "Tres",
        "Verdadero",
        "Otra persona guarda su pasaporte",
        "Una deuda que no deja de crecer",
    ],
    "en": ["Three", "True", "Someone else keeps their passport", "A debt that keeps growing"],
}


def t(language: str, text: str, **values: Any) -> str:
    """The interface text as the site shows it in ``language`` (from the catalogues)."""
    with force_locale(language):
        return str(babel_gettext(text, **values))


def answer(page: Page, choices: list[str]) -> None:
    for text in choices:
        page.get_by_label(text, exact=True).check()


@pytest.mark.parametrize("language", ["es", "en"])
def test_read_fail_retry_pass_and_see_progress(
    page: Page,
    live_server: LiveServer,
    make_user: Any,
    synced_content: Any,  # noqa: F811
    language: str,
) -> None:
    user = make_user(roles=["learner"], language=language, full_name="Lucía Ixchel Tzul")
    # The browser asks for Spanish; an English-speaking learner arrives by a link in
    # English, and after signing in their account's language rules.
    page.goto(f"/login?lang={language}")
    page.get_by_label(t(language, "Correo electrónico")).fill(user.email)
    page.get_by_label(t(language, "Contraseña")).fill(PASSWORD)
    page.get_by_role("button", name=t(language, "Entrar")).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)

    page.get_by_role("link", name=t(language, "Módulos"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(language, "Módulos"))
    expect(page.locator(".lock")).to_contain_text(
        t(
            language,
            "Complete primero: %(modules)s",
            modules="Módulo alfa" if language == "es" else "Module alfa",
        )
    )
    assert_accessible(page)

    title = "Módulo alfa" if language == "es" else "Module alfa"
    page.get_by_role("link", name=title).click()
    assert_accessible(page)
    # Each click starts a navigation: wait for the new page before checking it.
    page.get_by_role("link", name=t(language, "Ayuda de trabajo para imprimir")).click()
    expect(page).to_have_url(re.compile(r"/modules/alfa/job-aid$"))
    assert_accessible(page)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/modules/alfa$"))

    page.get_by_role("link", name="Lección 1" if language == "es" else "Lesson 1").click()
    expect(page).to_have_url(re.compile(r"/modules/alfa/lessons/1$"))
    assert_accessible(page)
    for number in (2, 3):
        page.get_by_role("button", name=t(language, "Marcar como leída y seguir")).click()
        # Wait for the next lesson: a click found on the page being left is lost.
        expect(page).to_have_url(re.compile(rf"/lessons/{number}$"))
    page.get_by_role("button", name=t(language, "Marcar como leída y volver al módulo")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".lesson-list .badge-done")).to_have_count(3)

    page.get_by_role("button", name=t(language, "Empezar el cuestionario")).click()
    assert_accessible(page)
    answer(page, WRONG[language])
    page.get_by_role("button", name=t(language, "Entregar"), exact=True).click()
    expect(page.locator(".result h2")).to_contain_text(t(language, "No aprobado"))
    expect(page.locator(".explanation").first).to_be_visible()
    assert_accessible(page)

    # A retake waits until the learner has reopened the lessons of the objectives missed.
    page.get_by_role("link", name=t(language, "Volver al módulo")).click()
    hold = page.locator("#retake-hold")
    reopen = (
        "Antes de volver a intentarlo, abra de nuevo las lecciones de los objetivos que no alcanzó:"
    )
    expect(hold).to_contain_text(t(language, reopen))
    expect(page.get_by_role("button", name=t(language, "Empezar el cuestionario"))).to_have_count(0)
    assert_accessible(page)
    for href in hold.get_by_role("link").evaluate_all("links => links.map(link => link.href)"):
        page.goto(href)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto("/modules/alfa")
    expect(hold).to_have_count(0)
    page.get_by_role("button", name=t(language, "Empezar el cuestionario")).click()
    answer(page, RIGHT[language])
    page.get_by_role("button", name=t(language, "Entregar"), exact=True).click()
    expect(page.locator(".result h2")).to_have_text(f"{t(language, 'Aprobado')}: 100 %")

    page.get_by_role("link", name=t(language, "Volver al módulo")).click()
    expect(page.locator("main").get_by_text(t(language, "Completado")).first).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("100 %")

    page.get_by_role("link", name=t(language, "Inicio"), exact=True).click()
    expect(
        page.get_by_text(t(language, "%(done)d de %(total)d módulos completados", done=1, total=2))
    ).to_be_visible()
    assert_accessible(page)
