"""``flask reports export``: any report as CSV or XLSX, with the reach of the user named by
``--as`` and the filters the API accepts; a bad option or an id out of reach is a one-line
message, and no file is left behind."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.factories import create_user
from tests.reports.conftest import World


def export(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["reports", "export", *args])


def read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_completion_csv_to_a_file_as_the_api_gives_it(
    world: World, runner: Any, tmp_path: Path, coordinator_get: Any
) -> None:
    target = tmp_path / "avance.csv"

    result = export(runner, "completion", "--as", world.coordinator.email, "-o", str(target))

    assert result.exit_code == 0, result.output
    rows = read_csv(target.read_bytes())
    api = coordinator_get("/api/v1/reports/completion?per_page=1000").get_json()
    assert rows[0][:3] == ["Id", "Nombre", "Correo electrónico"]
    assert len(rows) - 1 == api["total"] > 0
    names = {row[1] for row in rows[1:]}
    assert world.ana.full_name in names and world.mexican.full_name not in names
    assert f"completion (GT): {api['total']} rows written to {target}." in result.stderr
    assert not list(tmp_path.glob(".*.part"))


def test_filters_language_and_xlsx(world: World, runner: Any, tmp_path: Path) -> None:
    target = tmp_path / "posts.xlsx"

    result = export(
        runner,
        "posts",
        "--as",
        world.coordinator.email,
        "--post",
        str(world.post_a.id),
        "--format",
        "xlsx",
        "--language",
        "en",
        "-o",
        str(target),
    )

    assert result.exit_code == 0, result.output
    sheet = load_workbook(target).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["Post id", "Post"]
    assert [row[1] for row in rows[1:]] == [world.post_a.name]


def test_standard_output_and_the_regional_figures(world: World, runner: Any) -> None:
    regional = create_user(roles=["regional"], ministry="CR")

    result = export(runner, "regional", "--as", regional.email)

    assert result.exit_code == 0, result.output
    rows = read_csv(result.stdout_bytes)
    by_code = {row[0]: row for row in rows[1:]}
    assert {"GT", "MX"} <= set(by_code)
    for person in world.people:
        assert person.full_name not in result.stdout


BAD_OPTIONS = [
    ("an unknown user", ["completion", "--as", "nadie@example.org"], "No active user", 1),
    ("a learner", ["completion", "--as", "{learner}"], "", 1),
    ("a regional user on a ministry report", ["posts", "--as", "{regional}"], "", 1),
    ("a coordinator on the regional report", ["regional", "--as", "{coordinator}"], "", 1),
    (
        "another ministry's cohort",
        ["completion", "--as", "{coordinator}", "--cohort", "{their_cohort}"],
        "",
        1,
    ),
    (
        "another ministry's post",
        ["posts", "--as", "{coordinator}", "--post", "{their_post}"],
        "",
        1,
    ),
    ("another ministry", ["completion", "--as", "{coordinator}", "--ministry", "MX"], "", 1),
    (
        "a status on a summary",
        ["posts", "--as", "{coordinator}", "--status", "completed"],
        "--status",
        2,
    ),
    (
        "an unknown status",
        ["completion", "--as", "{coordinator}", "--status", "lost"],
        "--status",
        2,
    ),
    (
        "an impossible date",
        ["completion", "--as", "{coordinator}", "--from", "2026-02-30"],
        "--from",
        2,
    ),
    (
        "dates reversed",
        ["completion", "--as", "{coordinator}", "--from", "2026-05-02", "--to", "2026-05-01"],
        "",
        1,
    ),
    (
        "a cohort on the regional report",
        ["regional", "--as", "{regional}", "--cohort", "1"],
        "--cohort",
        2,
    ),
    ("an unknown report", ["salaries", "--as", "{coordinator}"], "salaries", 2),
    ("an unknown format", ["posts", "--as", "{coordinator}", "--format", "pdf"], "pdf", 2),
]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A folder of its own for the output (the test database lives in ``tmp_path``)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    ("case", "args", "message", "exit_code"), BAD_OPTIONS, ids=[case[0] for case in BAD_OPTIONS]
)
def test_bad_options_are_one_line_and_write_nothing(
    world: World,
    runner: Any,
    out: Path,
    case: str,
    args: list[str],
    message: str,
    exit_code: int,
) -> None:
    values = {
        "learner": world.ana.email,
        "regional": create_user(roles=["regional"], ministry="CR").email,
        "coordinator": world.coordinator.email,
        "their_cohort": str(world.mexican_cohort.id),
        "their_post": str(world.mexican_post.id),
    }
    target = out / "out.csv"

    result = export(runner, *[arg.format(**values) for arg in args], "-o", str(target))

    assert result.exit_code == exit_code, (case, result.output)
    assert message in result.output
    assert "Traceback" not in result.output
    assert world.mexican.full_name not in result.output
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("where", ["directory", "missing folder"])
def test_an_unwritable_output_is_refused(world: World, runner: Any, out: Path, where: str) -> None:
    target = out if where == "directory" else out / "no" / "such" / "file.csv"

    result = export(runner, "posts", "--as", world.coordinator.email, "-o", str(target))

    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    assert list(out.iterdir()) == []
