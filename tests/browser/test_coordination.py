"""A coordinator's main path in a real browser: import staff from a CSV, create a cohort,
add the imported staff, open the cohort; axe checks every coordinator page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.content_helpers import synced_content  # noqa: F401
from tests.factories import PASSWORD, create_post_for


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/")


def test_import_staff_create_a_cohort_and_fill_it(
    page: Page,
    live_server: LiveServer,
    make_user: Any,
    synced_content: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    create_post_for("GT", name="Consulado General en Tapachula")
    coordinator = make_user(roles=["coordinator", "learner"], ministry="GT")
    sign_in(page, coordinator.email)

    page.get_by_role("link", name="Personal", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal del ministerio")
    assert_accessible(page)
    csv_file = tmp_path / "personal.csv"
    csv_file.write_text(
        "email;full_name;post;language;role\n"
        "rosa.tzoc@minex.gob.gt;Rosa Tzoc Pérez;Consulado General en Tapachula;es;learner\n"
        "luis.ochoa@minex.gob.gt;Luis Ochoa;Consulado General en Tapachula;en;learner\n",
        encoding="utf-8-sig",
    )
    page.get_by_label("Archivo CSV").set_input_files(str(csv_file))
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_role("heading", level=2, name="Vista previa")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Archivo CSV").set_input_files(str(csv_file))
    page.get_by_label("Importar si todas las filas son válidas").check()
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text("Nuevas: 2")).to_be_visible()
    expect(page.get_by_role("cell", name="Rosa Tzoc Pérez")).to_be_visible()

    page.get_by_role("link", name="Grupos", exact=True).click()
    assert_accessible(page)
    page.get_by_label("Nombre").fill("Taller de Tapachula 2026")
    page.get_by_label("Inicio").fill("2026-06-01")
    page.get_by_label("Fecha límite").fill("2026-12-15")
    page.get_by_role("button", name="Crear el grupo").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Taller de Tapachula 2026")
    page.get_by_label("Todo el personal activo de un puesto").select_option(
        label="Consulado General en Tapachula"
    )
    page.get_by_role("button", name="Añadir el puesto").click()
    expect(page.get_by_text("2 personas añadidas al grupo.")).to_be_visible()
    expect(page.get_by_role("cell", name="Luis Ochoa")).to_be_visible()
    assert_accessible(page)
