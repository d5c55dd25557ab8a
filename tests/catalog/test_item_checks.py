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


def test_hours_follow_the_method_and_the_message_gives_the_figures(bank_dir: Path) -> None:
    module = bank_dir / "01-gamma" / "module.yaml"
    lesson = bank_dir / "01-gamma" / "lessons" / "01-leccion.es.md"
    # 10,768 more words: 32 + 10,768 = 10,800 at 180 a minute = 60 minutes; with the quiz
    # (10 x 1.5) and the case (10): 85 minutes, credited 1 hour (1.42, rounded half up).
    lesson.write_text(
        lesson.read_text(encoding="utf-8") + "\n" + "palabra " * 10_768, encoding="utf-8"
    )
    _bundle, problems = load(bank_dir)
    assert [str(problem) for problem in problems] == [
        "content/01-gamma/module.yaml:4: estimated_minutes is 30 but the method gives 85 "
        "(10800 words at 180 a minute, 10 questions at 1.5 minutes, 10 minutes for the case; "
        "see content/README.md)",
    ]
    # Five more minutes of reading make 90 minutes: 1.5 hours, rounded up to 2.
    lesson.write_text(lesson.read_text(encoding="utf-8") + "palabra " * 900, encoding="utf-8")
    module.write_text(
        module.read_text(encoding="utf-8").replace(
            "estimated_minutes: 30", "estimated_minutes: 90"
        ),
        encoding="utf-8",
    )
    _bundle, problems = load(bank_dir)
    assert [str(problem) for problem in problems] == [
        "content/01-gamma/module.yaml:5: hours is 1 but 90 minutes make 2",
    ]
    # Warnings, not errors, behind the flag; the right figures pass.
    _bundle, warned = load(bank_dir, item_checks_mode="warn")
    assert [problem.warning for problem in warned] == [True]
    module.write_text(
        module.read_text(encoding="utf-8").replace("hours: 1", "hours: 2"), encoding="utf-8"
    )
    program = bank_dir / "program.yaml"
    program.write_text(
        program.read_text(encoding="utf-8").replace("hours: 1", "hours: 2"), encoding="utf-8"
    )
    bundle, problems = load(bank_dir)
    assert problems == [] and bundle is not None
