"""The registry's rules, through the services: registration, visibility, credit, launches,
reviews and evidence checks."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.content_helpers import synced_content  # noqa: F401
from tests.helpers import audit_actions, fresh
from tests.links.conftest import IOM_URL, JPEG, PDF, PNG, course_data, stored_files
from training.errors import Conflict, Forbidden, Invalid, NotFound, ValidationFailed
from training.extensions import db
from training.links import completions, courses, evidence
from training.links.models import (
    ExternalCompletion,
    ExternalCourse,
    ExternalCourseCredit,
    ExternalLaunch,
)
from training.progress.models import LearningEvent

# --- Registering ------------------------------------------------------------------------


def test_an_administrators_course_is_global_and_a_coordinators_is_their_ministrys(
    admin: Any, gt_coordinator: Any
) -> None:
    common = courses.register(admin, course_data())
    own = courses.register(gt_coordinator, course_data(url="https://example.org/gt"))
    db.session.commit()

    assert common.ministry_id is None
    assert own.ministry_id == gt_coordinator.ministry_id
    assert audit_actions().count("external_course.registered") == 2


def test_registration_keeps_titles_per_language_and_the_modules(
    admin: Any,
    synced_content: Any,  # noqa: F811
) -> None:
    course = courses.register(
        admin,
        course_data(
            title={"es": "  Curso   OIM ", "en": "IOM course", "fr": ""},
            description={"es": "Línea 1\nLínea 2"},
            modules=["beta", "alfa", "alfa"],
        ),
    )

    assert course.title == {"es": "Curso OIM", "en": "IOM course"}
    assert course.description == {"es": "Línea 1\nLínea 2"}
    assert sorted(m.slug for m in course.modules) == ["alfa", "beta"]
    assert course.title_in("fr") == "Curso OIM"


@pytest.mark.parametrize(
    "url",
    [
        "http://www.ecampus.iom.int/",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example.org/course",
        "//evil.example/",
        "/relative/path",
        "https://",
        "https://user:secret@evil.example/",
        "https://www.ecampus.iom.int@evil.example/",
        "https:\\\\evil.example",
        "https://localhost/",
        "https://ecampus iom.int/",
        "https://www.ecampus.iom.int/\r\nSet-Cookie: x=1",
        "https://example.org:99999/",
        "",
        "   ",
        "https://example.org/" + "a" * 2000,
    ],
    ids=repr,
)
def test_only_absolute_https_urls_are_registered(admin: Any, url: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        courses.register(admin, course_data(url=url))

    assert "url" in caught.value.details["fields"]
    assert db.session.scalar(db.select(db.func.count(ExternalCourse.id))) == 0


def test_urls_with_accents_are_stored_as_ascii(admin: Any) -> None:
    course = courses.register(admin, course_data(url="https://bücher.example/curso-á"))

    assert course.url == "https://xn--bcher-kva.example/curso-%C3%A1"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": {"en": "Only English"}}, "title.es"),
        ({"title": {"es": "x" * 201}}, "title.es"),
        ({"title": {"es": "Curso", "de": "Kurs"}}, "title.de"),
        ({"title": "Curso"}, "title"),
        ({"provider": ""}, "provider"),
        ({"provider": "x" * 121}, "provider"),
        ({"language": "pt"}, "language"),
        ({"modules": ["no-such-module"]}, "modules"),
        ({"modules": "alfa"}, "modules"),
        ({"description": {"es": "x" * 2001}}, "description.es"),
    ],
)
def test_registration_reports_each_problem_by_field(
    admin: Any, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        courses.register(admin, course_data(**data))

    assert field in caught.value.details["fields"]


def test_missing_required_fields_are_all_reported(admin: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        courses.register(admin, {})

    assert set(caught.value.details["fields"]) == {"provider", "title", "url", "language"}


@pytest.mark.parametrize("role", ["learner", "issuer", "regional"])
def test_only_coordinators_and_administrators_register(make_user: Any, role: str) -> None:
    with pytest.raises(Forbidden):
        courses.register(make_user(roles=[role]), course_data())


# --- Visibility -------------------------------------------------------------------------


def test_learners_see_global_courses_and_their_ministrys_only(
    learner: Any, other_learner: Any, global_course: Any, gt_course: Any, mx_course: Any
) -> None:
    guatemalan = [view.id for view in courses.courses_for(learner)]
    mexican = [view.id for view in courses.courses_for(other_learner)]

    assert sorted(guatemalan) == sorted([global_course.id, gt_course.id])
    assert sorted(mexican) == sorted([global_course.id, mx_course.id])
    with pytest.raises(NotFound):
        courses.course_for(learner, mx_course.id)


def test_withdrawn_courses_disappear_for_learners_but_stay_for_coordinators(
    learner: Any, gt_coordinator: Any, gt_course: Any
) -> None:
    courses.update(gt_coordinator, gt_course.id, {"active": False})
    db.session.commit()

    assert courses.courses_for(learner) == []
    with pytest.raises(NotFound):
        courses.launch(learner, gt_course.id)
    assert [v.id for v in courses.managed_courses(gt_coordinator)] == [gt_course.id]


def test_coordinators_change_only_their_ministrys_courses(
    gt_coordinator: Any, global_course: Any, gt_course: Any, mx_course: Any, admin: Any
) -> None:
    courses.update(gt_coordinator, gt_course.id, {"title": {"es": "Nuevo título"}})
    with pytest.raises(Forbidden):
        courses.update(gt_coordinator, global_course.id, {"title": {"es": "Mío"}})
    with pytest.raises(NotFound):
        courses.update(gt_coordinator, mx_course.id, {"title": {"es": "Mío"}})
    courses.update(admin, mx_course.id, {"provider": "SRE"})
    db.session.commit()

    fresh()
    assert db.session.get(ExternalCourse, gt_course.id).title == {"es": "Nuevo título"}
    assert db.session.get(ExternalCourse, global_course.id).title["es"].startswith("Curso")
    assert db.session.get(ExternalCourse, mx_course.id).provider == "SRE"
    assert "external_course.updated" in audit_actions()


def test_an_update_that_changes_nothing_records_nothing(
    gt_coordinator: Any, gt_course: Any
) -> None:
    before = audit_actions()

    courses.update(gt_coordinator, gt_course.id, {"provider": gt_course.provider})
    db.session.commit()

    assert audit_actions() == before


# --- Program credit ---------------------------------------------------------------------


def test_credit_is_per_ministry(
    learner: Any,
    other_learner: Any,
    gt_coordinator: Any,
    mx_coordinator: Any,
    global_course: Any,
) -> None:
    courses.set_credit(gt_coordinator, global_course.id, True)
    courses.set_credit(gt_coordinator, global_course.id, True)  # idempotent
    db.session.commit()

    assert [v.counts_toward_program for v in courses.courses_for(learner)] == [True]
    assert [v.counts_toward_program for v in courses.courses_for(other_learner)] == [False]

    courses.set_credit(gt_coordinator, global_course.id, False)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalCourseCredit)) == 0
    assert audit_actions().count("external_course.credit_set") == 1
    assert audit_actions().count("external_course.credit_removed") == 1


def test_nobody_counts_another_ministrys_course(
    gt_coordinator: Any, admin: Any, mx_course: Any
) -> None:
    with pytest.raises(NotFound):
        courses.set_credit(gt_coordinator, mx_course.id, True)
    with pytest.raises(NotFound):
        courses.set_credit(admin, mx_course.id, True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalCourseCredit)) == 0


def test_registration_can_count_the_course_at_once(gt_coordinator: Any) -> None:
    course = courses.register(gt_coordinator, course_data(counts_toward_program=True))

    assert courses.counts_for_ministry(gt_coordinator, course)


# --- Launches ---------------------------------------------------------------------------


def test_a_launch_is_recorded_with_a_learning_event(learner: Any, global_course: Any) -> None:
    launch, target = courses.launch(learner, global_course.id)
    db.session.commit()

    assert target == IOM_URL
    assert (launch.user_id, launch.ministry_id) == (learner.id, learner.ministry_id)
    event = db.session.scalars(db.select(LearningEvent)).one()
    assert (event.verb, event.object_type, event.object_key) == (
        "launched",
        "external_course",
        str(global_course.id),
    )


@pytest.mark.parametrize(
    "stored",
    ["javascript:alert(1)", "http://www.ecampus.iom.int/", "https://a@evil.example/", "//x.y/"],
)
def test_a_tampered_row_never_becomes_a_redirect(
    learner: Any, global_course: Any, stored: str
) -> None:
    global_course.url = stored
    db.session.commit()

    with pytest.raises(NotFound):
        courses.launch(learner, global_course.id)
    assert db.session.scalar(db.select(db.func.count(ExternalLaunch.id))) == 0


# --- Evidence checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")],
)
def test_evidence_type_comes_from_the_content(app: Any, data: bytes, media_type: str) -> None:
    checked = evidence.read("anything.txt", io.BytesIO(data))

    assert checked is not None and checked.media_type == media_type


def test_no_file_is_no_evidence(app: Any) -> None:
    assert evidence.read(None, None) is None
    assert evidence.read("", io.BytesIO(b"")) is None


@pytest.mark.parametrize(
    ("filename", "data", "error"),
    [
        (
            "certificado.pdf",
            b"<html><script>alert(1)</script></html>",
            evidence.UnsupportedEvidence,
        ),
        ("foto.png", b"GIF89a" + b"\x00" * 10, evidence.UnsupportedEvidence),
        ("foto.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", evidence.UnsupportedEvidence),
        ("programa.pdf", b"MZ\x90\x00" + b"\x00" * 60, evidence.UnsupportedEvidence),
        ("vacio.pdf", b"", Invalid),
        ("../../etc/passwd.pdf", PDF, Invalid),
        ("..\\..\\boot.ini", PDF, Invalid),
        ("/etc/passwd", PDF, Invalid),
        ("..", PDF, Invalid),
        ("nombre\x00.pdf", PDF, Invalid),
        ("fdp.\u202eexe", PDF, Invalid),
        ("a" * 256 + ".pdf", PDF, Invalid),
    ],
    ids=repr,
)
def test_bad_evidence_is_refused(app: Any, filename: str, data: bytes, error: type) -> None:
    with pytest.raises(error):
        evidence.read(filename, io.BytesIO(data))


def test_evidence_over_the_limit_is_refused(app: Any) -> None:
    app.config["EVIDENCE_MAX_BYTES"] = 1000

    evidence.read("ok.pdf", io.BytesIO(PDF + b"x" * (1000 - len(PDF))))
    with pytest.raises(evidence.EvidenceTooLarge) as caught:
        evidence.read("big.pdf", io.BytesIO(PDF + b"x" * 1000))
    assert caught.value.status == 413


# --- Reports and reviews ----------------------------------------------------------------


def report(user: Any, course: Any, data: bytes | None = PDF, **fields: Any) -> Any:
    completion, _created = completions.report_completion(
        user,
        course.id,
        filename="c.pdf" if data is not None else None,
        stream=io.BytesIO(data) if data is not None else None,
        **fields,
    )
    db.session.commit()
    return completion


def test_a_report_stores_the_evidence_under_a_random_name(
    learner: Any, global_course: Any, evidence_folder: Any
) -> None:
    completion = report(learner, global_course, completed_on="2026-01-15", note="Listo")

    files = stored_files(evidence_folder)
    assert [path.parent.name for path in files] == [str(learner.ministry_id)]
    assert files[0].name == completion.evidence_name
    assert files[0].name.endswith(".pdf") and files[0].stem != "c"
    assert files[0].read_bytes() == PDF
    assert files[0].stat().st_mode & 0o777 == 0o600
    assert (completion.status, completion.source) == ("reported", "self_reported")
    assert completion.completed_on.isoformat() == "2026-01-15"


@pytest.mark.parametrize("day", ["2999-01-01", "1999-12-31", "15/01/2026", "mañana"])
def test_impossible_dates_are_refused(learner: Any, global_course: Any, day: str) -> None:
    with pytest.raises(ValidationFailed):
        report(learner, global_course, completed_on=day)
    assert db.session.scalar(db.select(db.func.count(ExternalCompletion.id))) == 0


def test_reporting_again_replaces_the_evidence(
    learner: Any, global_course: Any, evidence_folder: Any
) -> None:
    first = report(learner, global_course)
    second = report(learner, global_course, data=PNG)

    assert first.id == second.id
    assert [path.suffix for path in stored_files(evidence_folder)] == [".png"]


def test_a_verified_completion_cannot_be_reported_again(
    learner: Any, gt_coordinator: Any, global_course: Any, evidence_folder: Any
) -> None:
    completion = report(learner, global_course)
    completions.review(gt_coordinator, completion.id, "verified")
    db.session.commit()

    with pytest.raises(Conflict):
        report(learner, global_course, data=PNG)
    assert [path.suffix for path in stored_files(evidence_folder)] == [".pdf"]


def test_review_rules(
    learner: Any,
    gt_coordinator: Any,
    mx_coordinator: Any,
    global_course: Any,
) -> None:
    completion = report(learner, global_course)
    own = report(gt_coordinator, global_course, data=None)

    with pytest.raises(NotFound):
        completions.review(mx_coordinator, completion.id, "verified")
    with pytest.raises(Forbidden):
        completions.review(gt_coordinator, own.id, "verified")
    with pytest.raises(ValidationFailed):
        completions.review(gt_coordinator, completion.id, "rejected", "  ")
    with pytest.raises(ValidationFailed):
        completions.review(gt_coordinator, completion.id, "maybe")

    completions.review(
        gt_coordinator, completion.id, "rejected", "El certificado es de otra persona"
    )
    db.session.commit()
    with pytest.raises(Conflict):
        completions.review(gt_coordinator, completion.id, "verified")

    again = report(learner, global_course)
    assert (again.status, again.review_note) == ("reported", None)
    completions.review(gt_coordinator, completion.id, "verified")
    db.session.commit()
    verbs = [
        e.verb
        for e in db.session.scalars(
            db.select(LearningEvent).where(LearningEvent.user_id == learner.id)
        )
    ]
    assert verbs == ["completed"]
    assert {"external_completion.rejected", "external_completion.verified"} <= set(audit_actions())


def test_evidence_is_for_the_learner_and_their_coordinators_only(
    learner: Any,
    make_user: Any,
    gt_coordinator: Any,
    mx_coordinator: Any,
    admin: Any,
    global_course: Any,
) -> None:
    completion = report(learner, global_course)
    colleague = make_user(roles=["learner"], ministry="GT")
    issuer = make_user(roles=["issuer"], ministry="GT")

    for reader in (learner, gt_coordinator, admin):
        assert completions.evidence_file(reader, completion.id).media_type == "application/pdf"
    db.session.commit()
    for stranger in (colleague, issuer, mx_coordinator):
        with pytest.raises(NotFound):
            completions.evidence_file(stranger, completion.id)
    assert audit_actions().count("external_completion.evidence_viewed") == 2


def test_queue_is_scoped_to_the_ministry(
    learner: Any,
    other_learner: Any,
    gt_coordinator: Any,
    admin: Any,
    global_course: Any,
) -> None:
    report(learner, global_course)
    report(other_learner, global_course)

    rows, total = completions.completion_queue(gt_coordinator)
    assert total == 1 and [row.learner.id for row in rows] == [learner.id]
    assert completions.completion_queue(admin)[1] == 2
    assert completions.completion_queue(gt_coordinator, status="verified")[1] == 0
    with pytest.raises(ValidationFailed):
        completions.completion_queue(gt_coordinator, status="lost")


def test_files_follow_the_transaction(
    learner: Any, global_course: Any, evidence_folder: Any
) -> None:
    completions.report_completion(
        learner, global_course.id, filename="a.pdf", stream=io.BytesIO(PDF)
    )
    assert len(stored_files(evidence_folder)) == 1
    db.session.rollback()
    assert stored_files(evidence_folder) == []  # written, then rolled back: gone

    first = report(learner, global_course)
    completions.report_completion(
        learner, global_course.id, filename="b.png", stream=io.BytesIO(PNG)
    )
    assert len(stored_files(evidence_folder)) == 2  # the old one stays until the commit
    db.session.rollback()
    assert [p.name for p in stored_files(evidence_folder)] == [first.evidence_name]
    report(learner, global_course, data=PNG)
    assert [p.suffix for p in stored_files(evidence_folder)] == [".png"]
