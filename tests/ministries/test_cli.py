"""``flask ministries seed``."""

from __future__ import annotations

from tests.helpers import fresh
from training.extensions import db
from training.ministries.models import Ministry


def test_seed_creates_then_changes_nothing(runner):
    first = runner.invoke(args=["ministries", "seed"])
    second = runner.invoke(args=["ministries", "seed"])

    assert first.exit_code == 0, first.output
    assert first.output == "Ministries: 11 created, 0 updated.\n"
    assert second.exit_code == 0, second.output
    assert second.output == "Ministries: 0 created, 0 updated.\n"
    fresh()
    assert db.session.scalar(db.select(db.func.count()).select_from(Ministry)) == 11


def test_seed_restores_a_changed_name(runner, ministries):
    ministries["MX"].name_fr = "Changed"
    db.session.commit()

    result = runner.invoke(args=["ministries", "seed"])

    assert result.output == "Ministries: 0 created, 1 updated.\n"
    fresh()
    mexico = db.session.scalar(db.select(Ministry).where(Ministry.code == "MX"))
    assert mexico.name_fr == "Secrétariat des Relations extérieures du Mexique"
