"""A scenario item in a real browser with JavaScript turned off: one step per page, the
decisions kept by the server, an unsafe decision ending the case, and the review
walking back through the path."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.content_helpers import scenario_content  # noqa: F401
from tests.factories import PASSWORD


@pytest.fixture
def browser_context_args(live_server: LiveServer) -> dict[str, Any]:
    """No JavaScript at all: the case must work with plain forms."""
    return {
        "base_url": live_server.base_url,
        "locale": "es-ES",
        "viewport": {"width": 1280, "height": 800},
        "java_script_enabled": False,
    }


def sign_in_and_start(page: Page, user: Any) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(user.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.goto("/modules/alfa")
    page.get_by_role("button", name="Empezar el cuestionario").click()


def decide(page: Page, option: str) -> None:
    page.get_by_label(option, exact=True).check()
    page.get_by_role("button", name="Decidir y seguir").click()


def submit(page: Page) -> None:
    page.get_by_label("Tres", exact=True).check()
    page.get_by_label("Verdadero", exact=True).check()
    page.get_by_role("button", name="Entregar", exact=True).click()


def test_a_safe_walk_through_the_case_passes_and_the_review_retraces_it(
    page: Page,
    live_server: LiveServer,
    make_user: Any,
    scenario_content: Any,  # noqa: F811
) -> None:
    sign_in_and_start(page, make_user(roles=["learner"]))
    case = page.locator("fieldset.scenario")
    expect(case).to_contain_text("El empleador quiere estar presente en la entrevista.")
    expect(case).not_to_contain_text("Ella cuenta que le retienen el pasaporte")

    decide(page, "La entrevista a solas en una sala privada")
    expect(case).to_contain_text("Ella cuenta que le retienen el pasaporte")
    # The decision taken is shown, and there is no way to change it.
    expect(case.locator(".scenario-path")).to_contain_text(
        "La entrevista a solas en una sala privada"
    )
    expect(page.get_by_label("La entrevista con el empleador presente")).to_have_count(0)

    decide(page, "Le explica sus derechos sin presionarla")
    decide(page, "Coordina un refugio seguro para esta noche")
    expect(case).to_contain_text("El caso ha terminado.")
    expect(page.get_by_role("button", name="Decidir y seguir")).to_have_count(0)

    submit(page)
    expect(page.locator(".result h2")).to_have_text("Aprobado: 100 %")
    review = page.locator(".results .scenario-path li")
    expect(review).to_have_count(3)
    expect(review.nth(0)).to_contain_text("Bien: puede hablar sin miedo.")
    expect(review.nth(2)).to_contain_text("Bien: primero su seguridad.")


def test_an_unsafe_decision_ends_the_case_and_fails_the_item(
    page: Page,
    live_server: LiveServer,
    make_user: Any,
    scenario_content: Any,  # noqa: F811
) -> None:
    sign_in_and_start(page, make_user(roles=["learner"]))
    decide(page, "La entrevista a solas en una sala privada")
    decide(page, "Llama al empleador por el pasaporte")
    case = page.locator("fieldset.scenario")
    expect(case).to_contain_text("El caso ha terminado.")
    expect(case).not_to_contain_text("Acepta ayuda, pero teme volver")  # st3 never shown
    expect(case).not_to_contain_text("riesgo")  # not said before grading

    # The server keeps the path: the page read again shows the case still ended.
    page.reload()
    expect(page.locator("fieldset.scenario")).to_contain_text("El caso ha terminado.")

    submit(page)
    expect(page.locator(".result h2")).to_have_text("No aprobado: 67 %")
    last = page.locator(".results .scenario-path li").last
    expect(last).to_contain_text("Pone a la persona en riesgo")
    expect(last).to_contain_text("Peligroso: alerta a quien la explota.")
    expect(page.locator(".results .scenario-path li")).to_have_count(2)
