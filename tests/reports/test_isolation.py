"""Tenant isolation, over every report endpoint: a coordinator of Guatemala, whatever ids
or filters they send, never reads or exports anything of Mexico (404, 422, or the rows
are simply absent), and never gets a 500."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import login
from tests.factories import create_cohort, create_post_for, create_user
from tests.reports.conftest import read_module, take_quiz
from training.links import completions, courses

THEIR_COURSE = "Curso interno de México"

ENDPOINTS = [
    "/api/v1/reports/completion",
    "/api/v1/reports/overdue",
    "/api/v1/reports/posts",
    "/api/v1/reports/modules",
    "/api/v1/reports/cohorts",
    "/api/v1/reports/external-courses",
    "/api/v1/reports/items",
    "/coordination/reports",
    "/coordination/reports/items",
]

# Reports that name the ministry's learners (completion rows), JSON, CSV or XLSX.
NAMED = {"/api/v1/reports/completion", "/coordination/reports"}

CASES = [
    ("another ministry's cohort", "cohort={cohort}", 404),
    ("another ministry's post", "post={post}", 404),
    ("another ministry's code", "ministry=MX", 404),
    ("another ministry's code, lower case", "ministry=mx", 404),
    ("an unknown ministry", "ministry=ZZ", 404),
    ("a huge cohort id", "cohort=99999999999999999999", 404),
    ("a post id past 32 bits", "post=2147483648", 404),
    ("a negative cohort id", "cohort=-3", 404),
    ("a cohort id that is no number", "cohort=abc", 422),
    ("a post id with decimals", "post=1.5", 422),
    ("a malformed ministry code", "ministry=GTX", 422),
    ("an impossible date", "from=2026-13-45", 422),
    ("a date in another format", "to=31/12/2026", 422),
    ("dates reversed", "from=2026-05-02&to=2026-05-01", 422),
    ("an unknown status", "status=lost", 422),
    ("an unknown parameter", "user={person}", 422),
    ("another ministry's cohort, exported", "cohort={cohort}&format=csv", 404),
    ("another ministry's post, exported", "post={post}&format=xlsx", 404),
    ("another ministry, exported", "ministry=MX&format=csv", 404),
    ("no filter", "", 200),
    ("no filter, CSV", "format=csv", 200),
    ("no filter, XLSX", "format=xlsx", 200),
    ("own post", "post={own_post}", 200),
    ("own cohort, CSV", "cohort={own_cohort}&format=csv", 200),
]


@dataclass
class Tenants:
    coordinator: Any
    mine: Any
    theirs: list[Any]
    their_post: Any
    their_cohort: Any
    own_post: Any
    own_cohort: Any


@pytest.fixture
def tenants(coordinator: Any, program: Any) -> Tenants:
    own_post = create_post_for("GT")
    mine = create_user(full_name="Persona de Guatemala", post=own_post)
    their_post = create_post_for("MX", name="Consulado secreto de México")
    their_coordinator = create_user(
        ministry="MX", roles=["coordinator", "learner"], full_name="Coordinación Mexicana"
    )
    theirs = [
        create_user(ministry="MX", full_name=f"Persona Mexicana {n}", post=their_post)
        for n in range(2)
    ]
    # Their answers exist, so that the item analysis has something to leak.
    read_module(theirs[0], "alfa")
    take_quiz(theirs[0], "alfa", right=set())
    own_cohort = create_cohort(
        coordinator, [mine], name="Grupo propio", starts_on="2026-01-01", deadline="2026-02-01"
    )
    their_cohort = create_cohort(
        their_coordinator, theirs, name="Grupo ajeno", starts_on="2026-01-01", deadline="2026-02-01"
    )
    # Mexico's own external course, which one of theirs completed.
    their_course = courses.register(
        their_coordinator,
        {
            "provider": "SRE México",
            "title": {"es": THEIR_COURSE},
            "url": "https://formacion.sre.gob.mx/curso",
            "language": "es",
        },
    )
    completions.report_completion(theirs[0], their_course.id, completed_on="2026-01-15")
    from training.extensions import db

    db.session.commit()
    return Tenants(
        coordinator,
        mine,
        [*theirs, their_coordinator],
        their_post,
        their_cohort,
        own_post,
        own_cohort,
    )


def output_text(response: Any) -> str:
    if response.content_type.startswith("application/vnd.openxmlformats"):
        workbook = load_workbook(io.BytesIO(response.get_data()))
        return "\n".join(
            " ".join(str(cell.value) for cell in row) for row in workbook.worksheets[0].iter_rows()
        )
    return response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_coordinator_never_reads_another_ministry(
    app: Any, tenants: Tenants, api_token: Any, subtests: Any, endpoint: str
) -> None:
    """Each endpoint × each case of :data:`CASES` (one subtest per case, on one set of
    data, since every case only reads)."""
    client = app.test_client()
    if endpoint.startswith("/api/"):
        headers = api_token(tenants.coordinator)
    else:
        login(client, tenants.coordinator)
        headers = {}
    values = {
        "cohort": tenants.their_cohort.id,
        "post": tenants.their_post.id,
        "person": tenants.theirs[0].id,
        "own_post": tenants.own_post.id,
        "own_cohort": tenants.own_cohort.id,
    }
    for case, query, status in CASES:
        with subtests.test(case):
            url = f"{endpoint}?{query.format(**values)}" if query else endpoint
            response = client.get(url, headers=headers)
            # (A filter a report does not take, like ``status`` on the summaries, is
            # refused as unknown: 422 all the same.)
            assert response.status_code == status, (url, response.get_data(as_text=True)[:300])
            assert response.headers["Cache-Control"] == "no-store"
            if endpoint.startswith("/api/") and response.status_code != 200:
                assert set(response.get_json()) == {"code", "message", "details"}
            text = output_text(response)
            for person in tenants.theirs:
                assert person.full_name not in text
                assert person.email not in text
            assert tenants.their_post.name not in text
            assert tenants.their_cohort.name not in text
            assert THEIR_COURSE not in text
            if endpoint in NAMED and status == 200:
                # Not empty by accident: the ministry's own learner is there.
                assert tenants.mine.full_name in text
