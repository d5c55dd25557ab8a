"""The CRM indicators page and the account page's answer on sex in a real browser, wide
and on a phone: reached from the navigation, the period and ministry chosen with the
form, the tables named by their captions; axe finds nothing on any of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.browser.test_coordination import sign_in
from tests.content_helpers import synced_content  # noqa: F401
from tests.factories import complete_module_at, create_post_for
from training.accounts.models import User
from training.catalog.models import Module
from training.database import utcnow
from training.extensions import db

WIDTHS = (1280, 390)


@pytest.fixture
def browser_context_args(live_server: LiveServer) -> dict[str, Any]:
    return {"base_url": live_server.base_url, "locale": "es-ES"}


def open_menu_link(page: Page, name: str, width: int) -> None:
    if width < 640:
        page.locator(".nav-menu > summary").click()
    page.get_by_role("navigation", name="Principal").get_by_role(
        "link", name=name, exact=True
    ).click()


@pytest.fixture
def trained(make_user: Any, synced_content: Any) -> list[User]:  # noqa: F811
    """Seven people of Guatemala at a post in Mexico who completed a module a minute
    ago (this quarter): six women and one man, whose figure is too small to show."""
    post = create_post_for("GT", country="MX")
    module_id = db.session.scalars(db.select(Module.id).where(Module.slug == "alfa")).one()
    people = []
    for n in range(7):
        person = make_user(ministry="GT", post=post, password=None)
        person.sex = "male" if n == 0 else "female"
        db.session.commit()
        complete_module_at(person, module_id, utcnow() - timedelta(minutes=1))
        people.append(person)
    return people


@pytest.mark.parametrize("width", WIDTHS)
def test_a_coordinator_reads_the_indicators(
    page: Page, live_server: LiveServer, make_user: Any, trained: list[User], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    coordinator = make_user(roles=["coordinator", "learner"], ministry="GT")
    sign_in(page, coordinator.email)
    open_menu_link(page, "Indicadores CRM", width)
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicadores CRM")
    expect(page.locator("#indicator-scope")).to_contain_text("Guatemala")
    totals = page.get_by_role("table", name="Totales:")
    expect(totals).to_contain_text("7")
    by_sex = page.locator("#by-sex")
    expect(by_sex.locator("caption")).to_contain_text("Por sexo")
    # One man: suppressed, and the six women with him (else 7 - 6 gives him back).
    expect(by_sex.get_by_role("row", name="Hombre")).to_contain_text("dato suprimido")
    expect(by_sex.get_by_role("row", name="Mujer")).to_contain_text("dato suprimido")
    expect(page.get_by_label("Ministerio", exact=True)).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)

    year = str(utcnow().year)
    page.get_by_label("Periodo").select_option(value=year)
    page.get_by_role("button", name="Ver").click()
    page.wait_for_url(f"**/reports/indicators?period={year}")
    expect(page.locator("#indicator-scope")).to_contain_text(f"Año {year}")
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_secretariat_chooses_a_ministry(
    page: Page, live_server: LiveServer, make_user: Any, trained: list[User], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    regional = make_user(roles=["regional"], ministry="CR")
    sign_in(page, regional.email)
    open_menu_link(page, "Indicadores CRM", width)
    expect(page.locator("#indicator-scope")).to_contain_text("Región")
    expect(page.locator("#by-ministry caption")).to_contain_text("Por ministerio")
    assert_accessible(page)
    page.get_by_label("Ministerio", exact=True).select_option(value="GT")
    page.get_by_role("button", name="Ver").click()
    page.wait_for_url("**ministry=GT**")
    expect(page.locator("#indicator-scope")).to_contain_text("Guatemala")
    expect(page.locator("#by-ministry")).to_have_count(0)
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_learner_answers_on_their_account_page(
    page: Page, live_server: LiveServer, make_user: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    learner = make_user(roles=["learner"], ministry="GT")
    sign_in(page, learner.email)
    open_menu_link(page, "Mi cuenta", width)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mi cuenta")
    group = page.get_by_role("group", name="Sexo (opcional)")
    expect(group.get_by_label("No responder")).to_be_checked()
    assert_accessible(page)
    group.get_by_label("Prefiero no decirlo").check()
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("Sus datos se han guardado.")).to_be_visible()
    expect(
        page.get_by_role("group", name="Sexo (opcional)").get_by_label("Prefiero no decirlo")
    ).to_be_checked()
    assert_accessible(page)
    db.session.expire_all()
    assert db.session.get(User, learner.id).sex == "prefer_not_to_say"
