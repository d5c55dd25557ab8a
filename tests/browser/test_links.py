"""IOM's virtual course in a real browser: a learner follows it from the dashboard through
/go, reports completing it with a small PDF, and a coordinator verifies it; axe checks
every page of the registry on the way. No request ever leaves 127.0.0.1: Playwright
cannot intercept a redirect the server sends, so the test intercepts /go itself, lets
the live server answer it (the launch is recorded, the redirect checked) and shows a
stand-in for IOM's site instead of following the redirect."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.factories import PASSWORD
from tests.helpers import fresh
from training.extensions import db
from training.links.models import ExternalCompletion, ExternalLaunch
from training.system.demo_courses import seed_demo_courses

IOM_URL = "https://www.ecampus.iom.int/"
IOM_TITLE = "Curso virtual sobre trata de personas (OIM)"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
STAND_IN = (
    "<!doctype html><html lang='en'><head><title>IOM e-Campus</title></head>"
    "<body><main><h1>IOM e-Campus (stand-in)</h1></main></body></html>"
)


def sign_in(page: Page, user: Any) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(user.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenida o bienvenido")


def test_learner_follows_reports_and_coordinator_verifies(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    app: Flask,
    make_user: Any,
    tmp_path: Path,
) -> None:
    app.config["EVIDENCE_PATH"] = str(tmp_path / "evidence")
    learner = make_user(roles=["learner"], ministry="GT", full_name="Lucía Ixchel Tzul")
    coordinator = make_user(roles=["coordinator", "learner"], ministry="GT")
    course = seed_demo_courses(credit_ministry_ids=[learner.ministry_id])
    db.session.commit()

    outside: list[str] = []
    redirects: list[tuple[int, str | None]] = []

    def refuse(route: Route) -> None:
        outside.append(route.request.url)
        route.abort()

    def go(route: Route) -> None:
        response = route.fetch(max_redirects=0)
        redirects.append((response.status, response.headers.get("location")))
        route.fulfill(status=200, content_type="text/html", body=STAND_IN)

    # Routes registered later are tried first.
    context.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/)"), refuse)
    context.route(re.compile(r"^http://127\.0\.0\.1:\d+/go/"), go)

    # The learner finds the course on the dashboard and follows it.
    sign_in(page, learner)
    section = page.get_by_role("region", name="Cursos complementarios")
    expect(section).to_contain_text("Cuenta para el programa")
    assert_accessible(page)
    section.get_by_role("link", name=IOM_TITLE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("IOM e-Campus (stand-in)")
    assert redirects == [(302, IOM_URL)]
    fresh()
    launch = db.session.scalars(db.select(ExternalLaunch)).one()
    assert (launch.user_id, launch.course_id) == (learner.id, course.id)

    # Back on the site, they report completing it, with the certificate as a PDF.
    page.goto("/")
    page.get_by_role("link", name=re.compile("^Informar de que lo terminé")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(IOM_TITLE)
    assert_accessible(page)
    page.get_by_label("Fecha en que lo terminó (opcional)").fill("2026-03-10")
    page.get_by_label("Comprobante (opcional)").set_input_files(
        {"name": "certificado-oim.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_label("Comentario para su coordinación (opcional)").fill("Terminado en marzo")
    page.get_by_role("button", name="Informar de que lo terminé").click()
    expect(page.locator(".flash")).to_have_text(
        "Gracias. Su coordinación revisará la finalización."
    )
    expect(page.get_by_role("region", name="Su finalización")).to_contain_text(
        "Pendiente de verificación"
    )
    assert_accessible(page)
    page.goto("/external-courses")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cursos complementarios")
    assert_accessible(page)
    page.get_by_role("button", name="Cerrar sesión").click()

    # The coordinator checks the registry, opens the evidence and verifies.
    sign_in(page, coordinator)
    page.get_by_role("link", name="Registro de cursos externos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registro de cursos externos")
    assert_accessible(page)
    page.get_by_role("link", name="Finalizaciones por verificar").click()
    row = page.get_by_role("row").filter(has_text=learner.full_name)
    expect(row).to_contain_text("Terminado en marzo")
    assert_accessible(page)
    with page.expect_download() as download:
        row.get_by_role("link", name=re.compile("^Descargar el comprobante")).click()
    assert Path(download.value.path()).read_bytes() == PDF
    row.get_by_role("button", name=re.compile("^Verificar")).click()
    expect(page.locator(".flash")).to_have_text("Finalización verificada.")
    assert_accessible(page)

    for path in (
        "/coordination/external-report",
        "/coordination/external-courses/new",
        f"/coordination/external-courses/{course.id}/edit",
        f"/coordination/external-courses/{course.id}/checks",
        f"/coordination/external-courses/{course.id}/import",
    ):
        response = page.goto(path)
        assert response is not None and response.status in (200, 403), path
        if response.status == 200:
            assert_accessible(page)

    fresh()
    completion = db.session.scalars(db.select(ExternalCompletion)).one()
    assert (completion.status, completion.reviewed_by_id) == ("verified", coordinator.id)
    assert outside == []
