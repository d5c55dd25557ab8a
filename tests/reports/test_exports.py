"""Exports: CSV (RFC 4180, UTF-8 with BOM, formulas neutralised) and XLSX, streamed with
bounded memory, never cached."""

from __future__ import annotations

import csv
import io
import threading
import tracemalloc
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.catalog.conftest import SHIPPED
from tests.factories import create_user
from tests.reports.conftest import World, add_learners
from training.catalog import services as catalog
from training.catalog.models import current_programs
from training.extensions import db
from training.reports import formats, presenters, services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_csv(response: Any) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_is_rfc_4180_with_bom_and_neutralised_formulas(
    world: World, coordinator_get: Any
) -> None:
    # Names may hold anything a spreadsheet would misread (set here past the service,
    # which keeps names on one line).
    world.carla.full_name = 'Carla\r\nTzul, de la "Embajada"'
    db.session.commit()

    response = coordinator_get("/api/v1/reports/completion?format=csv")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="completion-GT-') and disposition.endswith(
        '.csv"'
    )
    raw = response.get_data().decode("utf-8-sig")
    # CRLF between records; the quoted name keeps its own line break; quotes doubled.
    assert raw.endswith("\r\n")
    assert '"Carla\r\nTzul, de la ""Embajada"""' in raw
    assert '"\'=SUM(1) Núñez, ""Chepe"""' in raw
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Id", "Nombre", "Correo electrónico"]
    assert len(body) == 12
    by_name = {(row[1], row[5]): dict(zip(header, row, strict=True)) for row in body}
    assert ('\'=SUM(1) Núñez, "Chepe"', "alfa") in by_name
    assert ('Carla\r\nTzul, de la "Embajada"', "beta") in by_name
    ana = by_name[(world.ana.full_name, "alfa")]
    assert ana["Estado"] == "Completado" and ana["Mejor puntuación"] == "100"
    assert ana["Certificado"].startswith("GT-") and ana["Estado del certificado"] == "Válido"
    assert by_name[(world.dora.full_name, "alfa")]["Cuenta desactivada"] == "sí"


def test_csv_in_english(world: World, coordinator_get: Any) -> None:
    rows = read_csv(coordinator_get("/api/v1/reports/completion?format=csv&lang=en"))
    assert rows[0][:2] == ["Id", "Name"]
    assert {row[7] for row in rows[1:]} == {"Not started", "In progress", "Completed"}


def test_xlsx_opens_back_with_openpyxl(world: World, coordinator_get: Any) -> None:
    response = coordinator_get("/api/v1/reports/completion?format=xlsx&status=completed")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == XLSX
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    sheet = workbook.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    assert rows[0][:2] == ["Id", "Nombre"]
    assert {(row[1], row[5]) for row in rows[1:]} == {
        (world.ana.full_name, "alfa"),
        (world.ana.full_name, "beta"),
        (world.dora.full_name, "alfa"),
    }
    ana = next(row for row in rows[1:] if row[1] == world.ana.full_name)
    assert ana[0] == world.ana.id and ana[8] == 100  # numbers stay numbers
    assert ana[9] is not None and ana[9].year >= 2026  # a date cell (UTC)


