"""Every text for people is translated: the template is current and the English and
French catalogues are complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "training" / "translations"


def _msgids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def test_the_template_lists_every_text_in_the_code(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--omit-header",
            "-o",
            str(fresh),
            "training",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    missing = _msgids(fresh) - _msgids(TRANSLATIONS / "messages.pot")
    assert not missing, f"run `make translations-update`; new texts: {sorted(missing)[:5]}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_text_is_translated(language: str) -> None:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    expected = _msgids(TRANSLATIONS / "messages.pot")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(text) for text in expected - translated)
    assert not missing, f"{len(missing)} untranslated in {language}: {missing[:5]}"
