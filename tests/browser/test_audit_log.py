"""The audit log in a real browser: a coordinator opens it from the navigation, filters
it and downloads it; axe checks the page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.factories import PASSWORD
from tests.reports.test_audit_log import Log, log  # noqa: F401


def test_coordinator_filters_the_log_and_downloads_it(
    page: Page,
    live_server: LiveServer,
    log: Log,  # noqa: F811
) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(log.coordinator.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/")

    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Auditoría").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registro de auditoría")
    table = page.get_by_role(
        "table", name="Acciones registradas, de la más reciente a la más antigua"
    )
    expect(table).to_contain_text("certificate.revoked")
    expect(table).not_to_contain_text("Taller de Monterrey")
    assert_accessible(page)

    page.get_by_label("Acción", exact=True).fill("cohort")
    page.get_by_label("Hasta").fill("2020-12-31")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.get_by_label("Acción", exact=True)).to_have_value("cohort")
    expect(table).to_contain_text("Taller de Tapachula")
    expect(table).not_to_contain_text("certificate.revoked")
    expect(page.get_by_text("2 acciones")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV · Descargar el registro filtrado").click()
    download = download_info.value
    assert download.suggested_filename.startswith("audit-events-GT-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_bytes().decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["cohort.members_added", "cohort.created"]
