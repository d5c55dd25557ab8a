from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.catalog.conftest import BROKEN, overlay
from training.catalog.models import Module
from training.extensions import db


def test_validate_accepts_the_shipped_content(runner: Any) -> None:
    # Every check as an error (the default): the shipped banks pass the item-writing checks.
    result = runner.invoke(args=["content", "validate"])
    assert result.exit_code == 0, result.output
    assert "Content is valid" in result.output


def test_validate_lists_located_problems_and_exits_1(runner: Any, content_dir: Path) -> None:
    overlay(BROKEN / "no-correct-choice", content_dir)
    # The engine fixture's small banks only warn with --item-checks=warn; one error.
    result = runner.invoke(args=["content", "validate", "content", "--item-checks=warn"])
    assert result.exit_code == 1
    assert "content/01-alfa/quiz.yaml:5: question q01 has no correct choice" in result.output
    assert "1 problem(s) found." in result.output


def test_sync_reports_what_it_loaded_then_nothing(runner: Any, content_dir: Path) -> None:
    first = runner.invoke(args=["content", "sync", "content", "--item-checks=warn"])
    assert first.exit_code == 0, first.output
    assert "new version: alfa v1" in first.output
    second = runner.invoke(args=["content", "sync", "content", "--item-checks=warn"])
    assert second.exit_code == 0
    assert second.output.strip().splitlines()[-1] == "Content is already up to date."


def test_a_failed_sync_says_nothing_was_loaded(runner: Any, content_dir: Path) -> None:
    overlay(BROKEN / "script-in-markdown", content_dir)
    result = runner.invoke(args=["content", "sync", "content", "--item-checks=warn"])
    assert result.exit_code == 1
    assert "raw HTML <script> is not allowed" in result.output
    assert "nothing was loaded" in result.output
    assert db.session.scalar(db.select(Module)) is None


def test_item_writing_checks_are_errors_by_default_and_warnings_with_the_flag(
    runner: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    import shutil

    from tests.catalog.conftest import FIXTURES

    shutil.copytree(FIXTURES / "bank30", tmp_path / "content")
    overlay(FIXTURES / "items-broken" / "bank-too-small", tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    message = "content/01-gamma/quiz.yaml:3: {}the bank has 30 questions for a draw of 11"
    refused = runner.invoke(args=["content", "sync", "content"])
    assert refused.exit_code == 1
    assert message.format("") in refused.output
    assert "nothing was loaded" in refused.output
    assert db.session.scalar(db.select(Module)) is None
    warned = runner.invoke(args=["content", "validate", "content", "--item-checks=warn"])
    assert warned.exit_code == 0
    assert message.format("warning: ") in warned.output
    assert "Content is valid, with 1 warning(s)." in warned.output
    loaded = runner.invoke(args=["content", "sync", "content", "--item-checks=warn"])
    assert loaded.exit_code == 0
    assert message.format("warning: ") in loaded.output
    assert "new version: gamma v1" in loaded.output
