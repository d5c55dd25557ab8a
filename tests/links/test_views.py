"""External course pages: the dashboard section, /go, reporting with evidence, and the
coordinators' registry, review queue, link health and report."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import csrf_token
from tests.content_helpers import synced_content  # noqa: F401
from tests.helpers import flashes, fresh, post_form, row_counts
from tests.links.conftest import IOM_URL, JPEG, PDF, PNG, multipart, stored_files, upload
from training.extensions import db
from training.links import completions as completion_services
from training.links import courses
from training.links.models import (
    ExternalCompletion,
    ExternalCourse,
    ExternalLaunch,
    ExternalLinkCheck,
)


def launches() -> int:
    fresh()
    return db.session.scalar(db.select(db.func.count(ExternalLaunch.id))) or 0


def completions() -> list[ExternalCompletion]:
    fresh()
    return list(db.session.scalars(db.select(ExternalCompletion)))


# --- Learners ---------------------------------------------------------------------------


def test_the_dashboard_lists_the_courses_with_their_go_links(
    client: Any, logged_in: Any, learner: Any, global_course: Any, mx_course: Any
) -> None:
    logged_in(learner)

    page = client.get("/").get_data(as_text=True)

    assert "Cursos complementarios" in page
    assert f'href="/go/{global_course.id}"' in page
    assert "Curso virtual sobre trata de personas (OIM)" in page
    assert f'href="/go/{mx_course.id}"' not in page
    assert "Registro de cursos externos" not in page


def test_the_dashboard_without_courses_has_no_section_for_learners(
    client: Any, logged_in: Any, learner: Any
) -> None:
    logged_in(learner)

    assert "Cursos complementarios" not in client.get("/").get_data(as_text=True)


def test_coordinators_find_their_pages_from_the_dashboard(
    client: Any, logged_in: Any, gt_coordinator: Any
) -> None:
    logged_in(gt_coordinator)

    page = client.get("/").get_data(as_text=True)

    assert 'href="/coordination/external-courses"' in page
    assert 'href="/coordination/external-completions"' in page


def test_the_list_and_course_pages(
    client: Any,
    logged_in: Any,
    learner: Any,
    gt_coordinator: Any,
    global_course: Any,
    synced_content: Any,  # noqa: F811
) -> None:
    courses.update(global_course_admin(global_course), global_course.id, {"modules": ["alfa"]})
    courses.set_credit(gt_coordinator, global_course.id, True)
    db.session.commit()
    logged_in(learner)

    listing = client.get("/external-courses")
    detail = client.get(f"/external-courses/{global_course.id}")

    for response in (listing, detail):
        text = response.get_data(as_text=True)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert "Módulo alfa" in text
        assert "Su ministerio lo cuenta para el programa." in text
    assert 'enctype="multipart/form-data"' in detail.get_data(as_text=True)


def global_course_admin(course: Any) -> Any:
    from training.accounts.models import User, UserRole

    return db.session.scalars(
        db.select(User).join(UserRole).where(UserRole.role == "admin")
    ).first()


def test_go_records_the_launch_and_redirects_to_the_registered_url(
    client: Any, logged_in: Any, learner: Any, global_course: Any
) -> None:
    logged_in(learner)

    response = client.get(f"/go/{global_course.id}")

    assert response.status_code == 302
    assert response.headers["Location"] == IOM_URL
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert launches() == 1


def test_go_sends_visitors_to_sign_in_first(client: Any, global_course: Any) -> None:
    response = client.get(f"/go/{global_course.id}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/go/{global_course.id}"
    assert launches() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/go/{id}?next=https://evil.example/",
        "/go/{id}?url=https://evil.example/&redirect=//evil.example",
        "/go/{id}/",
        "/go/{id}//evil.example",
        "/go/{id}/https://evil.example",
        "/go//evil.example",
        "/go/%2F%2Fevil.example",
        "/go/https:%2F%2Fevil.example",
        "/go/{id}%0d%0aLocation:%20https://evil.example",
        "/go/{id}%2F..%2F..%2Fevil",
        "/go/0",
        "/go/-1",
        "/go/{id}.0",
        "/go/2147483648",
        "/go/99999999999999999999",
        "/go/abc",
        "/go/１",
        "/go/{mx}",
    ],
)
def test_go_never_redirects_anywhere_but_the_registered_url(
    client: Any, logged_in: Any, learner: Any, global_course: Any, mx_course: Any, path: str
) -> None:
    logged_in(learner)

    response = client.get(
        path.format(id=global_course.id, mx=mx_course.id),
        headers={"Referer": "https://evil.example/", "X-Forwarded-Host": "evil.example"},
    )

    location = response.headers.get("Location")
    if location is not None:
        target = urlsplit(location)
        # The registered URL, or a page of this site (the sign-in page, say).
        assert location == IOM_URL or target.netloc in ("", "localhost"), location
    else:
        assert response.status_code == 404
    if response.status_code == 404:
        assert launches() == 0


def test_go_for_a_withdrawn_course_is_a_404(
    client: Any, logged_in: Any, learner: Any, gt_coordinator: Any, gt_course: Any
) -> None:
    courses.update(gt_coordinator, gt_course.id, {"active": False})
    db.session.commit()
    logged_in(learner)

    assert client.get(f"/go/{gt_course.id}").status_code == 404
    assert launches() == 0


# --- Reporting a completion -------------------------------------------------------------


def post_report(client: Any, course: Any, **data: Any) -> Any:
    path = f"/external-courses/{course.id}"
    token = csrf_token(client, path)
    return client.post(f"{path}/completion", **multipart({"csrf_token": token, **data}))


@pytest.mark.parametrize(("data", "suffix"), [(PDF, ".pdf"), (PNG, ".png"), (JPEG, ".jpg")])
def test_a_learner_reports_with_evidence(
    client: Any,
    logged_in: Any,
    learner: Any,
    global_course: Any,
    evidence_folder: Any,
    data: bytes,
    suffix: str,
) -> None:
    logged_in(learner)

    response = post_report(
        client, global_course, completed_on="2026-02-01", note="Terminado", **upload(data)
    )

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("info", "Gracias. Su coordinación revisará la finalización.") in flashes(page)
    assert "Pendiente de verificación" in page
    [completion] = completions()
    assert completion.evidence_name.endswith(suffix)
    assert [p.name for p in stored_files(evidence_folder)] == [completion.evidence_name]


def test_a_report_without_evidence(
    client: Any, logged_in: Any, learner: Any, global_course: Any, evidence_folder: Any
) -> None:
    logged_in(learner)

    response = post_report(client, global_course, evidence=(__import__("io").BytesIO(b""), ""))

    assert response.status_code == 302
    assert completions()[0].evidence_name is None
    assert stored_files(evidence_folder) == []


@pytest.mark.parametrize(
    ("filename", "data", "status", "message"),
    [
        ("certificado.pdf", b"<html><script>alert(1)</script>", 415, "PDF o una imagen PNG"),
        ("foto.png", b"GIF89a" + b"\x00" * 32, 415, "PDF o una imagen PNG"),
        ("foto.jpg", b"%!PS-Adobe-3.0\n", 415, "PDF o una imagen PNG"),
        ("../../../etc/cron.d/x.pdf", PDF, 400, "Nombre de archivo no válido"),
        ("..\\..\\windows\\x.pdf", PDF, 400, "Nombre de archivo no válido"),
        ("nombre\u202efdp.exe", PDF, 400, "Nombre de archivo no válido"),
        ("vacio.pdf", b"", 400, "El archivo está vacío."),
    ],
    ids=[
        "html-as-pdf",
        "gif-as-png",
        "postscript-as-jpg",
        "slash-path",
        "backslash-path",
        "rtl-override",
        "empty",
    ],
)
def test_bad_evidence_is_a_clear_4xx_and_nothing_is_stored(
    client: Any,
    logged_in: Any,
    learner: Any,
    global_course: Any,
    evidence_folder: Any,
    filename: str,
    data: bytes,
    status: int,
    message: str,
) -> None:
    logged_in(learner)
    before = row_counts()

    response = post_report(client, global_course, **upload(data, filename))

    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert stored_files(evidence_folder) == []
    assert row_counts() == before


def test_evidence_over_five_megabytes_is_refused(
    client: Any, logged_in: Any, learner: Any, global_course: Any, evidence_folder: Any
) -> None:
    logged_in(learner)
    before = row_counts()

    response = post_report(client, global_course, **upload(PDF + b"0" * (5 * 1024 * 1024)))

    assert response.status_code == 413
    assert "máximo es 5 MB" in response.get_data(as_text=True)
    assert stored_files(evidence_folder) == []
    assert row_counts() == before


def test_a_report_on_another_ministrys_course_is_a_404(
    client: Any, logged_in: Any, learner: Any, mx_course: Any, evidence_folder: Any
) -> None:
    logged_in(learner)
    token = csrf_token(client, "/")

    response = client.post(
        f"/external-courses/{mx_course.id}/completion",
        data={"csrf_token": token, **upload(PDF)},
        content_type="multipart/form-data",
    )

    assert response.status_code == 404
    assert completions() == []
    assert stored_files(evidence_folder) == []


def test_a_report_without_the_csrf_token_is_refused(
    client: Any, logged_in: Any, learner: Any, global_course: Any, evidence_folder: Any
) -> None:
    logged_in(learner)

    response = client.post(
        f"/external-courses/{global_course.id}/completion",
        data=upload(PDF),
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert stored_files(evidence_folder) == []


def test_evidence_downloads_as_a_private_attachment(
    client: Any,
    logged_in: Any,
    learner: Any,
    gt_coordinator: Any,
    mx_coordinator: Any,
    global_course: Any,
    app: Any,
) -> None:
    logged_in(learner)
    post_report(client, global_course, **upload(PDF, "mi certificado.pdf"))
    [completion] = completions()
    path = f"/external-completions/{completion.id}/evidence"

    own = client.get(path)

    assert own.status_code == 200
    assert own.data == PDF
    assert own.mimetype == "application/pdf"
    assert own.headers["Cache-Control"] == "no-store"
    assert own.headers["Content-Disposition"].startswith("attachment;")
    assert f"comprobante-{completion.id}.pdf" in own.headers["Content-Disposition"]
    assert "mi certificado" not in own.headers["Content-Disposition"]

    for user, status in ((gt_coordinator, 200), (mx_coordinator, 404)):
        other = app.test_client()
        post_form(
            other, "/login", {"email": user.email, "password": "correct horse battery staple"}
        )
        assert other.get(path).status_code == status
    assert app.test_client().get(path).status_code == 302  # to the sign-in page


# --- Coordinators -----------------------------------------------------------------------


def test_the_registry_page_flags_broken_links(
    client: Any,
    logged_in: Any,
    gt_coordinator: Any,
    global_course: Any,
    gt_course: Any,
    mx_course: Any,
) -> None:
    db.session.add_all(
        [
            ExternalLinkCheck(
                course_id=global_course.id, url=global_course.url, status_code=200, ok=True
            ),
            ExternalLinkCheck(course_id=gt_course.id, url=gt_course.url, status_code=404, ok=False),
            ExternalLinkCheck(course_id=mx_course.id, url=mx_course.url, status_code=500, ok=False),
        ]
    )
    db.session.commit()
    logged_in(gt_coordinator)

    page = client.get("/coordination/external-courses").get_data(as_text=True)

    assert "1 enlace roto" in page
    assert page.count("Enlace roto") == 1
    assert "Enlace correcto" in page
    assert "Curso de México" not in page
    assert f'href="/coordination/external-courses/{gt_course.id}/edit"' in page
    assert f'href="/coordination/external-courses/{global_course.id}/edit"' not in page

    history = client.get(f"/coordination/external-courses/{gt_course.id}/checks")
    assert history.status_code == 200
    assert "La última comprobación falló" in history.get_data(as_text=True)
    assert client.get(f"/coordination/external-courses/{mx_course.id}/checks").status_code == 404


@pytest.mark.parametrize("role", ["learner", "issuer", "regional"])
def test_coordinator_pages_are_refused_to_others(
    client: Any, logged_in: Any, make_user: Any, global_course: Any, role: str
) -> None:
    logged_in(make_user(roles=[role]))

    for path in (
        "/coordination/external-courses",
        "/coordination/external-courses/new",
        f"/coordination/external-courses/{global_course.id}/checks",
        f"/coordination/external-courses/{global_course.id}/import",
        "/coordination/external-completions",
    ):
        assert client.get(path).status_code == 403, path


def test_registering_through_the_form(
    client: Any,
    logged_in: Any,
    gt_coordinator: Any,
    synced_content: Any,  # noqa: F811
) -> None:
    logged_in(gt_coordinator)
    assert "Módulo alfa" in client.get("/coordination/external-courses/new").get_data(as_text=True)

    response = post_form(
        client,
        "/coordination/external-courses/new",
        {
            "provider": "OIM",
            "title_es": "Curso OIM",
            "title_en": "IOM course",
            "url": "https://www.ecampus.iom.int/",
            "language": "es",
            "modules": ["alfa", "beta"],
            "counts_toward_program": "1",
        },
    )

    assert response.status_code == 302
    fresh()
    course = db.session.scalars(db.select(ExternalCourse)).one()
    assert course.ministry_id == gt_coordinator.ministry_id
    assert sorted(m.slug for m in course.modules) == ["alfa", "beta"]
    assert courses.counts_for_ministry(gt_coordinator, course)


def test_the_form_shows_each_problem_next_to_its_field(
    client: Any, logged_in: Any, gt_coordinator: Any
) -> None:
    logged_in(gt_coordinator)

    response = post_form(
        client,
        "/coordination/external-courses/new",
        {"provider": "OIM", "title_es": "", "url": "http://insecure.example/", "language": "es"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="url-errors"' in page and "https://" in page
    assert 'id="title_es-errors"' in page
    assert 'value="OIM"' in page
    fresh()
    assert db.session.scalar(db.select(db.func.count(ExternalCourse.id))) == 0


def test_editing_and_withdrawing_through_the_form(
    client: Any, logged_in: Any, gt_coordinator: Any, gt_course: Any, mx_course: Any
) -> None:
    logged_in(gt_coordinator)
    path = f"/coordination/external-courses/{gt_course.id}/edit"
    assert "Taller de Guatemala" in client.get(path).get_data(as_text=True)

    response = post_form(
        client,
        path,
        {
            "provider": "Cancillería",
            "title_es": "Taller renovado",
            "url": "https://formacion.minex.gob.gt/nuevo",
            "language": "es",
        },
    )

    assert response.status_code == 302
    fresh()
    course = db.session.get(ExternalCourse, gt_course.id)
    assert (course.title, course.active) == ({"es": "Taller renovado"}, False)
    assert client.get(f"/coordination/external-courses/{mx_course.id}/edit").status_code == 404
    token = csrf_token(client, path)
    other = client.post(
        f"/coordination/external-courses/{mx_course.id}/edit",
        data={
            "csrf_token": token,
            "provider": "Mío",
            "title_es": "Mío",
            "language": "es",
            "url": "https://evil.example/",
        },
    )
    assert other.status_code == 404
    fresh()
    assert db.session.get(ExternalCourse, mx_course.id).provider == "SRE México"


def test_counting_a_course_from_the_registry_page(
    client: Any, logged_in: Any, gt_coordinator: Any, global_course: Any, mx_course: Any
) -> None:
    logged_in(gt_coordinator)
    page = "/coordination/external-courses"

    response = post_form(
        client,
        f"/coordination/external-courses/{global_course.id}/credit",
        {"counts_toward_program": "1"},
        token_from=page,
    )
    foreign = post_form(
        client,
        f"/coordination/external-courses/{mx_course.id}/credit",
        {"counts_toward_program": "1"},
        token_from=page,
    )

    assert response.status_code == 302 and foreign.status_code == 404
    fresh()
    assert courses.counts_for_ministry(gt_coordinator, global_course)
    assert not courses.counts_for_ministry(gt_coordinator, mx_course)


def test_verifying_and_rejecting_from_the_queue(
    client: Any,
    logged_in: Any,
    learner: Any,
    make_user: Any,
    gt_coordinator: Any,
    global_course: Any,
    app: Any,
) -> None:
    import io

    second = make_user(roles=["learner"], ministry="GT", full_name="Segunda Persona")
    for user in (learner, second):
        completion_services.report_completion(
            user, global_course.id, filename="c.pdf", stream=io.BytesIO(PDF)
        )
    db.session.commit()
    first_id, second_id = sorted(c.id for c in completions())
    logged_in(gt_coordinator)

    queue = client.get("/coordination/external-completions").get_data(as_text=True)
    assert "2 finalizaciones" in queue
    assert f'href="/external-completions/{first_id}/evidence"' in queue

    queue_path = "/coordination/external-completions"
    verified = post_form(
        client,
        f"/coordination/external-completions/{first_id}/review",
        {"decision": "verified"},
        token_from=queue_path,
    )
    rejected_without_reason = post_form(
        client,
        f"/coordination/external-completions/{second_id}/review",
        {"decision": "rejected"},
        token_from=queue_path,
    )
    page = client.get(rejected_without_reason.headers["Location"]).get_data(as_text=True)
    assert ("error", "Algunos datos no son válidos.") in flashes(page)
    rejected = post_form(
        client,
        f"/coordination/external-completions/{second_id}/review",
        {"decision": "rejected", "note": "El comprobante no se lee"},
        token_from=queue_path,
    )

    assert verified.status_code == rejected.status_code == 302
    statuses = {c.id: c.status for c in completions()}
    assert statuses == {first_id: "verified", second_id: "rejected"}
    mine = app.test_client()
    post_form(mine, "/login", {"email": second.email, "password": "correct horse battery staple"})
    page = mine.get(f"/external-courses/{global_course.id}").get_data(as_text=True)
    assert "El comprobante no se lee" in page and "Enviar de nuevo" in page


def test_another_ministrys_completion_cannot_be_reviewed(
    client: Any, logged_in: Any, other_learner: Any, gt_coordinator: Any, global_course: Any
) -> None:
    completion, _new = completion_services.report_completion(other_learner, global_course.id)
    db.session.commit()
    logged_in(gt_coordinator)

    response = post_form(
        client,
        f"/coordination/external-completions/{completion.id}/review",
        {"decision": "verified"},
        token_from="/coordination/external-completions",
    )

    assert response.status_code == 404
    assert completions()[0].status == "reported"
    queue = client.get("/coordination/external-completions").get_data(as_text=True)
    assert other_learner.full_name not in queue and "0 finalizaciones" in queue


def test_the_report_shows_external_completions_beside_the_modules(
    client: Any,
    logged_in: Any,
    learner: Any,
    other_learner: Any,
    gt_coordinator: Any,
    global_course: Any,
    synced_content: Any,  # noqa: F811
) -> None:
    for user in (learner, other_learner):
        completion_services.report_completion(user, global_course.id)
    db.session.commit()
    logged_in(gt_coordinator)

    response = client.get("/coordination/external-report")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Módulo alfa" in page and "Módulo beta" in page
    assert "Curso virtual sobre trata de personas (OIM)" in page
    assert learner.full_name in page
    assert other_learner.full_name not in page
    assert "Pendiente de verificación" in page


def test_registry_pages_run_a_fixed_number_of_queries(
    app: Any,
    client: Any,
    count_queries: Any,
    logged_in: Any,
    gt_coordinator: Any,
    admin: Any,
    synced_content: Any,  # noqa: F811
) -> None:

    from tests.links.conftest import course_data

    def add_courses(count: int) -> None:
        for _ in range(count):
            course = courses.register(admin, course_data(modules=["alfa", "beta"]))
            courses.set_credit(gt_coordinator, course.id, True)
            db.session.add(ExternalLinkCheck(course_id=course.id, url=course.url, ok=False))
            db.session.flush()
            completion_services.report_completion(gt_coordinator, course.id)
        db.session.commit()

    def count(path: str) -> int:
        client.get(path)  # module versions read once per process (catalog.cache)
        return int(count_queries(client, path))

    paths = [
        "/",
        "/external-courses",
        "/coordination/external-courses",
        "/coordination/external-completions?status=all",
        "/coordination/external-report",
    ]
    logged_in(gt_coordinator)
    add_courses(1)
    small = {path: count(path) for path in paths}
    add_courses(4)
    large = {path: count(path) for path in paths}

    assert small == large


@pytest.mark.parametrize(
    ("language", "learner_heading", "registry_heading", "broken"),
    [
        ("en", "Complementary courses", "External course registry", "1 broken link"),
        ("fr", "Cours complémentaires", "Registre des cours externes", "1 lien rompu"),
    ],
)
def test_the_pages_in_english_and_french(
    client: Any,
    logged_in: Any,
    make_user: Any,
    global_course: Any,
    language: str,
    learner_heading: str,
    registry_heading: str,
    broken: str,
) -> None:
    db.session.add(ExternalLinkCheck(course_id=global_course.id, url=IOM_URL, ok=False))
    db.session.commit()
    logged_in(make_user(roles=["coordinator", "learner"], language=language))

    listing = client.get("/external-courses").get_data(as_text=True)
    registry = client.get("/coordination/external-courses").get_data(as_text=True)

    assert f"<h1>{learner_heading}</h1>" in listing
    assert f"<h1>{registry_heading}</h1>" in registry
    assert broken in registry


def test_the_review_page_refuses_ones_own_completion_and_audits_it(
    client: Any, logged_in: Any, gt_coordinator: Any, global_course: Any
) -> None:
    from tests.helpers import audit_events

    own, _new = completion_services.report_completion(gt_coordinator, global_course.id)
    db.session.commit()
    logged_in(gt_coordinator)

    response = post_form(
        client,
        f"/coordination/external-completions/{own.id}/review",
        {"decision": "verified"},
        token_from="/coordination/external-completions",
    )

    assert response.status_code == 302
    page = client.get("/coordination/external-completions").get_data(as_text=True)
    assert "No puede revisar su propia finalizaci" in str(flashes(page))
    assert completions()[0].status == "reported"
    assert len(audit_events("external_completion.own_review_refused")) == 1
