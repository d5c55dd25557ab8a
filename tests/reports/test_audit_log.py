"""The audit log as administrators and coordinators read it: the API, the page, the
exports, the filters, the pages of results and tenant isolation."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import event

from tests.conftest import login
from tests.factories import create_user
from training.accounts.models import User
from training.audit.models import AuditEvent
from training.extensions import db

PATH = "/api/v1/audit-events"
# Far from today: the events the factories record while creating users are "now".
DAY = datetime(2020, 3, 10, tzinfo=UTC)


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return DAY.replace(day=day, hour=hour, minute=minute, second=second)


@dataclass
class Log:
    admin: User
    coordinator: User
    issuer: User
    learner: User
    mexican_coordinator: User
    cohort_created: AuditEvent
    revoked: AuditEvent
    failed_login: AuditEvent
    mexican_cohort: AuditEvent
    unknown_reset: AuditEvent
    roles_changed: AuditEvent
    late_evening: AuditEvent

    def ids(self, *events: AuditEvent) -> set[int]:
        return {item.id for item in events}


def add(**fields: Any) -> AuditEvent:
    record = AuditEvent(**fields)
    db.session.add(record)
    db.session.flush()
    return record


@pytest.fixture
def log(make_user: Any) -> Log:
    admin = make_user(roles=["admin"], ministry="CR", full_name="Ada Administradora")
    coordinator = make_user(
        roles=["coordinator", "learner"], ministry="GT", full_name="Carmen Coordinadora"
    )
    issuer = make_user(roles=["issuer"], ministry="GT", full_name="Iván Emisor")
    learner = make_user(roles=["learner"], ministry="GT", full_name="Lucía Aprendiz")
    mexican = make_user(
        roles=["coordinator", "learner"], ministry="MX", full_name="Manuel Coordinador"
    )
    gt, mx = coordinator.ministry_id, mexican.ministry_id
    result = Log(
        admin=admin,
        coordinator=coordinator,
        issuer=issuer,
        learner=learner,
        mexican_coordinator=mexican,
        cohort_created=add(
            occurred_at=at(1, 9),
            action="cohort.created",
            actor_id=coordinator.id,
            target_type="Cohort",
            target_id="7",
            ministry_id=gt,
            address="203.0.113.5",
            details={"name": "Taller de Tapachula"},
        ),
        revoked=add(
            occurred_at=at(2, 10),
            action="certificate.revoked",
            actor_id=issuer.id,
            target_type="Certificate",
            target_id="12",
            ministry_id=gt,
            details={"serial": "GT-2020-000012", "reason": "error"},
        ),
        failed_login=add(
            occurred_at=at(3, 11),
            action="auth.login_failed",
            actor_id=None,
            ministry_id=gt,
            address="198.51.100.7",
            # Written before secrets were dropped on the way in: never shown.
            details={
                "email": learner.email,
                "password": "hunter2-leaked",
                "nested": {"api_token": "tk_leaked", "kept": 1},
            },
        ),
        mexican_cohort=add(
            occurred_at=at(4, 9),
            action="cohort.created",
            actor_id=mexican.id,
            target_type="Cohort",
            target_id="7",
            ministry_id=mx,
            details={"name": "Taller de Monterrey"},
        ),
        unknown_reset=add(
            occurred_at=at(5, 9),
            action="auth.password_reset_requested",
            actor_id=None,
            ministry_id=None,
            details={"known": False},
        ),
        roles_changed=add(
            occurred_at=at(6, 9),
            action="user.roles_changed",
            actor_id=admin.id,
            target_type="User",
            target_id=str(learner.id),
            ministry_id=gt,
            details={"before": ["learner"], "after": ["learner", "issuer"]},
        ),
        late_evening=add(
            occurred_at=at(7, 23, 59, 59),
            action="cohort.members_added",
            actor_id=coordinator.id,
            target_type="Cohort",
            target_id="7",
            ministry_id=gt,
            details={"count": 3},
        ),
    )
    db.session.commit()
    return result


def visible_to(user: User) -> set[int]:
    """The ids of every event the user may read, straight from the database."""
    statement = db.select(AuditEvent.id)
    if "admin" not in {role.value for role in user.roles}:
        statement = statement.where(AuditEvent.ministry_id == user.ministry_id)
    return set(db.session.scalars(statement))


def get(client: FlaskClient, headers: dict[str, str], **params: Any) -> Any:
    return client.get(PATH, query_string={"per_page": 1000, **params}, headers=headers)


def ids_of(response: Any) -> set[int]:
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


# --- Who reads what --------------------------------------------------------------------


def test_an_administrator_reads_every_ministry_and_the_events_of_none(client, log, api_token):
    response = get(client, api_token(log.admin))

    assert ids_of(response) == visible_to(log.admin)
    assert log.ids(log.mexican_cohort, log.unknown_reset, log.revoked) <= ids_of(response)
    assert response.get_json()["total"] == len(visible_to(log.admin))
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("who", ["coordinator", "mexican_coordinator"])
def test_a_coordinator_reads_only_the_own_ministry(client, log, api_token, who):
    user = getattr(log, who)
    response = get(client, api_token(user))

    seen = ids_of(response)
    assert seen == visible_to(user)
    assert {item["ministry"] for item in response.get_json()["items"]} == {user.ministry.code}
    assert log.unknown_reset.id not in seen
    if who == "coordinator":
        assert log.mexican_cohort.id not in seen
        # An administrator's action on one of the ministry's people is the ministry's.
        assert log.ids(log.cohort_created, log.roles_changed, log.failed_login) <= seen
    else:
        assert log.ids(log.cohort_created, log.revoked, log.failed_login).isdisjoint(seen)
        assert log.mexican_cohort.id in seen


@pytest.mark.parametrize(("who", "other"), [("coordinator", "MX"), ("mexican_coordinator", "GT")])
def test_another_ministry_s_code_is_not_found(client, log, api_token, who, other):
    response = get(client, api_token(getattr(log, who)), ministry=other)

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


@pytest.mark.parametrize("who", ["coordinator", "mexican_coordinator"])
def test_another_ministry_s_people_and_records_match_nothing(client, log, api_token, who):
    user = getattr(log, who)
    stranger = log.mexican_coordinator if who == "coordinator" else log.coordinator
    headers = api_token(user)

    assert ids_of(get(client, headers, actor=stranger.id)) == set()
    assert ids_of(get(client, headers, actor=stranger.email)) == set()
    # The same target id in both ministries: only the reader's own event.
    own = log.cohort_created if who == "coordinator" else log.mexican_cohort
    same_target = ids_of(get(client, headers, target_type="Cohort", target_id="7"))
    assert own.id in same_target
    assert (log.mexican_cohort if who == "coordinator" else log.cohort_created).id not in (
        same_target
    )


def test_an_administrator_may_narrow_to_one_ministry(client, log, api_token):
    response = get(client, api_token(log.admin), ministry="mx")

    assert ids_of(response) == visible_to(log.mexican_coordinator)


@pytest.mark.parametrize("who", ["issuer", "learner"])
def test_issuers_and_learners_may_not_read_the_log(client, log, api_token, who):
    response = get(client, api_token(getattr(log, who)))

    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_nobody_signed_in_gets_401(client, log):
    response = client.get(PATH)

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthenticated"


# --- What an event says ----------------------------------------------------------------


def test_an_event_names_actor_target_ministry_address_and_details(client, log, api_token):
    items = get(client, api_token(log.admin), action="cohort.created", ministry="GT").get_json()[
        "items"
    ]

    assert items == [
        {
            "id": log.cohort_created.id,
            "occurred_at": "2020-03-01T09:00:00Z",
            "action": "cohort.created",
            "actor_id": log.coordinator.id,
            "actor_name": "Carmen Coordinadora",
            "actor_email": log.coordinator.email,
            "target_type": "Cohort",
            "target_id": "7",
            "ministry": "GT",
            "address": "203.0.113.5",
            "details": {"name": "Taller de Tapachula"},
        }
    ]


def test_details_never_show_a_secret_and_nobody_is_anonymous(client, log, api_token):
    (item,) = get(client, api_token(log.coordinator), action="auth.login_failed").get_json()[
        "items"
    ]

    assert (item["actor_id"], item["actor_name"], item["actor_email"]) == (None, None, None)
    assert item["details"] == {"email": log.learner.email, "nested": {"kept": 1}}
    assert "leaked" not in str(item)


def test_newest_first_and_pages_of_the_standard_envelope(client, log, api_token):
    headers = api_token(log.coordinator)
    everything = get(client, headers, to="2020-03-31").get_json()
    expected = [
        log.late_evening.id,
        log.roles_changed.id,
        log.failed_login.id,
        log.revoked.id,
        log.cohort_created.id,
    ]
    assert [item["id"] for item in everything["items"]] == expected

    first = client.get(PATH, query_string={"to": "2020-03-31", "per_page": 2}, headers=headers)
    third = client.get(
        PATH, query_string={"to": "2020-03-31", "per_page": 2, "page": 3}, headers=headers
    )
    beyond = client.get(
        PATH, query_string={"to": "2020-03-31", "per_page": 2, "page": 9}, headers=headers
    )

    assert first.get_json() == {
        "items": everything["items"][:2],
        "total": 5,
        "page": 1,
        "per_page": 2,
    }
    assert [item["id"] for item in third.get_json()["items"]] == expected[4:]
    assert beyond.get_json() == {"items": [], "total": 5, "page": 9, "per_page": 2}


# --- Filters ----------------------------------------------------------------------------


def test_filters(client, log, api_token):
    headers = api_token(log.admin)

    def found(**params: Any) -> set[int]:
        return ids_of(get(client, headers, **params))

    assert found(action="certificate.revoked") == {log.revoked.id}
    assert found(action="cohort", to="2020-12-31") == log.ids(
        log.cohort_created, log.mexican_cohort, log.late_evening
    )
    assert found(actor=str(log.issuer.id)) == {log.revoked.id}
    assert found(actor=log.issuer.email.upper()) == {log.revoked.id}
    assert found(actor="anonymous", to="2020-12-31") == log.ids(log.failed_login, log.unknown_reset)
    assert found(target_type="user", target_id=str(log.learner.id), to="2020-12-31") == {
        log.roles_changed.id
    }
    assert found(target_type="Certificate") == {log.revoked.id}
    # Inclusive days in UTC: the last second of the 7th is in, the 1st's morning too.
    assert found(**{"from": "2020-03-06", "to": "2020-03-07"}) == log.ids(
        log.roles_changed, log.late_evening
    )
    assert found(**{"from": "2020-03-01", "to": "2020-03-01"}) == {log.cohort_created.id}
    assert found(**{"from": "2020-03-08", "to": "2020-03-31"}) == set()
    assert found(action="cohort.created", actor=log.coordinator.email) == {log.cohort_created.id}
    # A family matches whole words: "cohort" is not "cohorts.anything".
    assert found(action="cohor") == set()


@pytest.mark.parametrize(
    "params",
    [
        {"actor": "not-a-person"},
        {"actor": "0"},
        {"actor": "99999999999999"},
        {"actor": "ana maría"},
        {"actor": "a\x01b@example.org"},
        {"action": "certificate revoked"},
        {"action": "'; DROP TABLE audit_event; --"},
        {"action": "x" * 65},
        {"target_type": "1User"},
        {"target_id": "7 OR 1=1"},
        {"target_id": "7"},
        {"from": "2020-13-01"},
        {"from": "2020-03-10", "to": "2020-03-01"},
        {"to": "yesterday"},
        {"page": "0"},
        {"page": "one"},
        {"per_page": "5000"},
        {"format": "pdf"},
        {"ministry": "GTM"},
        {"lang": "de"},
        {"sort": "id"},
    ],
    ids=lambda params: "-".join(f"{key}={value!r}"[:30] for key, value in params.items()),
)
def test_bad_filter_values_are_refused(client, log, api_token, params):
    response = client.get(PATH, query_string=params, headers=api_token(log.admin))

    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.get_json()["code"] == "validation_failed"


def test_a_nul_character_is_refused_before_any_query(client, log, api_token):
    response = client.get(PATH, query_string={"actor": "a\x00b"}, headers=api_token(log.admin))

    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid"


def test_the_last_day_there_is_is_a_period_too(client, log, api_token):
    response = get(client, api_token(log.admin), **{"from": "2020-03-01", "to": "9999-12-31"})

    assert log.ids(log.cohort_created, log.late_evening) <= ids_of(response)


# --- Exports -----------------------------------------------------------------------------


def read_csv(response: Any) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_export_of_the_filtered_log(client, log, api_token):
    response = client.get(
        PATH,
        query_string={"format": "csv", "to": "2020-12-31"},
        headers=api_token(log.coordinator),
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="audit-events-GT-')
    header, *rows = read_csv(response)
    assert header == [
        "Id",
        "Fecha y hora (UTC)",
        "Acción",
        "Id de quien actuó",
        "Quién actuó",
        "Correo de quien actuó",
        "Tipo de registro",
        "Id del registro",
        "Ministerio",
        "Dirección IP",
        "Detalles",
    ]
    assert [int(row[0]) for row in rows] == [
        log.late_evening.id,
        log.roles_changed.id,
        log.failed_login.id,
        log.revoked.id,
        log.cohort_created.id,
    ]
    by_id = {int(row[0]): row for row in rows}
    assert by_id[log.cohort_created.id] == [
        str(log.cohort_created.id),
        "2020-03-01T09:00:00Z",
        "cohort.created",
        str(log.coordinator.id),
        "Carmen Coordinadora",
        log.coordinator.email,
        "Cohort",
        "7",
        "GT",
        "203.0.113.5",
        '{"name": "Taller de Tapachula"}',
    ]
    failed = by_id[log.failed_login.id]
    assert failed[3:6] == ["", "anónimo", ""]
    assert "leaked" not in response.get_data(as_text=True)


def test_xlsx_export_in_english(client, log, api_token):
    response = client.get(
        PATH,
        query_string={"format": "xlsx", "action": "auth", "to": "2020-12-31", "lang": "en"},
        headers=api_token(log.admin),
    )

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Id", "Date and time (UTC)", "Action", "Actor id", "Actor")
    assert {row[0] for row in rows[1:]} == log.ids(log.failed_login, log.unknown_reset)
    assert {row[4] for row in rows[1:]} == {"anonymous"}


def test_a_streamed_export_on_a_token_s_first_use(app: Flask, log: Log, api_token: Any) -> None:
    """The token's first use may commit before the body streams: the rows must not
    depend on objects that commit expired."""
    headers = api_token(log.coordinator)
    answers: list[Any] = []

    def request_as_a_server_does() -> None:
        answers.append(
            FlaskClient(app).get(f"{PATH}?format=csv&to=2020-12-31", headers=headers, buffered=True)
        )

    thread = threading.Thread(target=request_as_a_server_does)
    thread.start()
    thread.join(timeout=60)
    (response,) = answers

    assert response.status_code == 200
    assert "Taller de Tapachula" in response.get_data(as_text=True)


# --- The page ----------------------------------------------------------------------------


def test_the_page_lists_the_coordinator_s_events_accessibly(client, log):
    login(client, log.coordinator)
    page = client.get("/audit?to=2020-12-31").get_data(as_text=True)

    assert "<h1>Registro de auditoría</h1>" in page
    assert "Carmen Coordinadora" in page and "Iván Emisor" in page
    assert "Taller de Monterrey" not in page and "Manuel Coordinador" not in page
    assert "hunter2" not in page
    assert "<caption" in page and '<th scope="col">Acción</th>' in page
    for field in ("action", "actor", "target_type", "target_id", "from", "to"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    # Coordinators have no choice of ministry.
    assert 'name="ministry"' not in page
    assert "5 acciones" in page
    assert 'href="/api/v1/audit-events?to=2020-12-31&amp;format=csv"' in page


def test_the_page_pages_and_keeps_the_filters(client, log):
    add_events(55, log.coordinator.ministry_id, action="cohort.members_removed")
    login(client, log.admin)
    page = client.get("/audit?ministry=GT&action=cohort").get_data(as_text=True)

    assert 'name="ministry"' in page
    assert '<option value="GT" selected>' in page
    assert "Taller de Tapachula" not in page  # the oldest: on the second page
    assert "Taller de Monterrey" not in page
    assert "57 acciones · página 1 de 2" in page
    assert 'href="/audit?ministry=GT&amp;action=cohort&amp;page=2" rel="next"' in page
    second = client.get("/audit?ministry=GT&action=cohort&page=2").get_data(as_text=True)
    assert "Taller de Tapachula" in second
    assert 'href="/audit?ministry=GT&amp;action=cohort&amp;page=1" rel="prev"' in second


def test_the_page_in_english_for_an_administrator(client, log):
    log.admin.language = "en"
    db.session.commit()
    login(client, log.admin)
    page = client.get("/audit").get_data(as_text=True)

    assert "<h1>Audit log</h1>" in page
    assert "Taller de Monterrey" in page  # every ministry
    assert "anonymous" in page


def test_a_bad_filter_on_the_page_is_a_422_page(client, log):
    login(client, log.coordinator)
    response = client.get("/audit?actor=not-a-person&from=tomorrow")

    assert response.status_code == 422
    assert "text/html" in response.content_type


def test_the_page_refuses_another_ministry_and_the_issuer(app, client, log):
    login(client, log.coordinator)
    assert client.get("/audit?ministry=MX").status_code == 404

    other = app.test_client()
    login(other, log.issuer)
    assert other.get("/audit").status_code == 403


@pytest.mark.parametrize(
    ("who", "linked"),
    [("admin", True), ("coordinator", True), ("issuer", False), ("learner", False)],
)
def test_the_navigation_links_the_log_for_those_allowed(client, log, who, linked):
    login(client, getattr(log, who))
    page = client.get("/").get_data(as_text=True)

    assert ('href="/audit"' in page) is linked


def test_the_page_downloads_the_filtered_log(client, log):
    login(client, log.coordinator)
    response = client.get("/audit?format=csv&action=certificate")

    assert response.status_code == 200
    _header, *rows = read_csv(response)
    assert [int(row[0]) for row in rows] == [log.revoked.id]


# --- Queries -----------------------------------------------------------------------------


@pytest.fixture
def count_queries(app: Flask) -> Iterator[Any]:
    """``measure(client, path, headers)``: the queries a request runs, in all and those
    that read the audit log."""

    def measure(
        client: FlaskClient, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, int]:
        statements: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            response = client.get(path, headers=headers or {})
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return len(statements), len([s for s in statements if "audit_event" in s])

    yield measure


def add_events(count: int, ministry_id: int, action: str = "cohort.created") -> None:
    actors = [create_user(ministry="GT") for _ in range(3)]
    for number in range(count):
        add(
            occurred_at=at(20),
            action=action,
            actor_id=actors[number % 3].id if number % 4 else None,
            target_type="Cohort",
            target_id=str(number),
            ministry_id=ministry_id,
        )
    db.session.commit()


@pytest.mark.parametrize("path", [PATH, "/audit"])
def test_a_page_of_events_is_two_queries_whatever_the_events(
    client, log, api_token, count_queries, path
):
    if path == PATH:
        headers = api_token(log.coordinator)
    else:
        headers = {}
        login(client, log.coordinator)
    client.get(path, headers=headers)  # a token's or a session's first use records it
    add_events(5, log.coordinator.ministry_id)
    few = count_queries(client, path, headers)
    add_events(60, log.coordinator.ministry_id)
    many = count_queries(client, path, headers)

    assert few == many
    # The rows (with their actors and ministries joined) and the count; the page adds
    # the actions for the filter's suggestions.
    assert many[1] == (2 if path == PATH else 3)
