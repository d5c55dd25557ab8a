"""Small helpers the tests share: reading the database as a request left it, forms,
mail and the audit log."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.conftest import csrf_token
from training.audit.models import AuditEvent
from training.extensions import db
from training.mail.models import OutboxMessage


def with_settings(**settings: Any) -> pytest.MarkDecorator:
    """Run a test with an app built with these extra settings (overrides ``app_settings``)."""
    return pytest.mark.parametrize("app_settings", [settings], ids=["settings"])


def fresh() -> None:
    """Forget what this test's session holds, so that the next read sees what requests
    (each with a session of their own) committed."""
    db.session.rollback()


def row_counts() -> dict[str, int]:
    """The number of rows of every table."""
    fresh()
    return {
        table.name: db.session.execute(db.select(db.func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def audit_events(action: str | None = None) -> list[AuditEvent]:
    fresh()
    statement = db.select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    return list(db.session.scalars(statement))


def audit_actions() -> list[str]:
    return [event.action for event in audit_events()]


def outbox() -> list[OutboxMessage]:
    fresh()
    return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))


def table_text(table: str) -> str:
    """Every value of every row of ``table`` as one string, to look for leaked secrets."""
    fresh()
    assert table in {"api_token", "audit_event", "outbox_message", "user_account"}
    rows = db.session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608 - fixed names
    return "\n".join(" ".join(str(value) for value in row) for row in rows)


def post_form(
    client: FlaskClient, path: str, data: dict[str, Any], *, token_from: str | None = None
) -> Any:
    """POST a form the way a browser would: with the CSRF token of the page it came from."""
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token})


FLASH = re.compile(r'<p class="flash flash-(\w+)"[^>]*>([^<]*)</p>')


def flashes(page: str) -> tuple[tuple[str, str], ...]:
    """The (category, message) pairs shown at the top of a page."""
    return tuple(FLASH.findall(page))


RESET_LINK = re.compile(r"(https?://\S+/account/reset/(\S+))")


def reset_link(message: OutboxMessage) -> tuple[str, str]:
    """The (link, token) of a password-reset e-mail."""
    match = RESET_LINK.search(message.body)
    assert match, message.body
    return match.group(1), match.group(2)


def signed_in_as(client: FlaskClient) -> str | None:
    """The e-mail of the user the client's session belongs to, or None."""
    response = client.get("/api/v1/me")
    if response.status_code == 401:
        return None
    assert response.status_code == 200, response.get_json()
    return str(response.get_json()["email"])
