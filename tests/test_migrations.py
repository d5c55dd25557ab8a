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
