"""The report pages: the coordinators' report and item analysis, the regional dashboard."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.reports.conftest import World, add_learners


def page(client: Any, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def test_the_ministry_report(world: World, logged_in: Any) -> None:
    client = logged_in(world.coordinator)
    html = page(client, "/coordination/reports")

    assert "<h1>Informes del ministerio</h1>" in html
    assert 'href="/coordination/reports"' in html  # the navigation link
    for person in world.guatemalans:
        assert person.full_name.replace('"', "&#34;") in html
    assert world.mexican.full_name not in html
    assert "Avance por módulo" in html and "Avance por puesto" in html
    assert "Avance por grupo" in html and "Taller vencido" in html
    assert "Personas con retraso" in html
    assert "12 filas" in html
    assert "/api/v1/reports/completion?format=csv" in html
    assert "/api/v1/reports/completion?format=xlsx" in html
    assert "Sin puesto asignado" in html and "inactiva" in html


def test_filters_are_kept_in_the_form_and_the_export_links(world: World, logged_in: Any) -> None:
    client = logged_in(world.coordinator)
    html = page(client, f"/coordination/reports?post={world.post_b.id}&status=completed&from=")

    assert (
        world.dora.full_name in html
        and world.ana.full_name not in html.split("Avance por módulo")[0]
    )
    assert f'<option value="{world.post_b.id}" selected>' in html
    assert '<option value="completed" selected>' in html
    assert (
        f"/api/v1/reports/completion?post={world.post_b.id}&amp;status=completed&amp;format=csv"
        in html
    )


@pytest.mark.parametrize(
    "path",
    [
        "/coordination/reports?post={post}&cohort={cohort}&status=completed&from=2026-01-01"
        "&to=2099-12-31&lang=es",
        "/coordination/reports/items?post={post}&cohort={cohort}&module=alfa&from=2026-01-01",
    ],
    ids=["ministry report", "item analysis"],
)
def test_every_report_link_of_a_filtered_page_works(
    world: World, logged_in: Any, path: str
) -> None:
    """Each link carries only the filters its target accepts (any other would be a 422)."""
    client = logged_in(world.coordinator)
    html = page(client, path.format(post=world.post_a.id, cohort=world.late_cohort.id))

    links = {
        href.replace("&amp;", "&")
        for href in re.findall(r'href="([^"]+)"', html)
        if href.startswith(("/api/v1/reports", "/coordination/reports"))
    }
    assert len(links) >= 3
    for link in sorted(links):
        response = client.get(link)
        assert response.status_code == 200, (link, response.get_data(as_text=True)[:300])
        if "post=" in link:
            assert f"post={world.post_a.id}" in link


def test_pages_of_the_completion_table(world: World, logged_in: Any) -> None:
    add_learners("GT", 60)
    client = logged_in(world.coordinator)
    first = page(client, "/coordination/reports")
    assert "página 1 de 2" in first and "page=2" in first
    second = page(client, "/coordination/reports?page=2")
    assert "página 2 de 2" in second and "Página anterior" in second


def test_a_malformed_filter_is_a_422_page(world: World, logged_in: Any) -> None:
    client = logged_in(world.coordinator)
    html = page(client, "/coordination/reports?from=2026-02-31", status=422)
    assert "from" in html
    page(client, f"/coordination/reports?cohort={world.mexican_cohort.id}", status=404)


def test_the_page_can_export_too(world: World, logged_in: Any) -> None:
    client = logged_in(world.coordinator)
    response = client.get("/coordination/reports?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    items = client.get("/coordination/reports/items?format=xlsx")
    assert items.status_code == 200 and items.headers["Cache-Control"] == "no-store"


def test_the_item_analysis_page(world: World, logged_in: Any) -> None:
    client = logged_in(world.coordinator)
    html = page(client, "/coordination/reports/items?module=alfa")
    assert "<h1>Análisis de preguntas</h1>" in html
    assert "<code>q01</code>" in html and "¿Cuántos elementos" in html
    assert "27 % de cada extremo" in html


def test_an_admin_chooses_the_ministry(world: World, admin: Any, logged_in: Any) -> None:
    client = logged_in(admin)
    html = page(client, "/coordination/reports?ministry=MX")
    assert '<option value="MX" selected>' in html
    assert world.mexican.full_name in html and world.ana.full_name not in html


def test_the_regional_dashboard(world: World, regional: Any, logged_in: Any) -> None:
    client = logged_in(regional)
    html = page(client, "/regional")
    assert "<h1>Cifras regionales</h1>" in html
    assert 'href="/regional"' in html and 'href="/coordination/reports"' not in html
    assert "/api/v1/reports/regional?format=csv" in html
    for person in world.people:
        assert person.full_name not in html and person.email not in html


@pytest.mark.parametrize(
    "path", ["/coordination/reports", "/coordination/reports/items", "/regional"]
)
def test_learners_are_forbidden(learner: Any, logged_in: Any, path: str) -> None:
    client = logged_in(learner)
    html = page(client, path, status=403)
    assert 'href="/coordination/reports"' not in html and 'href="/regional"' not in html


@pytest.mark.parametrize("path", ["/coordination/reports", "/regional"])
def test_visitors_sign_in_first(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert response.headers["Cache-Control"] == "no-store"
