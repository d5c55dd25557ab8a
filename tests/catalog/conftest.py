from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "content_fixtures"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"
SHIPPED = Path(__file__).resolve().parents[2] / "content" / "manual_modules"


def overlay(case: Path, target: Path) -> None:
    """Apply a broken case onto a copy of the valid content: files replace files, and
    ``NAME.delete`` removes NAME."""
    for path in sorted(case.rglob("*")):
        if path.is_dir() or path.name == "expected.txt":
            continue
        relative = path.relative_to(case)
        if path.name.endswith(".delete"):
            (target / relative).with_name(path.name.removesuffix(".delete")).unlink()
        else:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)


@pytest.fixture
def content_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the small valid content, as ``content/`` under the working
    folder, so that messages name it ``content/...``."""
    target = tmp_path / "content"
    shutil.copytree(VALID, target)
    monkeypatch.chdir(tmp_path)
    return target
