"""The quiz through the JSON API: rules enforced on the server, misuse refused."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func

from tests.content_helpers import correct_answers, reopen_lessons, wrong_answers
from training.extensions import db
from training.quizzes.models import Attempt, AttemptAnswer

CORRECTNESS_KEYS = {"correct", "feedback", "explanation", "credit"}


@pytest.fixture
def learner_api(app: Any, learner: Any, api_token: Any, synced_content: Any) -> Any:
    headers = api_token(learner)
    client = app.test_client()

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


def start(call: Any, slug: str = "alfa") -> dict[str, Any]:
    response = call("POST", f"/api/v1/modules/{slug}/attempts")
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def test_an_attempt_never_reveals_correctness_before_submission(learner_api: Any) -> None:
    attempt = start(learner_api)
    assert attempt["status"] == "in_progress"
    assert len(attempt["questions"]) == 3
    for question in attempt["questions"]:
        assert not CORRECTNESS_KEYS & set(question)
        for choice in question["choices"]:
            assert set(choice) == {"id", "text"}
    again = learner_api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()
    assert not any(CORRECTNESS_KEYS & set(q) for q in again["questions"])


def test_starting_twice_returns_the_same_attempt(learner_api: Any) -> None:
    first = learner_api("POST", "/api/v1/modules/alfa/attempts")
    second = learner_api("POST", "/api/v1/modules/alfa/attempts")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    # The frozen order is the same on every read.
    assert first.get_json()["questions"] == second.get_json()["questions"]


def test_pass_then_the_result_explains_every_question(learner_api: Any, app: Any) -> None:
    attempt = start(learner_api)
    response = learner_api(
        "POST",
        f"/api/v1/attempts/{attempt['id']}/submission",
        json={"answers": correct_answers(attempt, app)},
    )
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert (result["status"], result["score"], result["passed"]) == ("submitted", 100, True)
    for question in result["questions"]:
        assert question["correct"] is True
        assert question["explanation"] and question["feedback"]
    # A second submission returns the same result and grades nothing again.
    again = learner_api(
        "POST",
        f"/api/v1/attempts/{attempt['id']}/submission",
        json={"answers": wrong_answers(attempt, app)},
    )
    assert again.status_code == 200
    assert again.get_json()["score"] == 100


def test_fail_keeps_the_best_score_and_counts_attempts(learner_api: Any, app: Any) -> None:
    first = start(learner_api)
    failed = learner_api(
        "POST",
        f"/api/v1/attempts/{first['id']}/submission",
        json={"answers": wrong_answers(first, app)},
    ).get_json()
    assert (failed["score"], failed["passed"]) == (0, False)
    reopen_lessons(learner_api)
    second = start(learner_api)
    assert second["id"] != first["id"]
    learner_api(
        "POST",
        f"/api/v1/attempts/{second['id']}/submission",
        json={"answers": correct_answers(second, app)},
    )
    modules = learner_api("GET", "/api/v1/modules").get_json()["items"]
    alfa = next(item for item in modules if item["slug"] == "alfa")
    assert alfa["best_score"] == 100


def test_multiple_choice_partial_credit(learner_api: Any, app: Any) -> None:
    attempt = start(learner_api)
    answers = correct_answers(attempt, app)
    for answer in answers:
        if answer["question"] == "q03":
            answer["choices"] = ["a", "c"]  # one right, one wrong: (1 - 1) / 2 = 0
    result = learner_api(
        "POST", f"/api/v1/attempts/{attempt['id']}/submission", json={"answers": answers}
    ).get_json()
    q03 = next(q for q in result["questions"] if q["id"] == "q03")
    assert q03["correct"] is False
    # A failed attempt with attempts left shows no per-question credit: read the stored one.
    credits = db.session.scalars(
        db.select(AttemptAnswer.credit).where(AttemptAnswer.attempt_id == attempt["id"])
    ).all()
    assert sorted(credits) == [0.0, 1.0, 1.0]
    assert result["score"] == 67  # 2 of 3 questions


def test_attempts_run_out_then_the_module_is_locked(learner_api: Any, app: Any) -> None:
    for _ in range(3):
        attempt = start(learner_api)
        learner_api(
            "POST",
            f"/api/v1/attempts/{attempt['id']}/submission",
            json={"answers": wrong_answers(attempt, app)},
        )
        reopen_lessons(learner_api)
    refused = learner_api("POST", "/api/v1/modules/alfa/attempts")
    assert refused.status_code == 403
    assert refused.get_json()["details"]["reason"] == "no_attempts_left"


def test_prerequisites_lock_the_quiz(learner_api: Any) -> None:
    response = learner_api("POST", "/api/v1/modules/beta/attempts")
    assert response.status_code == 403
    body = response.get_json()
    assert body["details"] == {"reason": "prerequisites", "missing": ["alfa"]}
    assert "Módulo alfa" in body["message"]
    modules = {
        item["slug"]: item for item in learner_api("GET", "/api/v1/modules").get_json()["items"]
    }
    assert modules["beta"]["locked"] is True and modules["alfa"]["locked"] is False


def stored() -> tuple[int, int, list[tuple[Any, ...]]]:
    db.session.expire_all()
    return (
        db.session.scalar(db.select(func.count(Attempt.id))),
        db.session.scalar(db.select(func.count()).select_from(AttemptAnswer)),
        [
            tuple(row)
            for row in db.session.execute(
                db.select(Attempt.id, Attempt.status, Attempt.score).order_by(Attempt.id)
            )
        ],
    )


def _misuse_cases() -> list[Any]:
    return [
        pytest.param(
            lambda a, ok: {"answers": [{"question": "zz9", "choices": ["a"]}]},
            422,
            id="question-not-in-attempt",
        ),
        pytest.param(
            lambda a, ok: {"answers": [{"question": "q01", "choices": ["true"]}]},
            422,
            id="choice-of-another-question",
        ),
        pytest.param(lambda a, ok: {"answers": [ok[0], ok[0]]}, 422, id="duplicate-answers"),
        pytest.param(lambda a, ok: {"answers": []}, 422, id="empty-submission"),
        pytest.param(lambda a, ok: {"answers": "all"}, 422, id="answers-not-a-list"),
        pytest.param(lambda a, ok: {"answers": [{"question": "q01"}]}, 422, id="no-choices"),
        pytest.param(
            lambda a, ok: {"answers": [{"question": 1, "choices": ["a"]}]}, 422, id="wrong-type"
        ),
        pytest.param(
            lambda a, ok: {"answers": [{"question": "q01", "choices": ["a", "b"]}]},
            422,
            id="two-choices-on-single",
        ),
        pytest.param(lambda a, ok: {"answers": ok, "grade": "A"}, 422, id="unknown-field"),
        pytest.param(lambda a, ok: "not json", 400, id="malformed-json"),
    ]


@pytest.mark.parametrize(("body", "status"), _misuse_cases())
def test_misuse_of_a_submission_is_refused_and_changes_nothing(
    learner_api: Any, app: Any, body: Any, status: int
) -> None:
    attempt = start(learner_api)
    before = stored()
    payload = body(attempt, correct_answers(attempt, app))
    if isinstance(payload, str):
        response = learner_api(
            "POST",
            f"/api/v1/attempts/{attempt['id']}/submission",
            data=payload,
            content_type="application/json",
        )
    else:
        response = learner_api("POST", f"/api/v1/attempts/{attempt['id']}/submission", json=payload)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["code"] in {"validation_failed", "invalid"}
    assert stored() == before


def test_client_sent_scores_and_correctness_are_ignored(learner_api: Any, app: Any) -> None:
    attempt = start(learner_api)
    answers = [dict(answer, correct=True) for answer in wrong_answers(attempt, app)]
    result = learner_api(
        "POST",
        f"/api/v1/attempts/{attempt['id']}/submission",
        json={"answers": answers, "score": 100, "passed": True},
    ).get_json()
    assert (result["score"], result["passed"]) == (0, False)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/modules/nope/attempts", 404),
        ("/api/v1/modules/nope", 404),
        ("/api/v1/modules/alfa/lessons/9", 404),
        ("/api/v1/modules/alfa/lessons/abc", 404),
        ("/api/v1/modules/alfa/lessons/99999999999999999999", 404),
        ("/api/v1/attempts/99999999999999999999", 404),
        ("/api/v1/attempts/0", 404),
    ],
)
def test_unknown_things_answer_404(learner_api: Any, path: str, status: int) -> None:
    method = "POST" if path.endswith("attempts") else "GET"
    response = learner_api(method, path)
    assert response.status_code == status
    assert response.get_json()["code"] == "not_found"


def test_another_learners_attempt_is_404(
    learner_api: Any, app: Any, other_learner: Any, api_token: Any
) -> None:
    attempt = start(learner_api)
    before = stored()
    headers = api_token(other_learner)
    client = app.test_client()
    assert client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).status_code == 404
    response = client.post(
        f"/api/v1/attempts/{attempt['id']}/submission",
        headers=headers,
        json={"answers": correct_answers(attempt, app)},
    )
    assert response.status_code == 404
    assert stored() == before


def test_an_expired_attempt_is_closed_graded_on_saved_answers_and_refuses_submission(
    learner_api: Any, app: Any
) -> None:
    from datetime import timedelta

    from training.database import utcnow

    attempt = start(learner_api)
    ok = correct_answers(attempt, app)
    saved = learner_api(
        "PUT", f"/api/v1/attempts/{attempt['id']}/answers", json={"answers": ok[:1]}
    )
    assert saved.status_code == 200
    assert saved.get_json()["status"] == "in_progress"
    row = db.session.get(Attempt, attempt["id"])
    row.expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    response = learner_api(
        "POST", f"/api/v1/attempts/{attempt['id']}/submission", json={"answers": ok}
    )
    assert response.status_code == 409
    closed = learner_api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()
    assert closed["status"] == "expired"
    assert closed["score"] == 33  # one saved correct answer of three


def test_simultaneous_submissions_grade_once_and_agree(
    app: Any, learner: Any, api_token: Any, synced_content: Any
) -> None:
    headers = api_token(learner)
    client = app.test_client()
    attempt = client.post("/api/v1/modules/alfa/attempts", headers=headers).get_json()
    good = correct_answers(attempt, app)
    bad = wrong_answers(attempt, app)
    barrier = threading.Barrier(4, timeout=30)
    responses: list[Any] = [None] * 4

    def submit(index: int) -> None:
        own = app.test_client()
        barrier.wait()
        responses[index] = own.post(
            f"/api/v1/attempts/{attempt['id']}/submission",
            headers=headers,
            json={"answers": good if index % 2 == 0 else bad},
        )

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in responses] == [200] * 4
    scores = {r.get_json()["score"] for r in responses}
    assert len(scores) == 1
    db.session.expire_all()
    assert db.session.scalar(db.select(func.count()).select_from(AttemptAnswer)) == 3
    from training.progress.models import LearningEvent

    graded_events = db.session.scalar(
        db.select(func.count(LearningEvent.id)).where(LearningEvent.verb.in_(["passed", "failed"]))
    )
    assert graded_events == 1


def test_simultaneous_starts_create_one_attempt(
    app: Any, learner: Any, api_token: Any, synced_content: Any
) -> None:
    headers = api_token(learner)
    barrier = threading.Barrier(4, timeout=30)
    responses: list[Any] = [None] * 4

    def begin(index: int) -> None:
        own = app.test_client()
        barrier.wait()
        responses[index] = own.post("/api/v1/modules/alfa/attempts", headers=headers)

    threads = [threading.Thread(target=begin, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 200, 201]
    assert len({r.get_json()["id"] for r in responses}) == 1
    db.session.expire_all()
    assert db.session.scalar(db.select(func.count(Attempt.id))) == 1


def test_a_coordinator_grants_another_attempt_after_they_ran_out(
    learner_api: Any,
    app: Any,
    learner: Any,
    coordinator: Any,
    api_token: Any,
    make_user: Any,
) -> None:
    for _ in range(3):
        attempt = start(learner_api)
        learner_api(
            "POST",
            f"/api/v1/attempts/{attempt['id']}/submission",
            json={"answers": wrong_answers(attempt, app)},
        )
        reopen_lessons(learner_api)
    assert learner_api("POST", "/api/v1/modules/alfa/attempts").status_code == 403
    client = app.test_client()
    path = f"/api/v1/staff/{learner.id}/attempt-grants"
    foreign = api_token(make_user(roles=["coordinator"], ministry="MX"))
    assert (
        client.post(path, headers=foreign, json={"module": "alfa", "reason": "x"}).status_code
        == 404
    )
    assert (
        client.post(
            path, headers=api_token(learner), json={"module": "alfa", "reason": "x"}
        ).status_code
        == 403
    )
    headers = api_token(coordinator)
    assert (
        client.post(path, headers=headers, json={"module": "alfa", "reason": ""}).status_code == 422
    )
    response = client.post(
        path, headers=headers, json={"module": "alfa", "reason": "Problema de conexión"}
    )
    assert response.status_code == 201
    assert learner_api("POST", "/api/v1/modules/alfa/attempts").status_code == 201
    assert learner_api("GET", "/api/v1/modules/alfa").get_json()["quiz"]["attempts_left"] == 0


def test_a_save_racing_a_submission_cannot_rewrite_the_graded_answers(
    app: Any, learner: Any, api_token: Any, synced_content: Any, monkeypatch: Any
) -> None:
    """The save has read the attempt (in progress) when the submission grades and commits;
    only then does the save go on. It must not overwrite what was graded."""
    from training.quizzes import services

    headers = api_token(learner)
    attempt = app.test_client().post("/api/v1/modules/alfa/attempts", headers=headers).get_json()
    good = correct_answers(attempt, app)
    bad = wrong_answers(attempt, app)
    save_loaded = threading.Event()
    submitted = threading.Event()
    real_close = services.close_if_expired

    def close_then_wait(row: Any) -> bool:
        closed = real_close(row)
        if threading.current_thread().name == "save":
            save_loaded.set()
            submitted.wait(timeout=30)
        return closed

    monkeypatch.setattr(services, "close_if_expired", close_then_wait)
    responses: dict[str, Any] = {}

    def save() -> None:
        responses["save"] = app.test_client().put(
            f"/api/v1/attempts/{attempt['id']}/answers", headers=headers, json={"answers": bad}
        )

    def submit() -> None:
        assert save_loaded.wait(timeout=30)
        try:
            responses["submit"] = app.test_client().post(
                f"/api/v1/attempts/{attempt['id']}/submission",
                headers=headers,
                json={"answers": good},
            )
        finally:
            submitted.set()

    threads = [threading.Thread(target=save, name="save"), threading.Thread(target=submit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert responses["submit"].status_code == 200
    assert responses["submit"].get_json()["score"] == 100
    assert responses["save"].status_code == 409
    db.session.expire_all()
    stored = db.session.scalars(
        db.select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt["id"])
    ).all()
    assert len(stored) == 3
    assert all(answer.correct for answer in stored)
    graded = {(a["question"], tuple(sorted(a["choices"]))) for a in good}
    result = app.test_client().get(f"/api/v1/attempts/{attempt['id']}", headers=headers)
    assert result.get_json()["score"] == 100
    from training.catalog.models import Choice, Question

    kept = set()
    for answer in stored:
        question = db.session.get(Question, answer.question_id)
        keys = db.session.scalars(
            db.select(Choice.key).where(Choice.id.in_(answer.choice_ids))
        ).all()
        kept.add((question.key, tuple(sorted(keys))))
    assert kept == graded


def test_nobody_grants_themselves_extra_attempts_and_the_refusal_is_audited(
    app: Any, make_user: Any, api_token: Any, synced_content: Any
) -> None:
    from tests.helpers import audit_events
    from training.quizzes.models import AttemptGrant

    coordinator = make_user(roles=["coordinator", "learner"])
    response = app.test_client().post(
        f"/api/v1/staff/{coordinator.id}/attempt-grants",
        headers=api_token(coordinator),
        json={"module": "alfa", "reason": "Quiero otro intento"},
    )

    assert response.status_code == 403
    assert "concederse intentos a sí mismo" in response.get_json()["message"]
    db.session.expire_all()
    assert db.session.scalar(db.select(func.count(AttemptGrant.id))) == 0
    [event] = audit_events("quiz.own_attempt_grant_refused")
    assert (event.actor_id, event.target_id) == (coordinator.id, str(coordinator.id))
    assert event.details == {"module": "alfa"}
