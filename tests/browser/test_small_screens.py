"""Phones: at 320 and 390 pixels wide, the header of a coordinator (the longest menu)
takes one line of navigation with the menu closed and opens it on demand, and the
dashboard's next-step button stays one box however long the module title."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.browser.test_coordination import sign_in
from tests.content_helpers import synced_content  # noqa: F401
from training.catalog.models import Module, ModuleVersion
from training.extensions import db

WIDTHS = (320, 390)


@pytest.fixture
def browser_context_args(live_server: LiveServer) -> dict[str, Any]:
    return {"base_url": live_server.base_url, "locale": "es-ES"}


LONG_TITLE = {
    "es": "Trata de personas y tráfico ilícito de migrantes: conceptos y diferencias",
    "en": "Trafficking in persons and migrant smuggling: concepts and differences",
}


def _give_the_first_module_a_long_title(modules: dict[str, Module]) -> None:
    """The shipped curriculum's longest title, on the test module the dashboard offers."""
    version = db.session.scalars(
        db.select(ModuleVersion).where(ModuleVersion.module_id == modules["alfa"].id)
    ).one()
    version.title = LONG_TITLE
    db.session.commit()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_coordinators_menu_is_one_line_until_opened(
    page: Page,
    live_server: LiveServer,
    make_user: Any,
    synced_content: Any,  # noqa: F811
    width: int,
) -> None:
    page.set_viewport_size({"width": width, "height": 740})
    coordinator = make_user(roles=["coordinator", "learner"], ministry="GT")
    sign_in(page, coordinator.email)

    header = page.locator(".site-header")
    menu_button = page.locator(".nav-menu > summary")
    expect(menu_button).to_be_visible()
    reports = page.get_by_role("link", name="Informes", exact=True)
    expect(reports).to_be_hidden()
    # The closed header is the brand, the menu button and the language form: at most
    # two short rows, never the nine links of a coordinator.
    closed_height = header.bounding_box()["height"]
    assert closed_height <= 110, closed_height
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)

    menu_button.click()
    expect(reports).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    reports.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Informe")


def test_the_menu_is_a_plain_row_of_links_on_a_wide_screen(
    page: Page,
    live_server: LiveServer,
    make_user: Any,
    synced_content: Any,  # noqa: F811
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    coordinator = make_user(roles=["coordinator", "learner"], ministry="GT")
    sign_in(page, coordinator.email)
    expect(page.locator(".nav-menu > summary")).to_be_hidden()
    expect(page.get_by_role("link", name="Informes", exact=True)).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_next_step_button_is_one_box(
    page: Page,
    live_server: LiveServer,
    make_user: Any,
    synced_content: Any,  # noqa: F811
    width: int,
) -> None:
    page.set_viewport_size({"width": width, "height": 740})
    _give_the_first_module_a_long_title(synced_content)
    learner = make_user(roles=["learner"], ministry="GT")
    sign_in(page, learner.email)
    button = page.locator(".next-step .button")
    expect(button).to_have_text(LONG_TITLE["es"])
    # An inline box broken across lines has one rectangle per line, with the label
    # separated from its own background; a block or inline-block box has one.
    assert page.eval_on_selector(".next-step .button", "e => e.getClientRects().length") == 1
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
