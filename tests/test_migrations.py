"""The migrations are the schema: upgrading an empty database gives exactly the models'
schema, and downgrading to base removes everything again, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from tests.conftest import POSTGRES_URL, _settings
from training import create_app
from training.extensions import db


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL schema."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    schema = f"migration_check_{uuid.uuid4().hex[:8]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def migration_app(empty_database: str) -> Iterator[Flask]:
    app = create_app(_settings(empty_database))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _differences() -> list[object]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return [
            diff
            for diff in compare_metadata(context, db.metadata)
            # Alembic's own table is not a model.
            if not (diff[0] == "remove_table" and diff[1].name == "alembic_version")
        ]


def test_upgrade_head_gives_exactly_the_models_schema(migration_app: Flask) -> None:
    upgrade()
    assert _differences() == []
    tables = set(inspect(db.engine).get_table_names())
    assert {table.name for table in db.metadata.sorted_tables} <= tables


def test_downgrade_to_base_removes_every_table_and_upgrade_works_again(
    migration_app: Flask,
) -> None:
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert _differences() == []


def test_audit_log_is_append_only_in_the_database(migration_app: Flask) -> None:
    upgrade()
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_event (occurred_at, action, details) "
                "VALUES (CURRENT_TIMESTAMP, 'test', '{}')"
            )
        )
    for statement in ("UPDATE audit_event SET action = 'changed'", "DELETE FROM audit_event"):
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement))
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT action FROM audit_event")).scalars().all() == [
            "test"
        ]


def test_every_migration_has_a_downgrade() -> None:
    versions = Path(__file__).resolve().parents[1] / "migrations" / "versions"
    files = sorted(versions.glob("*.py"))
    assert files
    for path in files:
        source = path.read_text(encoding="utf-8")
        body = source.split("def downgrade():", 1)[1]
        assert body.strip() and not body.strip().startswith("pass"), path.name


def _catalogue_row_before_objectives() -> None:
    """A module version, a lesson and a question as written before revision 0011."""
    statements = [
        "INSERT INTO module (id, slug, active, created_at) VALUES (1, 'alfa', true, :now)",
        "INSERT INTO module_version (id, module_id, number, content_hash, label, position, "
        "title, summary, objectives, prerequisites, topics, estimated_minutes, hours, "
        "job_aid_title, job_aid_html, pass_mark, max_attempts, questions_per_attempt, "
        "created_at) VALUES (1, 1, 1, 'h', '2026.1', 1, '{\"es\": \"A\"}', '{\"es\": \"A\"}', "
        '\'{"es": ["Uno", "Dos"], "en": ["One", "Two"]}\', \'[]\', \'[]\', 30, 1, '
        "'{}', '{}', 80, 3, 2, :now)",
        "INSERT INTO lesson (id, module_version_id, number, key, kind, title, html, "
        "word_count) VALUES (1, 1, 1, '01-a', 'lesson', '{}', '{}', '{}')",
        "INSERT INTO question (id, module_version_id, key, position, type, topic, text, "
        "explanation) VALUES (1, 1, 'q01', 0, 'single', 'definitions', '{}', '{}')",
    ]
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"now": "2026-11-30 10:00:00"})


def _read(statement: str) -> list[object]:
    import json

    with db.engine.connect() as connection:
        values = connection.execute(text(statement)).scalars().all()
    # SQLite returns JSON columns read with text() as strings.
    return [
        json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value
        for value in values
    ]


def test_learning_objectives_migration_converts_objectives_both_ways(
    migration_app: Flask,
) -> None:
    upgrade(revision="0010")
    _catalogue_row_before_objectives()
    upgrade(revision="0011")
    assert _read("SELECT objectives FROM module_version") == [
        [{"id": "o1", "es": "Uno", "en": "One"}, {"id": "o2", "es": "Dos", "en": "Two"}]
    ]
    assert _read("SELECT review FROM module_version") == ["after_pass_or_last_attempt"]
    assert _read("SELECT retake_after_hours FROM module_version") == [0]
    assert [bool(v) for v in _read("SELECT retake_requires_review FROM module_version")] == [True]
    assert _read("SELECT objectives FROM lesson") == [[]]
    assert _read("SELECT objective FROM question") == [None]
    downgrade(revision="0010")
    assert _read("SELECT objectives FROM module_version") == [
        {"es": ["Uno", "Dos"], "en": ["One", "Two"]}
    ]
    upgrade()
    assert _differences() == []
