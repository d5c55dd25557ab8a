"""Certificates for a cohort: bulk issue (page, API, command) and the cohort's ZIP."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.certificates.conftest import complete_program
from tests.factories import create_cohort, set_ministry
from training.certificates.models import Certificate
from training.extensions import db


@pytest.fixture
def cohort_with_graduates(make_user: Any, coordinator: Any, program: Any) -> Any:
    set_ministry("GT", certificate_approval="manual")
    members = [make_user(roles=["learner"], ministry="GT") for _ in range(3)]
    outsider = make_user(roles=["learner"], ministry="GT")
    for person in [*members[:2], outsider]:
        complete_program(person)
    cohort = create_cohort(coordinator, members, program_slug=program.slug)
    return cohort, members, outsider


def statuses() -> dict[int, str]:
    db.session.expire_all()
    return {c.user_id: c.status for c in db.session.scalars(db.select(Certificate))}


def test_bulk_issue_for_a_cohort_issues_its_graduates_only(
    client: Any, cohort_with_graduates: Any, issuer: Any, api_token: Any
) -> None:
    cohort, members, outsider = cohort_with_graduates
    response = client.post(f"/api/v1/cohorts/{cohort.id}/certificates", headers=api_token(issuer))
    # Issued in the background: without a broker, in this process once the answer is sent.
    assert response.status_code == 202
    assert response.get_json() == {"queued": 2}
    assert response.headers["Location"] == f"/api/v1/certificates?cohort={cohort.id}"
    current = statuses()
    assert current[members[0].id] == current[members[1].id] == "valid"
    assert members[2].id not in current  # did not complete
    assert current[outsider.id] == "pending"  # not in the cohort
    again = client.post(f"/api/v1/cohorts/{cohort.id}/certificates", headers=api_token(issuer))
    assert again.get_json() == {"queued": 0}


def test_the_cohort_zip_holds_its_members_pdfs(
    client: Any,
    cohort_with_graduates: Any,
    issuer: Any,
    api_token: Any,
    logged_in: Any,
    coordinator: Any,
) -> None:
    cohort, _members, _outsider = cohort_with_graduates
    client.post(f"/api/v1/cohorts/{cohort.id}/certificates", headers=api_token(issuer))
    response = logged_in(coordinator).get(f"/issuer/certificates.zip?cohort={cohort.id}")
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    serials = sorted(
        c.serial
        for c in db.session.scalars(db.select(Certificate).where(Certificate.status == "valid"))
    )
    assert sorted(name.removesuffix(".pdf") for name in archive.namelist()) == serials
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())


def test_another_ministrys_cohort_is_404(
    client: Any, cohort_with_graduates: Any, make_user: Any, api_token: Any, logged_in: Any
) -> None:
    cohort, _members, _outsider = cohort_with_graduates
    foreign = make_user(roles=["issuer", "coordinator"], ministry="MX")
    response = client.post(f"/api/v1/cohorts/{cohort.id}/certificates", headers=api_token(foreign))
    assert response.status_code == 404
    assert (
        client.get(
            f"/api/v1/certificates?cohort={cohort.id}", headers=api_token(foreign)
        ).status_code
        == 404
    )
    assert set(statuses().values()) == {"pending"}


def test_the_command_issues_for_a_cohort(runner: Any, cohort_with_graduates: Any) -> None:
    cohort, _members, outsider = cohort_with_graduates
    result = runner.invoke(
        args=["certificates", "issue", "--ministry", "GT", "--cohort", str(cohort.id)]
    )
    assert result.exit_code == 0, result.output
    assert "2 certificates issued now" in result.output
    assert statuses()[outsider.id] == "pending"
    everyone = runner.invoke(args=["certificates", "issue", "--ministry", "gt"])
    assert "1 certificates issued now" in everyone.output
    wrong = runner.invoke(
        args=["certificates", "issue", "--ministry", "MX", "--cohort", str(cohort.id)]
    )
    assert wrong.exit_code == 1 and "No cohort" in wrong.output


def test_the_issuers_page_asks_for_the_cohorts_certificates(
    client: Any, cohort_with_graduates: Any, issuer: Any, logged_in: Any
) -> None:
    from tests.helpers import flashes, post_form

    cohort, members, _outsider = cohort_with_graduates
    logged_in(issuer)

    response = post_form(
        client, f"/issuer/cohorts/{cohort.id}/issue", {}, token_from="/issuer/certificates"
    )

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "info",
        "2 certificados en preparación: aparecen en la lista en cuanto se emiten.",
    ) in flashes(page)
    current = statuses()
    assert current[members[0].id] == current[members[1].id] == "valid"
