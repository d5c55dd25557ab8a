from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.catalog.conftest import BROKEN, overlay
from training.catalog.models import Module
from training.extensions import db


def test_validate_accepts_the_shipped_content(runner: Any) -> None:
    result = runner.invoke(args=["content", "validate"])
    assert result.exit_code == 0, result.output
    assert "Content is valid." in result.output


def test_validate_lists_located_problems_and_exits_1(runner: Any, content_dir: Path) -> None:
    overlay(BROKEN / "no-correct-choice", content_dir)
    result = runner.invoke(args=["content", "validate", "content"])
    assert result.exit_code == 1
    assert "content/01-alfa/quiz.yaml:5: question q01 has no correct choice" in result.output
    assert "1 problem(s) found." in result.output


def test_sync_reports_what_it_loaded_then_nothing(runner: Any, content_dir: Path) -> None:
    first = runner.invoke(args=["content", "sync", "content"])
    assert first.exit_code == 0, first.output
    assert "new version: alfa v1" in first.output
    second = runner.invoke(args=["content", "sync", "content"])
    assert second.exit_code == 0
    assert second.output.strip() == "Content is already up to date."


def test_a_failed_sync_says_nothing_was_loaded(runner: Any, content_dir: Path) -> None:
    overlay(BROKEN / "script-in-markdown", content_dir)
    result = runner.invoke(args=["content", "sync", "content"])
    assert result.exit_code == 1
    assert "raw HTML <script> is not allowed" in result.output
    assert "nothing was loaded" in result.output
    assert db.session.scalar(db.select(Module)) is None
