"""Accessibility checks with axe-core (from npm: ``make browser-deps`` installs it).

``assert_accessible(page)`` loads ``node_modules/axe-core/axe.min.js`` into the page from
the site's own origin (the browser context routes ``AXE_PATH`` to the file, so the app's
Content-Security-Policy stays on), runs the WCAG 2.0/2.1 level A and AA rules and fails
with a readable list of what violates them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Served by the browser context's route (tests/browser/conftest.py), never by the app.
AXE_PATH = "/__tests__/axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

_RUN = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations;
}
"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The WCAG 2.1 A and AA violations axe-core finds on the page as it is now."""
    if not AXE_JS.is_file():
        raise RuntimeError(f"{AXE_JS} is missing: run `make browser-deps` (npm ci)")
    # A click that navigates returns before the new document exists: check the page the
    # browser ends on, never one half replaced.
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        try:
            if page.url.startswith("http"):
                page.add_script_tag(url=AXE_PATH)
            else:  # a page made with set_content has no origin (and no CSP)
                page.add_script_tag(path=AXE_JS)
        except PlaywrightError as error:
            raise RuntimeError(
                f"axe-core could not be loaded (is the context's route to {AXE_PATH} set?): "
                f"{error.message.splitlines()[0]}"
            ) from error
    violations: list[dict[str, Any]] = page.evaluate(_RUN, list(WCAG_TAGS))
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation.get('impact')}): {violation['help']} "
            f"<{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            lines.append(f"  {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n    ")
            if summary:
                lines.append(f"    {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail when axe-core finds any WCAG 2.1 A or AA violation on the page."""
    violations = axe_violations(page)
    assert not violations, f"axe-core: violations on {page.url}\n{describe(violations)}"
