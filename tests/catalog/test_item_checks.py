"""Item-writing checks: each broken fixture (on the bank of 30) is refused with file and
line; the same findings are warnings behind --item-checks=warn; good content passes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.catalog.conftest import FIXTURES, VALID, overlay
from training.catalog import item_checks
from training.catalog.content import load

BANK30 = FIXTURES / "bank30"
ITEMS_BROKEN = FIXTURES / "items-broken"
CASES = sorted(path.name for path in ITEMS_BROKEN.iterdir() if path.is_dir())


@pytest.fixture
def bank_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "content"
    shutil.copytree(BANK30, target)
    monkeypatch.chdir(tmp_path)
    return target


def test_every_item_writing_check_has_a_broken_fixture() -> None:
    assert CASES == [
        "all-of-the-above",
        "bank-too-small",
        "correct-option-longest",
        "multiple-same-count",
        "near-duplicate-stem",
        "option-lengths-unbalanced",
        "true-false-unbalanced",
    ]


def test_a_well_written_bank_passes_every_check(bank_dir: Path) -> None:
    bundle, problems = load(Path("content"))
    assert problems == []
    assert bundle is not None and len(bundle.modules[0].quiz["questions"]) == 30


@pytest.mark.parametrize("case", CASES)
def test_each_broken_bank_is_refused_with_file_and_line(case: str, bank_dir: Path) -> None:
    overlay(ITEMS_BROKEN / case, bank_dir)
    bundle, problems = load(Path("content"))
    expected = (ITEMS_BROKEN / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert expected
    assert bundle is None
    assert [str(problem) for problem in problems] == expected


@pytest.mark.parametrize("case", CASES)
def test_with_warn_the_same_findings_are_warnings_and_the_content_loads(
    case: str, bank_dir: Path
) -> None:
    overlay(ITEMS_BROKEN / case, bank_dir)
    bundle, problems = load(Path("content"), item_checks_mode="warn")
    expected = (ITEMS_BROKEN / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert bundle is not None
    assert all(problem.warning for problem in problems)
    assert [str(p).replace(": warning: ", ": ", 1) for p in problems] == expected


def test_near_duplicate_stems_are_found_across_modules() -> None:
    # The small engine fixture repeats alfa's questions in beta on purpose.
    _bundle, problems = load(VALID, item_checks_mode="warn")
    duplicates = [p for p in problems if "near-duplicate" in p.message]
    assert [(Path(p.path).parent.name, p.line) for p in duplicates] == [
        ("02-beta", 5),
        ("02-beta", 24),
        ("02-beta", 43),
    ]
    assert "01-alfa/quiz.yaml:5" in duplicates[0].message


def test_structural_errors_still_stop_the_content_in_warn_mode(bank_dir: Path) -> None:
    quiz = bank_dir / "01-gamma" / "quiz.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("objective: refer", "objective: x"))
    bundle, problems = load(Path("content"), item_checks_mode="warn")
    assert bundle is None
    assert any(not problem.warning and "objective 'x'" in problem.message for problem in problems)


@pytest.mark.parametrize(
    ("first", "second", "duplicate"),
    [
        ("¿Qué hace primero el cónsul?", "que hace PRIMERO el consul", True),
        ("Una víctima llega sola al consulado", "Una víctima llega sola al consulado hoy", True),
        ("Una víctima llega sola al consulado", "Un hombre pide ayuda por teléfono", False),
    ],
)
def test_stem_normalisation(first: str, second: str, duplicate: bool) -> None:
    score = item_checks.similarity(item_checks.tokens(first), item_checks.tokens(second))
    assert (score >= item_checks.NEAR_DUPLICATE) is duplicate


@pytest.mark.parametrize(
    "text",
    [
        "Todas las anteriores",
        "Ninguna de las anteriores.",
        "None of the above",
        "all of the above",
        "Toutes les réponses",
        "Aucune des réponses ci-dessus",
    ],
)
def test_all_or_none_of_the_above_in_any_language(text: str) -> None:
    assert item_checks.ABOVE.search(item_checks.normalise(text))


def test_an_ordinary_option_is_not_taken_for_all_of_the_above() -> None:
    assert not item_checks.ABOVE.search(item_checks.normalise("Todas las personas menores"))
