"""The mailer: SMTP when configured, the outbox always, and never a lost message."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from tests.conftest import csrf_token
from tests.helpers import fresh, outbox, post_form, reset_link
from tests.smtp import closed_port, use_smtp
from training import background
from training.database import utcnow
from training.extensions import db
from training.mail import services

# --- Without SMTP: the outbox -----------------------------------------------------------


def test_without_smtp_the_message_waits_in_the_outbox_and_the_log_says_so(app, caplog):
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        message = services.send("consul@gt.example.org", "Asunto", "Cuerpo con un enlace secreto")
    db.session.commit()

    (stored,) = outbox()
    assert (stored.id, stored.recipient, stored.subject, stored.body, stored.status) == (
        message.id,
        "consul@gt.example.org",
        "Asunto",
        "Cuerpo con un enlace secreto",
        "queued",
    )
    assert stored.sent_at is None
    logged = caplog.text
    assert f"Mail #{message.id} to consul@gt.example.org" in logged
    assert "outbox" in logged
    # The body may hold a single-use link: it stays out of the log.
    assert "enlace secreto" not in logged


def test_retry_without_smtp_sends_nothing(app):
    services.send("consul@gt.example.org", "Asunto", "Cuerpo")

    assert services.retry_failed() == (0, 0)
    db.session.commit()
    assert outbox()[0].status == "queued"


# --- With SMTP --------------------------------------------------------------------------


def test_smtp_delivers_the_message_and_marks_it_sent(app, smtp_server):
    port, log = smtp_server
    use_smtp(app, port)

    services.send("consul@gt.example.org", "Restablecer", "Hola, María José:\n")
    db.session.commit()

    (stored,) = outbox()
    assert stored.status == "sent"
    assert stored.sent_at is not None
    assert stored.error is None
    (delivered,) = log.messages
    assert delivered["To"] == "consul@gt.example.org"
    assert delivered["From"] == app.config["MAIL_SENDER"]
    assert delivered["Subject"] == "Restablecer"
    assert delivered.get_content().replace("\r\n", "\n") == "Hola, María José:\n"
    assert log.envelopes == [("no-reply@localhost", ["consul@gt.example.org"])]
    assert log.logins == []


def test_smtp_logs_in_when_a_username_is_configured(app, smtp_server):
    port, log = smtp_server
    use_smtp(app, port, MAIL_USERNAME="aula", MAIL_PASSWORD="smtp secret")

    services.send("consul@gt.example.org", "Asunto", "Cuerpo")
    db.session.commit()

    assert log.logins == ["aula"]
    assert outbox()[0].status == "sent"


def test_a_refused_message_is_kept_as_failed_with_the_reason(app, smtp_server, caplog):
    port, log = smtp_server
    log.refuse_recipients = True
    use_smtp(app, port)

    services.send("consul@gt.example.org", "Asunto", "Cuerpo")
    db.session.commit()

    (stored,) = outbox()
    assert stored.status == "failed"
    assert "No such mailbox" in stored.error
    assert stored.body == "Cuerpo"
    assert "failed" in caplog.text


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"MAIL_USE_TLS": True},
        {"MAIL_USE_SSL": True},
    ],
    ids=["nobody listening", "STARTTLS not offered", "TLS to a plain server"],
)
def test_unreachable_or_insecure_smtp_keeps_the_message_as_failed(app, smtp_server, settings):
    port, log = smtp_server
    use_smtp(app, port if settings else closed_port())
    app.config.update(settings)

    message = services.send("consul@gt.example.org", "Asunto", "Cuerpo")
    db.session.commit()

    assert outbox()[0].status == "failed"
    assert outbox()[0].error
    assert message.sent_at is None
    assert log.messages == []


def test_retry_sends_what_failed_before(app, smtp_server):
    port, log = smtp_server
    use_smtp(app, closed_port())
    services.send("first@gt.example.org", "Uno", "Cuerpo")
    services.send("second@gt.example.org", "Dos", "Cuerpo")
    db.session.commit()
    assert {message.status for message in outbox()} == {"failed"}

    use_smtp(app, port)
    assert services.retry_failed() == (2, 0)
    db.session.commit()

    assert {message.status for message in outbox()} == {"sent"}
    assert [message["To"] for message in log.messages] == [
        "first@gt.example.org",
        "second@gt.example.org",
    ]
    assert all(message.error is None for message in outbox())


def test_password_reset_mail_goes_out_over_smtp(app, client, smtp_server, learner):
    port, log = smtp_server
    use_smtp(app, port)

    post_form(client, "/account/reset", {"email": learner.email})

    (delivered,) = log.messages
    assert delivered["To"] == learner.email
    (stored,) = outbox()
    assert stored.status == "sent"
    assert reset_link(stored)[0] in delivered.get_content()


# --- flask mail ... ---------------------------------------------------------------------


def test_mail_outbox_command_prints_the_newest_messages(runner, app):
    services.send("first@gt.example.org", "Uno", "Primer cuerpo")
    services.send("second@gt.example.org", "Dos", "Segundo cuerpo")
    db.session.commit()

    result = runner.invoke(args=["mail", "outbox", "--limit", "1"])

    assert result.exit_code == 0, result.output
    assert "[queued] to second@gt.example.org: Dos" in result.output
    assert "Segundo cuerpo" in result.output
    assert "first@gt.example.org" not in result.output


def test_mail_outbox_command_on_an_empty_outbox(runner):
    result = runner.invoke(args=["mail", "outbox"])

    assert result.exit_code == 0
    assert result.output == "The outbox is empty.\n"


@pytest.mark.parametrize("limit", ["0", "1001", "ten"])
def test_mail_outbox_command_refuses_odd_limits(runner, limit):
    assert runner.invoke(args=["mail", "outbox", "--limit", limit]).exit_code == 2


def test_mail_retry_command_reports_and_fails_while_mail_is_failing(app, runner, smtp_server):
    port, log = smtp_server
    use_smtp(app, closed_port())
    services.send("consul@gt.example.org", "Asunto", "Cuerpo")
    db.session.commit()

    failing = runner.invoke(args=["mail", "retry"])
    assert failing.exit_code == 1
    assert failing.output == "0 sent, 1 still failing.\n"

    use_smtp(app, port)
    working = runner.invoke(args=["mail", "retry"])
    assert working.exit_code == 0
    assert working.output == "1 sent, 0 still failing.\n"
    fresh()
    assert outbox()[0].status == "sent"
    assert len(log.messages) == 1


# --- After the commit, off the request ------------------------------------------------


def test_nothing_goes_out_before_the_commit_nor_after_a_rollback(app, smtp_server):
    port, log = smtp_server
    use_smtp(app, port)

    services.send("consul@gt.example.org", "Asunto", "Cuerpo")
    assert log.messages == []
    db.session.rollback()
    db.session.commit()

    assert log.messages == []
    assert outbox() == []


def test_without_a_broker_mail_goes_out_only_once_the_response_is_sent(
    app, client, smtp_server, learner
):
    port, log = smtp_server
    use_smtp(app, port)
    token = csrf_token(client, "/account/reset")

    # Not buffered: the response is handed over, and closed only when the test says so,
    # as a WSGI server closes it once the last byte is written.
    response = client.post(
        "/account/reset", data={"email": learner.email, "csrf_token": token}, buffered=False
    )

    assert response.status_code == 302
    assert log.messages == []
    assert outbox()[0].status == "queued"
    response.close()
    (delivered,) = log.messages
    assert delivered["To"] == learner.email
    assert outbox()[0].status == "sent"


def test_delivery_is_idempotent_and_one_worker_at_a_time(app, smtp_server):
    port, log = smtp_server
    use_smtp(app, port)
    app.config["MAIL_SERVER"] = None  # queued only: nothing handed over
    message = services.send("consul@gt.example.org", "Asunto", "Cuerpo")
    db.session.commit()
    use_smtp(app, port)
    # Another worker holds the lease (it is talking to the mail server).
    message.locked_until = utcnow() + timedelta(minutes=1)
    db.session.commit()

    with pytest.raises(background.TryAgain):
        services.deliver(message.id)
    assert log.messages == []

    message.locked_until = utcnow() - timedelta(seconds=1)  # that worker died
    db.session.commit()
    assert services.deliver(message.id) == "sent"
    assert services.deliver(message.id) == "done"
    assert len(log.messages) == 1
    (stored,) = outbox()
    assert (stored.status, stored.attempts, stored.locked_until) == ("sent", 1, None)


def test_the_sweep_hands_over_failed_and_stale_mail_but_not_young_or_exhausted(app, smtp_server):
    port, log = smtp_server
    use_smtp(app, closed_port())
    failed = services.send("fallido@gt.example.org", "Uno", "Cuerpo")
    exhausted = services.send("agotado@gt.example.org", "Dos", "Cuerpo")
    db.session.commit()
    app.config["MAIL_SERVER"] = None
    young = services.send("joven@gt.example.org", "Tres", "Cuerpo")
    stale = services.send("viejo@gt.example.org", "Cuatro", "Cuerpo")
    stale.created_at = utcnow() - timedelta(minutes=11)
    exhausted.attempts = services.MAX_ATTEMPTS
    db.session.commit()
    assert {m.recipient: m.status for m in outbox()}["fallido@gt.example.org"] == "failed"
    use_smtp(app, port)

    assert services.sweep() == 2
    db.session.commit()  # the hand-over happens after the commit

    assert sorted(message["To"] for message in log.messages) == [
        "fallido@gt.example.org",
        "viejo@gt.example.org",
    ]
    statuses = {m.id: m.status for m in outbox()}
    assert statuses[failed.id] == statuses[stale.id] == "sent"
    assert statuses[young.id] == "queued"
    assert statuses[exhausted.id] == "failed"


def test_a_savepoint_rolled_back_keeps_the_message_of_the_transaction(app, smtp_server):
    port, log = smtp_server
    use_smtp(app, port)

    services.send("consul@gt.example.org", "Asunto", "Cuerpo")
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    db.session.commit()

    assert [message["To"] for message in log.messages] == ["consul@gt.example.org"]
    assert outbox()[0].status == "sent"


def test_retry_leaves_young_queued_messages_to_their_task(app, smtp_server):
    port, log = smtp_server
    use_smtp(app, port)
    app.config["MAIL_SERVER"] = None
    services.send("joven@gt.example.org", "Uno", "Cuerpo")
    old = services.send("viejo@gt.example.org", "Dos", "Cuerpo")
    old.created_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    use_smtp(app, port)

    assert services.retry_failed() == (1, 0)

    assert [message["To"] for message in log.messages] == ["viejo@gt.example.org"]
    assert {m.recipient: m.status for m in outbox()} == {
        "joven@gt.example.org": "queued",
        "viejo@gt.example.org": "sent",
    }
