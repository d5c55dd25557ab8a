"""A broker that cannot be reached never breaks the request that asked for a task: the
answer stands, the outbox keeps the message, and the log says so (the mail sweep sends it
later)."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from tests.conftest import csrf_token
from tests.helpers import outbox
from tests.processes import free_port


@pytest.fixture
def app_settings() -> dict[str, Any]:
    return {
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens
        "MAIL_SERVER": "127.0.0.1",
    }


def test_a_request_is_answered_when_the_broker_is_down(app, client, learner, caplog):
    token = csrf_token(client, "/account/reset")
    started = time.monotonic()
    with caplog.at_level(logging.ERROR):
        response = client.post("/account/reset", data={"email": learner.email, "csrf_token": token})
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert [message.status for message in outbox()] == ["queued"]
    assert "not handed over" in caplog.text
    print(f"answered in {elapsed:.1f} s with the broker down")
