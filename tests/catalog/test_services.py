"""Syncing content into the catalogue: versioned, idempotent, all or nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func

from tests.catalog.conftest import BROKEN, overlay
from tests.conftest import WRITES
from training.catalog import services
from training.catalog.models import Choice, Lesson, Module, ModuleVersion, Program, Question
from training.extensions import db

CONTENT = Path("content")


@pytest.fixture
def writes(queries: Any) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE sent to the database while the test runs."""
    with queries(WRITES) as statements:
        yield statements


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(db.select(func.count()).select_from(model))
        for model in (Module, ModuleVersion, Lesson, Question, Choice, Program)
    }


def synced() -> services.SyncReport:
    report = services.sync(CONTENT, item_checks="skip")
    db.session.commit()
    return report


def module(slug: str) -> Module:
    db.session.expire_all()
    return db.session.scalar(db.select(Module).where(Module.slug == slug))


def test_first_sync_loads_modules_versions_and_program(app: Any, content_dir: Path) -> None:
    report = synced()
    assert report.created_modules == ["alfa", "beta"]
    assert report.new_versions == ["alfa v1", "beta v1"]
    assert report.program_changed
    alfa = module("alfa")
    version = alfa.current_version
    assert version.number == 1 and version.title["en"] == "Module alfa"
    assert [lesson.kind for lesson in version.lessons] == ["lesson", "lesson", "case_study"]
    assert "<strong>negritas</strong>" in version.lessons[0].html["es"]
    assert 'rel="noopener noreferrer"' in version.lessons[0].html["en"]
    assert [question.key for question in version.questions] == ["q01", "q02", "q03"]
    assert [choice.correct for choice in version.questions[0].choices] == [True, False]
    program = db.session.scalar(db.select(Program))
    assert [m.slug for m in program.modules] == ["alfa", "beta"]
    assert program.hours == 3


def test_a_second_sync_without_changes_writes_nothing(
    app: Any, content_dir: Path, writes: list[str]
) -> None:
    synced()
    writes.clear()
    report = synced()
    assert not report.changed
    assert report.unchanged == ["alfa", "beta"]
    assert writes == []


def test_editing_a_lesson_makes_exactly_one_new_version_and_keeps_the_old(
    app: Any, content_dir: Path
) -> None:
    synced()
    old = module("alfa").current_version
    old_id, old_question_ids = old.id, [question.id for question in old.questions]
    before = counts()

    lesson = content_dir / "01-alfa" / "lessons" / "02-leccion.es.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nUn párrafo nuevo.\n", "utf-8")
    report = synced()

    assert report.new_versions == ["alfa v2"]
    assert report.unchanged == ["beta"]
    after = counts()
    assert after["module_version"] == before["module_version"] + 1
    assert after["module"] == before["module"]
    alfa = module("alfa")
    assert alfa.current_version.number == 2
    assert "Un párrafo nuevo." in alfa.current_version.lessons[1].html["es"]
    # The old version, its lessons and its questions are untouched, ids included.
    kept = db.session.get(ModuleVersion, old_id)
    assert kept.number == 1
    assert "Un párrafo nuevo." not in kept.lessons[1].html["es"]
    assert [question.id for question in kept.questions] == old_question_ids
    # Content ids are stable across versions.
    assert [q.key for q in alfa.current_version.questions] == [q.key for q in kept.questions]
    assert [c.key for c in alfa.current_version.questions[1].choices] == ["true", "false"]


def test_reverting_content_points_back_at_the_existing_version(app: Any, content_dir: Path) -> None:
    synced()
    path = content_dir / "01-alfa" / "job-aid.en.md"
    original = path.read_text(encoding="utf-8")
    path.write_text(original + "- Step three\n", encoding="utf-8")
    synced()
    path.write_text(original, encoding="utf-8")
    report = synced()
    assert report.new_versions == []
    assert module("alfa").current_version.number == 1
    assert len(module("alfa").versions) == 2


def test_a_module_removed_from_the_content_is_retired_not_deleted(
    app: Any, content_dir: Path
) -> None:
    synced()
    shutil.rmtree(content_dir / "02-beta")
    program = content_dir / "program.yaml"
    program.write_text(
        program.read_text(encoding="utf-8")
        .replace("modules: [alfa, beta]", "modules: [alfa]")
        .replace("hours: 3", "hours: 1"),
        encoding="utf-8",
    )
    report = synced()
    assert report.retired == ["beta"]
    beta = module("beta")
    assert beta.active is False and len(beta.versions) == 1
    # The program changed: a new version without beta; the first keeps it for its learners.
    versions = db.session.scalars(db.select(Program).order_by(Program.version)).all()
    assert [(p.version, [m.slug for m in p.modules], p.current) for p in versions] == [
        (1, ["alfa", "beta"], False),
        (2, ["alfa"], True),
    ]


@pytest.mark.parametrize("case", sorted(path.name for path in BROKEN.iterdir()))
def test_a_failed_sync_leaves_the_database_as_it_was(
    app: Any, content_dir: Path, case: str, writes: list[str]
) -> None:
    synced()
    before = counts()
    current = {m.slug: m.current_version_id for m in db.session.scalars(db.select(Module))}
    writes.clear()
    overlay(BROKEN / case, content_dir)
    with pytest.raises(services.ContentInvalid) as raised:
        services.sync(CONTENT, item_checks="skip")
    db.session.rollback()
    assert raised.value.problems
    assert writes == []
    assert counts() == before
    assert {m.slug: m.current_version_id for m in db.session.scalars(db.select(Module))} == (
        current
    )


def test_the_shipped_curriculum_syncs(app: Any) -> None:
    root = Path(app.root_path).parent / "content" / "manual_modules"
    report = services.sync(root, item_checks="error")
    db.session.commit()
    assert len(report.created_modules) >= 10
    program = db.session.scalar(db.select(Program))
    assert program.title["es"] == "Programa de formación consular en trata de personas"
    assert program.hours == sum(m.current_version.hours for m in program.modules)
    for item in program.modules:
        assert len(item.current_version.questions) >= 12
