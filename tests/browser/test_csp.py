"""The browser enforces the Content-Security-Policy, and the browser tests notice when a
page breaks it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.browser.conftest import LiveServer


def test_an_inline_script_is_refused_and_noticed(
    app: Any, live_server: LiveServer, page: Page, csp_violations: list[str]
) -> None:
    def inline() -> str:
        return (
            "<!doctype html><html lang='es'><title>x</title>"
            "<script>document.title = 'ran'</script></html>"
        )

    app.add_url_rule("/__tests__/inline", "inline_script_for_test", inline)
    page.goto("/__tests__/inline")
    assert page.title() == "x"  # the script did not run
    assert any("Content Security Policy" in text for text in csp_violations)
    csp_violations.clear()  # this page breaks the policy on purpose
