"""What a visitor downloads to see the sign-in page: consular posts are often on slow
or metered connections."""

from __future__ import annotations

from playwright.sync_api import Page, Request

LIMIT = 100 * 1024


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
    assert kinds == ["document", "other", "stylesheet"], sizes  # HTML, favicon, CSS
    total = sum(sizes.values())
    assert total < LIMIT, f"{total} bytes: {sizes}"