def test_xlsx_neutralises_formulas(world: World, coordinator_get: Any) -> None:
    response = coordinator_get("/api/v1/reports/completion?format=xlsx")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.worksheets[0]
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    formula = next(cell for cell in cells if "SUM" in str(cell.value))
    assert formula.value == '\'=SUM(1) Núñez, "Chepe"' and formula.data_type == "s"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(1)", "'=SUM(1)"),
        ("+34 600", "'+34 600"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ana", "Ana"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(value: str, expected: str) -> None:
    assert formats.neutralise(value) == expected


def test_csv_cells_keep_numbers_and_write_dates_in_iso(app: Flask) -> None:
    from datetime import UTC, date, datetime

    chunks = formats.get("csv").chunks(
        "t",
        ["a", "b", "c", "d", "e", "f"],
        [[-5, 1.5, None, True, datetime(2026, 5, 1, 10, 0, tzinfo=UTC), date(2026, 5, 2)]],
    )
    text = b"".join(chunks).decode("utf-8-sig")
    assert text == "a,b,c,d,e,f\r\n-5,1.5,,sí,2026-05-01T10:00:00Z,2026-05-02\r\n"


def test_xlsx_drops_characters_xml_cannot_hold(app: Flask) -> None:
    data = b"".join(formats.get("xlsx").chunks("t: [x]", ["a"], [["uno\x00dos\x1b"]]))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "t   x"
    assert sheet["A2"].value == "unodos"


def test_unknown_format(coordinator_get: Any, coordinator: Any) -> None:
    response = coordinator_get("/api/v1/reports/completion?format=pdf")
    assert response.status_code == 422
    assert "format" in response.get_json()["details"]["fields"]


def test_the_export_is_streamed(world: World, app: Flask) -> None:
    with app.test_request_context():
        scope = services.scope(world.coordinator)
        table = presenters.completion("es")
        response = formats.response(
            "csv", "x", "x", table.headers(), table.export_rows(services.completion_stream(scope))
        )
        assert response.is_streamed
        assert response.headers["Cache-Control"] == "no-store"


def export_peak(coordinator: Any, format_name: str) -> tuple[int, int]:
    """Peak memory (bytes, tracemalloc) while the whole completion report is exported,
    and the number of data rows written."""
    scope = services.scope(coordinator)
    table = presenters.completion("es")
    rows = 0

    def counted() -> Any:
        nonlocal rows
        for row in services.completion_stream(scope):
            rows += 1
            yield row

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        for _chunk in formats.get(format_name).chunks(
            "x", table.headers(), table.export_rows(counted())
        ):
            pass
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, rows


@pytest.mark.parametrize("format_name", ["csv", "xlsx"])
def test_memory_stays_bounded_whatever_the_number_of_rows(
    app: Flask, ministries: Any, format_name: str
) -> None:
    catalog.sync(SHIPPED, item_checks="error")
    db.session.commit()
    coordinator = create_user(roles=["coordinator"], ministry="GT")
    add_learners("GT", 200, tag="small")
    with app.test_request_context():
        export_peak(coordinator, format_name)  # warm caches (compiled SQL, translations)
        small_peak, small_rows = export_peak(coordinator, format_name)
        add_learners("GT", 1800, tag="large")
        large_peak, large_rows = export_peak(coordinator, format_name)
    modules = db.session.scalars(current_programs()).first().program_modules
    assert (small_rows, large_rows) == (200 * len(modules), 2000 * len(modules))
    print(
        f"{format_name}: peak {small_peak} B for {small_rows} rows, {large_peak} B for {large_rows}"
    )
    # Ten times the rows, not ten times the memory: the rows are never all held.
    assert large_peak < 2 * small_peak


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/completion?format=csv",
        "/api/v1/reports/completion?format=xlsx",
        "/api/v1/reports/overdue?format=csv",
        "/api/v1/reports/overdue?format=xlsx",
    ],
)
def test_a_streamed_export_on_a_token_s_first_use(
    world: World, app: Flask, api_token: Any, path: str
) -> None:
    """A token's first use is recorded by a commit before the body streams: the rows
    must not depend on objects that commit expired."""
    headers = api_token(world.coordinator)  # never used yet: this request records its use
    answers: list[Any] = []

    def request_as_a_server_does() -> None:
        # In a thread of its own, with no application context around it: the request's
        # context (and database session) ends before the body streams, as under gunicorn.
        answers.append(FlaskClient(app).get(path, headers=headers, buffered=True))

    thread = threading.Thread(target=request_as_a_server_does)
    thread.start()
    thread.join(timeout=60)
    (response,) = answers

    assert response.status_code == 200
    data = response.get_data()
    if "format=csv" in path:
        text = data.decode("utf-8")
        name = world.ana.full_name if "completion" in path else world.beto.full_name
        assert name in text
    else:
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        assert sheet.max_row > 1
