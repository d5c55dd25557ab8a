"""A real Celery worker on the private Redis takes what requests hand over after their
commit, and a worker killed mid-task loses nothing and duplicates nothing."""

from __future__ import annotations

import threading
import time

from tests.conftest import csrf_token
from tests.helpers import outbox
from tests.jobs.conftest import VISIBILITY_TIMEOUT, wait_for
from tests.smtp import use_smtp


def _smtp_settings(port: int) -> dict[str, str]:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAIL_USE_TLS": "false"}


def _request_reset(client, email: str):
    token = csrf_token(client, "/account/reset")
    return client.post("/account/reset", data={"email": email, "csrf_token": token})


def _status() -> str | None:
    messages = outbox()
    return messages[0].status if messages else None


def test_a_mail_queued_by_a_request_is_delivered_by_the_worker(
    app, client, learner, smtp_server, start_worker
):
    port, log = smtp_server
    use_smtp(app, port)
    start_worker(**_smtp_settings(port))

    response = _request_reset(client, learner.email)

    assert response.status_code == 302
    wait_for(lambda: _status() == "sent", what="the worker to send the mail")
    (delivered,) = log.messages
    assert delivered["To"] == learner.email
    (stored,) = outbox()
    assert (stored.attempts, stored.error, stored.locked_until) == (1, None, None)


def test_nothing_reaches_the_worker_from_a_rolled_back_request(
    app, client, learner, smtp_server, start_worker
):
    port, log = smtp_server
    use_smtp(app, port)
    worker = start_worker(**_smtp_settings(port))
    from training.extensions import db
    from training.mail import services

    services.send("consul@gt.example.org", "Asunto", "Cuerpo")
    db.session.rollback()
    services.send("otro@gt.example.org", "Asunto", "Cuerpo")
    db.session.commit()

    wait_for(lambda: _status() == "sent", what="the committed mail")
    assert [message["To"] for message in log.messages] == ["otro@gt.example.org"]
    assert worker.output().count("Task mail.deliver[") == 2  # received and succeeded


def test_a_worker_killed_mid_delivery_loses_no_mail_and_sends_it_once(
    app, client, learner, smtp_server, start_worker
):
    port, log = smtp_server
    use_smtp(app, port)
    log.hold = threading.Event()  # the mail server does not greet: the task blocks
    first = start_worker(**_smtp_settings(port))

    assert _request_reset(client, learner.email).status_code == 302
    wait_for(lambda: log.connections == 1, what="the worker to reach the mail server")
    first.kill()
    killed_at = time.monotonic()
    assert "succeeded" not in first.output()
    log.hold.set()
    assert _status() == "queued"
    assert log.messages == []

    # The task was never acknowledged: once the visibility timeout has passed, the next
    # worker is given it again (and the killed worker's lease has expired by then).
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 1 - (time.monotonic() - killed_at)))
    start_worker(**_smtp_settings(port))

    wait_for(lambda: _status() == "sent", timeout=60, what="the second worker to send it")
    (delivered,) = log.messages
    assert delivered["To"] == learner.email
    (stored,) = outbox()
    assert stored.attempts == 2
    time.sleep(1)  # nothing else arrives
    assert len(log.messages) == 1
