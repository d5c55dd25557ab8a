"""What a visitor downloads to see the sign-in page: consular posts are often on slow
or metered connections."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, Request

from tests.catalog.conftest import SHIPPED
from training.catalog import services as catalog
from training.extensions import db

LIMIT = 100 * 1024


@pytest.fixture
def shipped_content(app: Any) -> None:
    catalog.sync(SHIPPED, item_checks="error")
    db.session.commit()


def test_login_page_weighs_under_100_kb(page: Page) -> None:
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))
    with page.expect_request_finished(lambda request: "favicon" in request.url):
        page.goto("/login")
    page.wait_for_load_state("networkidle")

    # As transferred: headers and (encoded) body of every response the page needed.
    sizes = {}
    for request in finished:
        measured = request.sizes()
        sizes[request.url] = measured["responseHeadersSize"] + measured["responseBodySize"]
    kinds = sorted(request.resource_type for request in finished)
    # HTML, favicon, the menu script, CSS
    assert kinds == ["document", "other", "script", "stylesheet"], sizes
    total = sum(sizes.values())
    assert total < LIMIT, f"{total} bytes: {sizes}"


def test_learner_pages_weigh_under_100_kb(page: Page, make_user: Any, shipped_content: Any) -> None:
    """The real curriculum's heaviest pages: the longest lesson, a quiz, a result."""
    from tests.factories import PASSWORD

    user = make_user(roles=["learner"])
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(user.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/")

    paths = ["/", "/modules", "/modules/coordinacion", "/modules/coordinacion/job-aid"]
    paths += [f"/modules/coordinacion/lessons/{number}" for number in (1, 2, 3, 4)]
    weights = {}
    for path in paths:
        finished: list[Request] = []

        def collect(request: Request, into: list[Request] = finished) -> None:
            into.append(request)

        page.on("requestfinished", collect)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        page.remove_listener("requestfinished", collect)
        weights[path] = sum(
            request.sizes()["responseHeadersSize"] + request.sizes()["responseBodySize"]
            for request in finished
        )
    heaviest = max(weights.values())
    assert heaviest < LIMIT, weights
    print("page weights (bytes, warm cache):", weights)
