"""Downloads prepared in the background (embedded mode: in this process, once the
response that asked for them is sent): the certificate ZIP and the XLSX completion
report above their thresholds, and who may fetch them."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.certificates.conftest import complete_program
from tests.content_helpers import synced_content  # noqa: F401
from tests.helpers import fresh
from training.database import utcnow
from training.exports import services
from training.exports.models import Export
from training.extensions import db


@pytest.fixture
def app_settings() -> dict[str, Any]:
    return {"CERTIFICATE_ZIP_INLINE_MAX": 1, "REPORT_INLINE_MAX_ROWS": 0}


@pytest.fixture
def graduates(synced_content: Any, make_user: Any) -> list[Any]:  # noqa: F811
    people = [make_user(roles=["learner"], ministry="GT") for _ in range(2)]
    for person in people:
        complete_program(person)
    db.session.commit()
    return people


def exports() -> list[Export]:
    fresh()
    return list(db.session.scalars(db.select(Export)))


def test_a_large_certificate_zip_is_prepared_and_then_offered(
    client: Any, logged_in: Any, coordinator: Any, graduates: Any
) -> None:
    logged_in(coordinator)

    response = client.get("/issuer/certificates.zip")

    assert response.status_code == 303
    (export,) = exports()
    assert response.headers["Location"] == f"/exports/{export.id}"
    assert export.status == "ready"
    page = client.get(response.headers["Location"])
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert f"/exports/{export.id}/file" in text
    assert 'id="export-ready" hidden' not in text
    download = client.get(f"/exports/{export.id}/file")
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Disposition"] == "attachment; filename=certificados.zip"
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert len(names) == 2 and all(name.endswith(".pdf") for name in names)


def test_the_page_says_it_is_being_prepared_until_it_is(
    client: Any, logged_in: Any, coordinator: Any, graduates: Any
) -> None:
    logged_in(coordinator)
    # Not buffered: the response is not closed, so the export is not built yet.
    response = client.get("/issuer/certificates.zip", buffered=False)
    (export,) = exports()
    assert export.status == "queued"

    page = client.get(f"/exports/{export.id}").get_data(as_text=True)
    assert "Estamos preparando su archivo" in page
    assert 'id="export-ready" hidden' in page  # the script shows it when the API says ready
    assert f'data-status-url="/api/v1/exports/{export.id}"' in page
    assert client.get(f"/exports/{export.id}/file").status_code == 409
    response.close()
    assert exports()[0].status == "ready"
    assert client.get(f"/exports/{export.id}/file").status_code == 200


def test_a_small_zip_is_still_answered_at_once(
    app: Any, client: Any, logged_in: Any, coordinator: Any, graduates: Any
) -> None:
    app.config["CERTIFICATE_ZIP_INLINE_MAX"] = 25
    response = logged_in(coordinator).get("/issuer/certificates.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert exports() == []


def test_a_large_xlsx_report_answers_202_and_then_the_file(
    client: Any, coordinator: Any, graduates: Any, api_token: Any
) -> None:
    headers = api_token(coordinator)

    response = client.get(
        "/api/v1/reports/completion?format=xlsx&status=completed", headers=headers
    )

    assert response.status_code == 202
    (export,) = exports()
    assert response.headers["Location"] == f"/api/v1/exports/{export.id}"
    assert response.get_json()["status"] == "queued"  # as it was when the answer left
    assert export.params == {"status": "completed"}
    status = client.get(response.headers["Location"], headers=headers).get_json()
    assert status["status"] == "ready"
    assert status["filename"].startswith("completion-GT-") and status["size"] > 0
    download = client.get(status["download_url"], headers=headers)
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 2 * 2  # header, two graduates times two modules


def test_a_browser_asking_for_a_large_xlsx_is_sent_to_the_export_page(
    client: Any, logged_in: Any, coordinator: Any, graduates: Any
) -> None:
    logged_in(coordinator)
    response = client.get(
        "/api/v1/reports/completion?format=xlsx", headers={"Accept": "text/html,*/*;q=0.8"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/exports/")


@pytest.fixture
def ready_export(client: Any, coordinator: Any, graduates: Any, api_token: Any) -> Export:
    response = client.get("/api/v1/reports/completion?format=xlsx", headers=api_token(coordinator))
    assert response.status_code == 202
    (export,) = exports()
    return export


@pytest.mark.parametrize(
    "export_id",
    ["0" * 32, "not-an-id", "A" * 32, "0" * 33],
    ids=["unknown", "malformed", "upper case", "too long"],
)
def test_unknown_exports_are_404(
    client: Any, coordinator: Any, api_token: Any, ready_export: Export, export_id: str
) -> None:
    headers = api_token(coordinator)
    for path in (f"/api/v1/exports/{export_id}", f"/api/v1/exports/{export_id}/file"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404
        assert response.get_json()["code"] == "not_found"


def test_someone_elses_export_is_404_on_the_api_and_the_page(
    client: Any, make_user: Any, api_token: Any, logged_in: Any, ready_export: Export
) -> None:
    colleague = make_user(roles=["coordinator"], ministry="GT")
    for path in (f"/api/v1/exports/{ready_export.id}", f"/api/v1/exports/{ready_export.id}/file"):
        assert client.get(path, headers=api_token(colleague)).status_code == 404
    logged_in(colleague)
    assert client.get(f"/exports/{ready_export.id}").status_code == 404
    assert client.get(f"/exports/{ready_export.id}/file").status_code == 404


def test_an_owner_who_lost_the_permission_is_refused(
    client: Any, coordinator: Any, api_token: Any, ready_export: Export
) -> None:
    from training.accounts.models import UserRole

    headers = api_token(coordinator)
    db.session.execute(
        db.delete(UserRole).where(
            UserRole.user_id == coordinator.id, UserRole.role == "coordinator"
        )
    )
    db.session.commit()
    response = client.get(f"/api/v1/exports/{ready_export.id}/file", headers=headers)
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_an_expired_export_is_404_and_the_sweep_deletes_it(
    app: Any, client: Any, coordinator: Any, api_token: Any, ready_export: Export
) -> None:
    path = services.path_of(ready_export)
    assert path.is_file()
    ready_export.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    headers = api_token(coordinator)

    response = client.get(f"/api/v1/exports/{ready_export.id}/file", headers=headers)

    assert response.status_code == 404
    assert "caducado" in response.get_json()["message"]
    assert services.expire() == 1
    db.session.commit()
    assert exports() == []
    assert not path.exists()


def test_without_a_sign_in_the_api_answers_401(client: Any, ready_export: Export) -> None:
    assert client.get(f"/api/v1/exports/{ready_export.id}").status_code == 401
    assert client.get(f"/exports/{ready_export.id}").status_code in (302, 401)


def test_the_build_task_is_idempotent_and_a_refused_build_fails_cleanly(
    app: Any, coordinator: Any, graduates: Any
) -> None:
    export = services.request_export(coordinator, "completion_xlsx", {}, "informe", "es")
    refused = services.request_export(
        coordinator, "completion_xlsx", {"ministry": "MX"}, "informe", "es"
    )
    db.session.commit()  # embedded: both built now
    first = {e.id: (e.status, e.size, e.finished_at) for e in exports()}
    assert first[export.id][0] == "ready"
    assert first[refused.id][0] == "failed"

    services.build(export.id)  # run again: nothing changes
    db.session.commit()
    assert {e.id: (e.status, e.size, e.finished_at) for e in exports()} == first
    assert [p.name for p in services.folder().iterdir()] == [f"{export.id}.xlsx"]
