"""Content validation: every broken fixture is reported with its exact located message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.catalog.conftest import BROKEN, SHIPPED, overlay
from training.catalog.content import load

CASES = sorted(path.name for path in BROKEN.iterdir() if path.is_dir())


def test_there_are_at_least_fifteen_broken_fixtures() -> None:
    assert len(CASES) >= 15


def test_the_small_valid_fixture_loads(content_dir: Path) -> None:
    # Item-writing checks: tests/catalog/test_item_checks.py (this fixture's banks of
    # three are drawn whole on purpose).
    bundle, problems = load(Path("content"), item_checks_mode="skip")
    assert problems == []
    assert bundle is not None
    assert [module.slug for module in bundle.modules] == ["alfa", "beta"]
    assert bundle.modules[1].lessons[2].kind == "case_study"


@pytest.mark.parametrize("case", CASES)
def test_broken_content_is_reported_with_file_and_line(case: str, content_dir: Path) -> None:
    overlay(BROKEN / case, content_dir)
    bundle, problems = load(Path("content"), item_checks_mode="skip")
    expected = (BROKEN / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert bundle is None
    assert [str(problem) for problem in problems] == expected


def test_the_shipped_curriculum_is_valid() -> None:
    # Every check as an error, the item-writing and hours checks included: no warning.
    bundle, problems = load(SHIPPED, item_checks_mode="error")
    assert [str(problem) for problem in problems] == []
    assert bundle is not None
    assert len(bundle.modules) >= 11
    for module in bundle.modules:
        assert 3 <= len(module.lessons) <= 5, module.slug
        questions = module.quiz["questions"]
        assert len(questions) >= 30, module.slug
        assert sum(1 for q in questions if q["type"] == "scenario") >= 2, module.slug
        for objective in module.data["objectives"]:
            asked = sum(1 for q in questions if q["objective"] == objective["id"])
            assert asked >= 5, (module.slug, objective["id"], asked)
        assert module.quiz["questions_per_attempt"] == 10
        assert module.quiz["pass_mark"] == 80
        assert [lesson.kind for lesson in module.lessons].count("case_study") == 1
        assert set(module.job_aid_body) >= {"es", "en"}
        for language in ("es", "en"):
            words = sum(len(lesson.body[language].split()) for lesson in module.lessons)
            assert words >= 1200, (module.slug, language, words)
        for question in module.quiz["questions"]:
            # A scenario's options are under its steps; every option, of every type, counts.
            options = question.get("choices") or [
                choice for step in question["steps"] for choice in step["choices"]
            ]
            assert options, (module.slug, question["id"])
            for choice in options:
                # Feedback says why, in more than a word or two.
                assert len(choice["feedback"]["es"].split()) >= 4, (module.slug, question["id"])
    program = bundle.program.data
    assert program["title"]["es"] == "Programa de formación consular en trata de personas"
    assert program["modules"] == [module.slug for module in bundle.modules]
    assert program["hours"] == sum(module.data["hours"] for module in bundle.modules)
    assert program["min_score"] == 80


def test_a_missing_folder_is_a_located_problem(tmp_path: Path) -> None:
    bundle, problems = load(tmp_path / "nowhere")
    assert bundle is None
    assert [problem.message for problem in problems] == ["content folder does not exist"]
