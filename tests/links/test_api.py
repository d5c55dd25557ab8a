"""The registry's JSON twins under /api/v1, in the OpenAPI document."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.content_helpers import synced_content  # noqa: F401
from tests.helpers import audit_events, fresh, row_counts
from tests.links.conftest import IOM_URL, PDF, PNG, course_data, multipart, stored_files, upload
from training.extensions import db
from training.links import completions, courses
from training.links.models import ExternalCompletion, ExternalLaunch, ExternalLinkCheck

PATHS = [
    "/api/v1/external-courses",
    "/api/v1/external-courses/{course_id}",
    "/api/v1/external-courses/{course_id}/launches",
    "/api/v1/external-courses/{course_id}/program-credit",
    "/api/v1/external-courses/{course_id}/checks",
    "/api/v1/external-courses/{course_id}/completion",
    "/api/v1/external-courses/{course_id}/completion-imports",
    "/api/v1/coordination/external-courses",
    "/api/v1/coordination/external-completions",
    "/api/v1/coordination/external-report",
    "/api/v1/me/external-completions",
    "/api/v1/external-completions/{completion_id}/review",
    "/api/v1/external-completions/{completion_id}/evidence",
]


def test_every_endpoint_is_in_the_openapi_document(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()

    for path in PATHS:
        assert path in spec["paths"], path
    upload_body = spec["paths"]["/api/v1/external-courses/{course_id}/completion"]["post"]
    content = upload_body["requestBody"]["content"]
    assert list(content) == ["multipart/form-data"]
    schema = content["multipart/form-data"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["evidence"] == {
        "type": "string",
        "format": "binary",
        "description": schema["properties"]["evidence"]["description"],
    }


def test_the_list_has_the_fields_and_envelope_of_api_md(
    client: Any,
    api_token: Any,
    learner: Any,
    gt_coordinator: Any,
    global_course: Any,
    mx_course: Any,
    synced_content: Any,  # noqa: F811
    admin: Any,
) -> None:
    courses.update(admin, global_course.id, {"modules": ["alfa"]})
    courses.set_credit(gt_coordinator, global_course.id, True)
    db.session.commit()

    body = client.get("/api/v1/external-courses?lang=en", headers=api_token(learner)).get_json()

    assert (body["total"], body["page"], body["per_page"]) == (1, 1, 1)
    [item] = body["items"]
    assert {"id", "provider", "title", "url", "language", "modules", "counts_toward_program"} <= (
        set(item)
    )
    assert item["title"] == "IOM course"
    assert item["url"] == IOM_URL
    assert item["modules"] == ["alfa"]
    assert item["counts_toward_program"] is True
    assert item["launch_url"] == f"/go/{global_course.id}"
    assert item["completion"] is None


def test_the_list_needs_a_signed_in_user(client: Any) -> None:
    response = client.get("/api/v1/external-courses")

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthenticated"


def test_registering_and_changing_through_the_api(
    client: Any, api_token: Any, gt_coordinator: Any
) -> None:
    headers = api_token(gt_coordinator)

    created = client.post(
        "/api/v1/external-courses",
        headers=headers,
        json=course_data(counts_toward_program=True),
    )
    course_id = created.get_json()["id"]
    changed = client.patch(
        f"/api/v1/external-courses/{course_id}",
        headers=headers,
        json={"title": {"es": "Nuevo", "fr": "Nouveau"}, "active": False},
    )

    assert created.status_code == 201
    assert created.get_json()["ministry"] == "GT"
    assert created.get_json()["counts_toward_program"] is True
    assert changed.status_code == 200
    assert changed.get_json()["title"] == {"es": "Nuevo", "fr": "Nouveau"}
    assert changed.get_json()["active"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (course_data(url="http://insecure.example/"), "url"),
        (course_data(title={"en": "No Spanish"}), "title.es"),
        ({**course_data(), "ministry_id": 5}, "ministry_id"),
        ({**course_data(), "counts_toward_program": "perhaps"}, "counts_toward_program"),
        ({"provider": "OIM"}, "title"),
    ],
)
def test_bad_registrations_are_422_with_the_field(
    client: Any, api_token: Any, gt_coordinator: Any, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/external-courses", headers=api_token(gt_coordinator), json=body)

    assert response.status_code == 422
    assert field in response.get_json()["details"]["fields"]


def test_learners_cannot_register(client: Any, api_token: Any, learner: Any) -> None:
    response = client.post(
        "/api/v1/external-courses", headers=api_token(learner), json=course_data()
    )

    assert response.status_code == 403


def test_another_ministrys_course_is_a_404_everywhere(
    client: Any, api_token: Any, gt_coordinator: Any, mx_course: Any
) -> None:
    headers = api_token(gt_coordinator)
    before = row_counts()
    course = mx_course.id

    answers = [
        client.get(f"/api/v1/external-courses/{course}", headers=headers),
        client.patch(f"/api/v1/external-courses/{course}", headers=headers, json={"active": False}),
        client.post(f"/api/v1/external-courses/{course}/launches", headers=headers),
        client.put(
            f"/api/v1/external-courses/{course}/program-credit",
            headers=headers,
            json={"counts_toward_program": True},
        ),
        client.get(f"/api/v1/external-courses/{course}/checks", headers=headers),
        client.post(
            f"/api/v1/external-courses/{course}/completion",
            headers=headers,
            **multipart(upload(PDF)),
        ),
        client.post(
            f"/api/v1/external-courses/{course}/completion-imports",
            headers=headers,
            **multipart({"file": (__import__("io").BytesIO(b"email\nx@y.org\n"), "l.csv")}),
        ),
    ]

    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert all(answer.get_json()["code"] == "not_found" for answer in answers)
    # Nothing changes but the audit log, which records the refusals (issue 9, item 7).
    after = row_counts()
    assert {**after, "audit_event": 0} == {**before, "audit_event": 0}
    refusals = audit_events()[before["audit_event"] :]
    assert refusals and {event.action for event in refusals} == {"authz.access_denied"}


def test_a_global_course_is_403_for_a_coordinators_changes(
    client: Any, api_token: Any, gt_coordinator: Any, global_course: Any
) -> None:
    response = client.patch(
        f"/api/v1/external-courses/{global_course.id}",
        headers=api_token(gt_coordinator),
        json={"url": "https://evil.example/"},
    )

    assert response.status_code == 403
    fresh()
    assert courses.courses_for(gt_coordinator)[0].course.url == IOM_URL


def test_the_launch_twin_records_and_answers_the_url(
    client: Any, api_token: Any, learner: Any, global_course: Any
) -> None:
    response = client.post(
        f"/api/v1/external-courses/{global_course.id}/launches?next=https://evil.example",
        headers=api_token(learner),
    )

    assert response.status_code == 201
    assert response.get_json()["url"] == IOM_URL
    assert response.get_json()["launched_at"].endswith("Z")
    fresh()
    assert db.session.scalar(db.select(db.func.count(ExternalLaunch.id))) == 1


def test_reporting_reviewing_and_reading_evidence_through_the_api(
    client: Any,
    api_token: Any,
    learner: Any,
    gt_coordinator: Any,
    mx_coordinator: Any,
    global_course: Any,
) -> None:
    mine = api_token(learner)
    path = f"/api/v1/external-courses/{global_course.id}/completion"

    first = client.post(
        path, headers=mine, **multipart({"completed_on": "2026-03-01", **upload(PDF)})
    )
    again = client.post(path, headers=mine, **multipart(upload(PNG, "captura.png")))

    assert first.status_code == 201 and again.status_code == 200
    completion = again.get_json()
    assert completion["evidence"]["media_type"] == "image/png"
    assert completion["completed_on"] is None
    listed = client.get("/api/v1/me/external-completions", headers=mine).get_json()
    assert [item["id"] for item in listed["items"]] == [completion["id"]]

    evidence = client.get(completion["evidence"]["url"], headers=mine)
    assert evidence.status_code == 200 and evidence.data == PNG
    assert evidence.headers["Cache-Control"] == "no-store"
    assert evidence.headers["Content-Disposition"].startswith("attachment")
    foreign = client.get(completion["evidence"]["url"], headers=api_token(mx_coordinator))
    assert foreign.status_code == 404

    staff = api_token(gt_coordinator)
    queue = client.get("/api/v1/coordination/external-completions", headers=staff).get_json()
    assert queue["total"] == 1
    assert queue["items"][0]["learner"]["email"] == learner.email
    review_path = f"/api/v1/external-completions/{completion['id']}/review"
    assert (
        client.post(
            review_path, headers=api_token(mx_coordinator), json={"decision": "verified"}
        ).status_code
        == 404
    )
    verified = client.post(review_path, headers=staff, json={"decision": "verified"})
    assert verified.status_code == 200 and verified.get_json()["status"] == "verified"
    twice = client.post(review_path, headers=staff, json={"decision": "rejected", "note": "x"})
    assert twice.status_code == 409
    late = client.post(path, headers=mine, **multipart(upload(PDF)))
    assert late.status_code == 409


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"decision": "approved"}, 422),
        ({"decision": "rejected"}, 422),
        ({"decision": "rejected", "note": "x" * 501}, 422),
        ({"decision": "verified", "extra": True}, 422),
        ({}, 422),
    ],
)
def test_review_input_is_validated(
    client: Any,
    api_token: Any,
    learner: Any,
    gt_coordinator: Any,
    global_course: Any,
    body: dict[str, Any],
    status: int,
) -> None:
    completion, _new = completions.report_completion(learner, global_course.id)
    db.session.commit()

    response = client.post(
        f"/api/v1/external-completions/{completion.id}/review",
        headers=api_token(gt_coordinator),
        json=body,
    )

    assert response.status_code == status
    fresh()
    assert db.session.get(ExternalCompletion, completion.id).status == "reported"


RAW_BACKSLASH = (
    b"--b\r\n"
    b'Content-Disposition: form-data; name="evidence"; filename="..\\\\..\\\\x.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--b--\r\n"
)


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        (
            multipart(upload(b"<?php system($_GET['c']); ?>", "x.pdf")),
            415,
            "unsupported_media_type",
        ),
        (multipart(upload(b"\x89PNX\r\n", "x.png")), 415, "unsupported_media_type"),
        (multipart(upload(PDF, "../secret.pdf")), 400, "invalid"),
        (multipart(upload(PDF, "dir/x.pdf")), 400, "invalid"),
        (
            {"data": RAW_BACKSLASH, "content_type": "multipart/form-data; boundary=b"},
            400,
            "invalid",
        ),
        (multipart(upload(PDF + b"0" * (5 * 1024 * 1024))), 413, "too_large"),
        (multipart(upload(PDF + b"0" * (7 * 1024 * 1024))), 413, "too_large"),
        (multipart({"completed_on": "ayer"}), 422, "validation_failed"),
    ],
    ids=[
        "php-as-pdf",
        "bad-png",
        "dotdot",
        "slash",
        "backslash",
        "over-5mb",
        "over-body",
        "bad-date",
    ],
)
def test_upload_misuse_is_a_clear_4xx_and_nothing_is_stored(
    client: Any,
    api_token: Any,
    learner: Any,
    global_course: Any,
    evidence_folder: Any,
    request_kwargs: dict[str, Any],
    status: int,
    code: str,
) -> None:
    headers = api_token(learner)
    before = row_counts()

    response = client.post(
        f"/api/v1/external-courses/{global_course.id}/completion", headers=headers, **request_kwargs
    )

    assert response.status_code == status, response.get_json()
    assert response.get_json()["code"] == code
    assert response.get_json()["message"]
    assert stored_files(evidence_folder) == []
    assert row_counts() == before


def test_other_api_bodies_stay_small(client: Any, api_token: Any, gt_coordinator: Any) -> None:
    response = client.post(
        "/api/v1/external-courses",
        headers=api_token(gt_coordinator),
        json=course_data(description={"es": "x" * 300_000}),
    )

    assert response.status_code == 413


def test_link_check_history_and_the_broken_flag(
    client: Any, api_token: Any, gt_coordinator: Any, global_course: Any
) -> None:
    db.session.add(
        ExternalLinkCheck(
            course_id=global_course.id, url=IOM_URL, status_code=None, error="timeout", ok=False
        )
    )
    db.session.commit()
    headers = api_token(gt_coordinator)

    registry = client.get("/api/v1/coordination/external-courses", headers=headers).get_json()
    history = client.get(
        f"/api/v1/external-courses/{global_course.id}/checks", headers=headers
    ).get_json()

    [item] = registry["items"]
    assert item["broken"] is True
    assert item["last_check"]["error"] == "timeout"
    assert item["editable"] is False and item["ministry"] is None
    assert [check["ok"] for check in history["items"]] == [False]
    assert history["course"]["id"] == global_course.id


def test_the_report_twin(
    client: Any,
    api_token: Any,
    learner: Any,
    other_learner: Any,
    gt_coordinator: Any,
    admin: Any,
    global_course: Any,
    synced_content: Any,  # noqa: F811
) -> None:
    completions.report_completion(learner, global_course.id)
    db.session.commit()

    body = client.get(
        "/api/v1/coordination/external-report", headers=api_token(gt_coordinator)
    ).get_json()
    mexico = client.get(
        "/api/v1/coordination/external-report?ministry=MX", headers=api_token(admin)
    ).get_json()

    assert [m["slug"] for m in body["modules"]] == ["alfa", "beta"]
    assert [c["id"] for c in body["courses"]] == [global_course.id]
    emails = [row["learner"]["email"] for row in body["items"]]
    assert learner.email in emails and other_learner.email not in emails
    row = next(r for r in body["items"] if r["learner"]["email"] == learner.email)
    assert row["modules"] == [
        {"slug": "alfa", "status": "not_started"},
        {"slug": "beta", "status": "not_started"},
    ]
    assert row["external_courses"] == [
        {"id": global_course.id, "status": "reported", "completed_on": None}
    ]
    assert [r["learner"]["email"] for r in mexico["items"]] == [other_learner.email]


def test_launches_and_verified_completions_are_xapi_statements(
    client: Any, api_token: Any, learner: Any, gt_coordinator: Any, global_course: Any
) -> None:
    headers = api_token(learner)
    client.post(f"/api/v1/external-courses/{global_course.id}/launches", headers=headers)
    completion, _new = completions.report_completion(learner, global_course.id)
    completions.review(gt_coordinator, completion.id, "verified")
    db.session.commit()

    body = client.get("/api/v1/me/statements", headers=headers).get_json()

    statements = body["items"] if isinstance(body, dict) and "items" in body else body
    verbs = [(s["verb"]["display"]["en-US"], s["object"]["id"]) for s in statements]
    target = f"/go/{global_course.id}"
    assert [verb for verb, url in verbs if url.endswith(target)] == ["launched", "completed"]
    assert statements[0]["object"]["definition"]["type"].endswith("/activities/link")


def test_nobody_reviews_their_own_completion_and_the_refusal_is_audited(
    client: Any, api_token: Any, gt_coordinator: Any, global_course: Any
) -> None:
    from tests.helpers import audit_events

    own, _new = completions.report_completion(gt_coordinator, global_course.id)
    db.session.commit()

    response = client.post(
        f"/api/v1/external-completions/{own.id}/review",
        headers=api_token(gt_coordinator),
        json={"decision": "verified"},
    )

    assert response.status_code == 403
    assert response.get_json()["message"] == "No puede revisar su propia finalización."
    fresh()
    assert db.session.get(ExternalCompletion, own.id).status == "reported"
    [event] = audit_events("external_completion.own_review_refused")
    assert (event.actor_id, event.target_type, event.target_id) == (
        gt_coordinator.id,
        "ExternalCompletion",
        str(own.id),
    )
    assert event.details["decision"] == "verified"


@pytest.mark.parametrize(
    ("request_kwargs", "field"),
    [
        ({"json": []}, "body"),
        ({"data": b"[]", "content_type": "application/json"}, "body"),
        ({"data": {"note": "hecho"}, "content_type": "application/x-www-form-urlencoded"}, "body"),
        (multipart({"note": "hecho", "is_admin": "1"}), "is_admin"),
        (multipart({"file": (io.BytesIO(PDF), "c.pdf")}), "file"),
        (multipart({"evidence": "not a file"}), "evidence"),
        (multipart({"note": (io.BytesIO(b"text"), "note.txt")}), "note"),
    ],
    ids=[
        "json-list",
        "raw-json",
        "urlencoded",
        "unknown-part",
        "unknown-file",
        "text-as-file",
        "file-as-text",
    ],
)
def test_a_completion_body_must_be_the_declared_multipart_parts(
    client: Any,
    api_token: Any,
    learner: Any,
    global_course: Any,
    evidence_folder: Any,
    request_kwargs: Any,
    field: str,
) -> None:
    headers = api_token(learner)
    before = row_counts()

    response = client.post(
        f"/api/v1/external-courses/{global_course.id}/completion",
        headers=headers,
        **request_kwargs,
    )

    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["code"] == "validation_failed"
    assert field in body["details"]["fields"], body
    assert row_counts() == before
    assert stored_files(evidence_folder) == []


def test_the_completion_import_refuses_unknown_parts_and_a_missing_file(
    client: Any, api_token: Any, gt_coordinator: Any, global_course: Any
) -> None:
    path = f"/api/v1/external-courses/{global_course.id}/completion-imports"
    headers = api_token(gt_coordinator)
    before = row_counts()

    unknown = client.post(
        path,
        headers=headers,
        **multipart({"file": (io.BytesIO(b"email\n"), "l.csv"), "verify": "all"}),
    )
    missing = client.post(path, headers=headers, **multipart({"note": "x"}))
    empty = client.post(path, headers=headers, **multipart({}))

    assert unknown.status_code == 422 and "verify" in unknown.get_json()["details"]["fields"]
    assert missing.status_code == 422 and "note" in missing.get_json()["details"]["fields"]
    assert empty.status_code == 422 and "file" in empty.get_json()["details"]["fields"]
    assert row_counts() == before
