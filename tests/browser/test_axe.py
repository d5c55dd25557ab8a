"""The accessibility helper itself: it must find what it is there to find."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.axe import axe_violations, describe


def test_axe_reports_violations(page: Page) -> None:
    page.set_content("<html><body><img src='data:,'><input type='text'></body></html>")
    violations = axe_violations(page)
    found = {violation["id"] for violation in violations}
    assert {"html-has-lang", "image-alt", "label"} <= found, describe(violations)
    assert "image-alt" in describe(violations)
