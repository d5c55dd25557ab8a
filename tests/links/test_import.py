"""Importing the provider's completion list (CSV): encodings, separators, matching by
e-mail within the importer's ministry, and a result for every row."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.conftest import csrf_token
from tests.helpers import audit_events, fresh, row_counts
from tests.links.conftest import multipart
from training.csvfiles import CsvProblem
from training.errors import Invalid, NotFound, ValidationFailed
from training.extensions import db
from training.links import completion_import, completions
from training.links.models import ExternalCompletion


def run(actor: Any, course: Any, text: str | bytes, encoding: str = "utf-8") -> Any:
    data = text.encode(encoding) if isinstance(text, str) else text
    report = completion_import.import_completions(actor, course.id, io.BytesIO(data))
    db.session.commit()
    return report


def by_email(report: Any) -> dict[str, str]:
    return {row.email: row.result for row in report.rows}


@pytest.fixture
def staff(make_user: Any) -> dict[str, Any]:
    return {
        "ana": make_user(roles=["learner"], ministry="GT", email="ana.perez@minex.gob.gt"),
        "luis": make_user(roles=["learner"], ministry="GT", email="luis@minex.gob.gt"),
        "mexicana": make_user(roles=["learner"], ministry="MX", email="maria@sre.gob.mx"),
    }


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("email,completion date\nana.perez@minex.gob.gt,2026-02-03\n", "utf-8"),
        ("email,completion date\nana.perez@minex.gob.gt,2026-02-03\n", "utf-8-sig"),
        ("Nombre;Correo electrónico;Fecha\nAna Pérez;ana.perez@minex.gob.gt;03/02/2026\n", "utf-8"),
        (
            "Nombre;Correo electrónico;Fecha\r\nAna Pérez;ANA.PEREZ@minex.gob.gt;03/02/2026\r\n",
            "utf-8-sig",
        ),
        ("E-mail\tCompleted\nana.perez@minex.gob.gt\t2026-02-03T10:00:00Z\n", "utf-8"),
    ],
    ids=["comma", "comma-bom", "semicolon-spanish", "semicolon-bom-crlf-case", "tab"],
)
def test_the_list_is_read_in_its_usual_shapes(
    gt_coordinator: Any, global_course: Any, staff: Any, text: str, encoding: str
) -> None:
    report = run(gt_coordinator, global_course, text, encoding)

    assert by_email(report) == {"ana.perez@minex.gob.gt": "verified"}
    fresh()
    completion = db.session.scalars(db.select(ExternalCompletion)).one()
    assert (completion.user_id, completion.status, completion.source) == (
        staff["ana"].id,
        "verified",
        "imported",
    )
    assert completion.completed_on.isoformat() == "2026-02-03"
    assert completion.reviewed_by_id == gt_coordinator.id


def test_every_row_gets_a_result(gt_coordinator: Any, global_course: Any, staff: Any) -> None:
    completions.report_completion(staff["luis"], global_course.id)
    db.session.commit()
    text = (
        "email;name\n"
        "ana.perez@minex.gob.gt;Ana\n"
        "nadie@minex.gob.gt;Nadie\n"
        "maria@sre.gob.mx;María (otro ministerio)\n"
        "no es un correo;X\n"
        ";Sin correo\n"
        "ana.perez@minex.gob.gt;Ana otra vez\n"
        "luis@minex.gob.gt;Luis\n"
        "\n"
    )

    report = run(gt_coordinator, global_course, text)

    assert [(row.line, row.email, row.result) for row in report.rows] == [
        (2, "ana.perez@minex.gob.gt", "verified"),
        (3, "nadie@minex.gob.gt", "not_found"),
        (4, "maria@sre.gob.mx", "not_found"),
        (5, "no es un correo", "invalid"),
        (6, "", "invalid"),
        (7, "ana.perez@minex.gob.gt", "duplicate"),
        (8, "luis@minex.gob.gt", "verified"),
    ]
    assert report.counts == {
        "verified": 2,
        "already_verified": 0,
        "own_pending": 0,
        "not_found": 2,
        "invalid": 2,
        "duplicate": 1,
    }
    fresh()
    ministries = {c.ministry_id for c in db.session.scalars(db.select(ExternalCompletion))}
    assert ministries == {gt_coordinator.ministry_id}
    [event] = audit_events("external_completion.imported")
    assert event.details["not_found"] == 2


def test_importing_twice_changes_nothing_the_second_time(
    gt_coordinator: Any, global_course: Any, staff: Any
) -> None:
    text = "email\nana.perez@minex.gob.gt\n"
    run(gt_coordinator, global_course, text)
    before = row_counts()

    report = run(gt_coordinator, global_course, text)

    assert by_email(report) == {"ana.perez@minex.gob.gt": "already_verified"}
    after = row_counts()
    assert after.pop("audit_event") == before.pop("audit_event") + 1
    assert after == before


def test_an_administrator_matches_every_ministry(
    admin: Any, global_course: Any, staff: Any
) -> None:
    report = run(admin, global_course, "email\nana.perez@minex.gob.gt\nmaria@sre.gob.mx\n")

    assert set(by_email(report).values()) == {"verified"}


def test_nobody_imports_into_another_ministrys_course(
    gt_coordinator: Any, mx_course: Any, staff: Any
) -> None:
    with pytest.raises(NotFound):
        run(gt_coordinator, mx_course, "email\nmaria@sre.gob.mx\n")
    assert db.session.scalar(db.select(db.func.count(ExternalCompletion.id))) == 0


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"nombre;fecha\nAna;2026-01-01\n", ValidationFailed, "columna de correo"),
        ("email\nana.pérez@minex.gob.gt\n".encode("latin-1"), Invalid, "UTF-8"),
        (b"", Invalid, "vac"),
        (b"\n\n  \n", Invalid, "vac"),
        (b"email\nana@x.org\x00\n", Invalid, "CSV"),
        (b'email\n"ana@x.org\n', Invalid, "CSV"),
    ],
    ids=["no-email-column", "latin-1", "empty", "blank", "nul", "unclosed-quote"],
)
def test_unreadable_lists_are_refused_whole(
    gt_coordinator: Any, global_course: Any, staff: Any, data: bytes, error: type, message: str
) -> None:
    with pytest.raises(error) as caught:
        run(gt_coordinator, global_course, data)

    assert message in caught.value.message
    assert db.session.scalar(db.select(db.func.count(ExternalCompletion.id))) == 0


def test_too_large_a_list_is_refused(gt_coordinator: Any, global_course: Any) -> None:
    data = b"email\n" + b"persona@minex.gob.gt\n" * (completion_import.IMPORT_MAX_BYTES // 20)

    with pytest.raises(CsvProblem) as caught:
        run(gt_coordinator, global_course, data)
    assert (caught.value.status, caught.value.code) == (413, "too_large")


def test_the_import_page(
    client: Any, logged_in: Any, gt_coordinator: Any, global_course: Any, staff: Any
) -> None:
    logged_in(gt_coordinator)
    path = f"/coordination/external-courses/{global_course.id}/import"
    assert "Archivo CSV" in client.get(path).get_data(as_text=True)
    token = csrf_token(client, path)

    good = client.post(
        path,
        **multipart(
            {
                "csrf_token": token,
                "file": (
                    io.BytesIO(b"\xef\xbb\xbfemail\nana.perez@minex.gob.gt\nx@y.org\n"),
                    "l.csv",
                ),
            }
        ),
    )
    bad = client.post(
        path,
        **multipart({"csrf_token": token, "file": (io.BytesIO(b"nombre\nAna\n"), "l.csv")}),
    )

    page = good.get_data(as_text=True)
    assert good.status_code == 200
    assert "Verificadas ahora: 1" in page and "No encontradas en su ministerio: 1" in page
    assert bad.status_code == 422
    assert "columna de correo" in bad.get_data(as_text=True)


def test_the_import_api(
    client: Any, api_token: Any, gt_coordinator: Any, global_course: Any, staff: Any
) -> None:
    response = client.post(
        f"/api/v1/external-courses/{global_course.id}/completion-imports",
        headers=api_token(gt_coordinator),
        **multipart({"file": (io.BytesIO(b"email\nluis@minex.gob.gt\nmaria@sre.gob.mx\n"), "l")}),
    )

    body = response.get_json()
    assert response.status_code == 200
    assert body["counts"]["verified"] == 1 and body["counts"]["not_found"] == 1
    assert [row["result"] for row in body["rows"]] == ["verified", "not_found"]


def test_the_importer_does_not_verify_their_own_completion(
    client: Any,
    api_token: Any,
    make_user: Any,
    gt_coordinator: Any,
    global_course: Any,
    staff: Any,
) -> None:
    text = f"email\n{gt_coordinator.email}\nana.perez@minex.gob.gt\n"

    response = client.post(
        f"/api/v1/external-courses/{global_course.id}/completion-imports",
        headers=api_token(gt_coordinator),
        **multipart({"file": (io.BytesIO(text.encode()), "list.csv")}),
    )

    body = response.get_json()
    assert response.status_code == 200, body
    assert [row["result"] for row in body["rows"]] == ["own_pending", "verified"]
    assert body["counts"]["own_pending"] == 1 and body["counts"]["verified"] == 1
    fresh()
    own = db.session.scalars(
        db.select(ExternalCompletion).where(ExternalCompletion.user_id == gt_coordinator.id)
    ).one()
    assert (own.status, own.reviewed_by_id, own.source) == ("reported", None, "imported")
    assert body["rows"][0]["completion_id"] == own.id
    [event] = audit_events("external_completion.own_left_pending")
    assert (event.actor_id, event.target_id) == (gt_coordinator.id, str(own.id))
    # Another coordinator of the ministry verifies it.
    colleague = make_user(roles=["coordinator"], ministry="GT")
    completions.review(colleague, own.id, "verified")
    db.session.commit()
    fresh()
    assert db.session.get(ExternalCompletion, own.id).reviewed_by_id == colleague.id


def test_importing_a_reported_own_completion_leaves_it_for_review(
    gt_coordinator: Any, global_course: Any
) -> None:
    completions.report_completion(gt_coordinator, global_course.id)
    db.session.commit()

    report = run(gt_coordinator, global_course, f"email\n{gt_coordinator.email}\n")

    assert by_email(report) == {gt_coordinator.email: "own_pending"}
    fresh()
    completion = db.session.scalars(db.select(ExternalCompletion)).one()
    assert (completion.status, completion.reviewed_by_id) == ("reported", None)


def test_the_import_page_reports_the_importers_own_row(
    client: Any, logged_in: Any, gt_coordinator: Any, global_course: Any
) -> None:
    logged_in(gt_coordinator)
    path = f"/coordination/external-courses/{global_course.id}/import"
    token = csrf_token(client, path)
    data = {
        "csrf_token": token,
        "file": (io.BytesIO(f"email\n{gt_coordinator.email}\n".encode()), "list.csv"),
    }

    page = client.post(path, data=data, content_type="multipart/form-data")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "pendiente de revisión por otra coordinación: 1" in text
    assert "Verificadas ahora: 0" in text


def test_the_import_writes_in_batches_not_row_by_row(
    app: Any, make_user: Any, gt_coordinator: Any, global_course: Any
) -> None:
    """Forty matched rows are written in one flush; on PostgreSQL (which inserts many rows
    in one statement) the number of statements does not grow with the rows either."""
    from sqlalchemy import event

    from tests.conftest import backend

    def measure(count: int, prefix: str) -> tuple[int, int]:
        people = [
            make_user(roles=["learner"], ministry="GT", email=f"{prefix}{n}@minex.gob.gt")
            for n in range(count)
        ]
        text = "email\n" + "".join(f"{person.email}\n" for person in people)
        statements: list[str] = []
        flushes: list[int] = []

        def on_statement(*args: Any) -> None:
            statements.append(args[2])

        def on_flush(session: Any, context: Any) -> None:
            if session.new or session.dirty:
                flushes.append(len(session.new) + len(session.dirty))

        session = db.session()
        event.listen(db.engine, "before_cursor_execute", on_statement)
        event.listen(session, "after_flush", on_flush)
        try:
            report = completion_import.import_completions(
                gt_coordinator, global_course.id, io.BytesIO(text.encode())
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", on_statement)
            event.remove(session, "after_flush", on_flush)
        db.session.commit()
        assert report.counts["verified"] == count
        return len(flushes), len(statements)

    few_flushes, few_statements = measure(3, "pocos")
    many_flushes, many_statements = measure(40, "muchos")

    assert many_flushes == few_flushes <= 3
    if backend() == "postgresql":
        assert many_statements == few_statements
