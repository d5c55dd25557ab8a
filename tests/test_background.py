"""training.background: tasks are handed over once the whole transaction commits, never
for a rolled-back one, and a hand-over that fails never undoes the commit."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from training import background
from training.extensions import db
from training.mail.models import OutboxMessage


@pytest.fixture
def handed(app: Any) -> list[Any]:
    """What the dispatcher receives (the jobs package's own is replaced for the test)."""
    received: list[Any] = []
    background.set_dispatcher(app, received.extend)
    return received


def test_a_task_is_handed_over_after_the_commit_only(handed):
    background.after_commit("mail.deliver", 7)
    assert background.pending() == [("mail.deliver", (7,))]
    db.session.flush()
    assert handed == []

    db.session.commit()

    assert handed == [("mail.deliver", (7,))]
    db.session.commit()
    assert handed == [("mail.deliver", (7,))]  # once


def test_a_rollback_drops_the_tasks_and_a_savepoints_does_not(handed):
    background.after_commit("mail.deliver", 1)
    db.session.rollback()
    background.after_commit("mail.deliver", 2)
    savepoint = db.session.begin_nested()
    background.after_commit("mail.deliver", 3)
    savepoint.rollback()
    db.session.commit()

    assert handed == [("mail.deliver", (2,)), ("mail.deliver", (3,))]


def test_a_failed_hand_over_is_logged_and_the_commit_stands(app, caplog):
    def broken(requests: Any) -> None:
        raise ConnectionError("broker down")

    background.set_dispatcher(app, broken)
    db.session.add(OutboxMessage(recipient="a@b.example", subject="s", body="b", status="queued"))
    background.after_commit("mail.deliver", 1)

    with caplog.at_level(logging.ERROR):
        db.session.commit()

    assert "not handed over" in caplog.text
    db.session.rollback()
    assert db.session.query(OutboxMessage).count() == 1
