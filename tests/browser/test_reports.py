"""A coordinator's report in a real browser: open it from the navigation, filter by post,
download the CSV; the item analysis and the regional dashboard; axe checks every page."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.certificates.conftest import program  # noqa: F401
from tests.content_helpers import synced_content  # noqa: F401
from tests.factories import PASSWORD
from tests.reports.conftest import World, add_learners, world  # noqa: F401


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/")


def test_coordinator_filters_by_post_and_downloads_the_csv(
    page: Page,
    live_server: LiveServer,
    world: World,  # noqa: F811
) -> None:
    sign_in(page, world.coordinator.email)
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Informes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Informes del ministerio")
    table = page.get_by_role("table", name="Avance por persona y módulo")
    expect(table).to_contain_text(world.carla.full_name)
    assert_accessible(page)

    page.get_by_label("Puesto", exact=True).select_option(label=world.post_a.name)
    page.get_by_role("button", name="Filtrar").click()
    expect(page).to_have_url(re.compile(rf"/coordination/reports\?.*post={world.post_a.id}&"))
    expect(page.get_by_label("Puesto", exact=True)).to_have_value(str(world.post_a.id))
    expect(table).to_contain_text(world.ana.full_name)
    expect(table).not_to_contain_text(world.carla.full_name)
    expect(page.get_by_text("4 filas")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV · Descargar el informe completo").click()
    download = download_info.value
    assert download.suggested_filename.startswith("completion-GT-")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][1] == "Nombre" and len(rows) == 1 + 4
    assert {row[1] for row in rows[1:]} == {world.ana.full_name, world.beto.full_name}

    page.get_by_role("link", name="Análisis de preguntas de los cuestionarios").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Análisis de preguntas")
    expect(page.get_by_role("table")).to_contain_text("q01")
    assert_accessible(page)


def test_regional_dashboard_is_accessible(
    page: Page,
    live_server: LiveServer,
    world: World,  # noqa: F811
    make_user: Any,
) -> None:
    regional = make_user(roles=["regional"], ministry="CR")
    sign_in(page, regional.email)
    page.get_by_role("link", name="Cifras regionales").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cifras regionales")
    expect(page.get_by_role("table", name="Cifras por ministerio", exact=True)).to_contain_text(
        "(GT)"
    )
    assert_accessible(page)
    content = page.content()
    for person in world.people:
        assert person.full_name not in content


def test_coordinator_pages_through_a_long_table(
    page: Page,
    live_server: LiveServer,
    world: World,  # noqa: F811
) -> None:
    """Past one page of the per-person table: numbered links, the current page marked
    for assistive technology, previous and next; the summaries still count everyone."""
    add_learners("GT", 120, tag="paged")
    sign_in(page, world.coordinator.email)
    page.goto("/coordination/reports")
    pager = page.get_by_role("navigation", name="Páginas del informe")
    expect(pager.locator('[aria-current="page"]')).to_have_text("1")
    assert_accessible(page)

    pager.get_by_role("link", name=re.compile(r"^Página 2 de \d+$")).click()
    expect(page).to_have_url(re.compile(r"/coordination/reports\?page=2$"))
    pager = page.get_by_role("navigation", name="Páginas del informe")
    expect(pager.locator('[aria-current="page"]')).to_have_text("2")
    expect(pager.get_by_role("link", name="Página anterior")).to_be_visible()
    # 120 learners without a post, eva and the coordinator: every page's people count.
    expect(page.get_by_role("table", name="Avance por puesto")).to_contain_text("122")
    assert_accessible(page)

    pager.get_by_role("link", name="Página siguiente").click()
    expect(page).to_have_url(re.compile(r"/coordination/reports\?page=3$"))
    expect(
        page.get_by_role("navigation", name="Páginas del informe").locator('[aria-current="page"]')
    ).to_have_text("3")
