"""Scenario items (issue 11, item 6): graded on the path walked, one decision at a time,
kept on the server; through the API and through the pages without JavaScript."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
import yaml

from tests.conftest import CSRF_PATTERN
from tests.content_helpers import SCENARIO_FIXTURE, scenario_content  # noqa: F401
from training.extensions import db
from training.quizzes import grading
from training.quizzes.models import Attempt, AttemptAnswer

# s01 of the scenario fixture, as the loader stores it.
DEFINITION = next(
    {"start": q["start"], "steps": q["steps"]}
    for q in yaml.safe_load((SCENARIO_FIXTURE / "01-alfa" / "quiz.yaml").read_text())["questions"]
    if q["id"] == "s01"
)


# --- Grading ----------------------------------------------------------------------------


def test_the_safe_path_earns_the_whole_item() -> None:
    assert grading.grade_path("scenario", DEFINITION, ["a", "a", "a"]) == 1.0


def test_a_partial_path_earns_the_mean_credit_of_the_steps_walked() -> None:
    # 0.5 (postpone) + 1 (inform) + 1 (shelter), over three steps.
    assert grading.grade_path("scenario", DEFINITION, ["c", "a", "a"]) == pytest.approx(2.5 / 3)
    assert grading.grade_path("scenario", DEFINITION, ["c", "c", "a"]) == pytest.approx(2 / 3)


def test_an_unsafe_decision_scores_zero_whatever_came_before() -> None:
    assert grading.grade_path("scenario", DEFINITION, ["a", "a", "b"]) == 0.0
    assert grading.grade_path("scenario", DEFINITION, ["b"]) == 0.0


def test_an_unfinished_case_counts_the_step_left_open_as_zero() -> None:
    assert grading.grade_path("scenario", DEFINITION, ["a"]) == 0.5
    assert grading.grade_path("scenario", DEFINITION, []) == 0.0


def test_a_path_that_does_not_fit_the_case_earns_nothing_for_the_misfit() -> None:
    # "z" is no option of st2: the walk stops there, and st2 counts as left open.
    assert grading.grade_path("scenario", DEFINITION, ["a", "z", "a"]) == 0.5


# --- API --------------------------------------------------------------------------------


@pytest.fixture
def call(app: Any, learner: Any, api_token: Any, scenario_content: Any) -> Any:  # noqa: F811
    headers = api_token(learner)
    client = app.test_client()

    def request(method: str, path: str, **kwargs: Any) -> Any:
        return client.open(path, method=method, headers=headers, **kwargs)

    return request


def start(call: Any) -> dict[str, Any]:
    response = call("POST", "/api/v1/modules/alfa/attempts")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def decide(call: Any, attempt: dict[str, Any], choice: str, **extra: Any) -> Any:
    return call(
        "POST",
        f"/api/v1/attempts/{attempt['id']}/scenario/s01",
        json={"choice": choice, **extra},
    )


OTHERS = [{"question": "q01", "choices": ["a"]}, {"question": "q02", "choices": ["true"]}]


def test_api_walks_the_case_step_by_step_and_grades_the_safe_path(call: Any) -> None:
    attempt = start(call)
    case = next(q for q in attempt["questions"] if q["id"] == "s01")
    assert case["type"] == "scenario"
    assert case["scenario"]["step"]["id"] == "st1"
    assert [c["id"] for c in case["choices"]] == ["a", "b", "c"]
    # Nothing about the worth of an option before grading.
    assert "credit" not in str(case["scenario"]) and "unsafe" not in str(case["scenario"])

    first = decide(call, attempt, "a", step="st1")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["scenario"]["step"]["id"] == "st2"
    assert first.get_json()["scenario"]["path"] == [
        {
            "step": "st1",
            "text": "El empleador quiere estar presente en la entrevista.",
            "choice": "a",
            "choice_text": "La entrevista a solas en una sala privada",
        }
    ]
    assert decide(call, attempt, "a").get_json()["scenario"]["step"]["id"] == "st3"
    last = decide(call, attempt, "a").get_json()["scenario"]
    assert (last["finished"], last["step"]) == (True, None)

    result = call(
        "POST", f"/api/v1/attempts/{attempt['id']}/submission", json={"answers": OTHERS}
    ).get_json()
    assert (result["score"], result["passed"]) == (100, True)
    graded = next(q for q in result["questions"] if q["id"] == "s01")
    assert (graded["credit"], graded["correct"]) == (1.0, True)
    # The full review walks back through the path with each decision's feedback.
    assert [(e["step"], e["choice"], e["credit"]) for e in graded["scenario"]["path"]] == [
        ("st1", "a", 1.0),
        ("st2", "a", 1.0),
        ("st3", "a", 1.0),
    ]
    assert graded["scenario"]["path"][2]["feedback"] == "Bien: primero su seguridad."


def test_api_an_unsafe_decision_ends_the_case_and_the_item_scores_zero(call: Any) -> None:
    attempt = start(call)
    assert decide(call, attempt, "a").status_code == 200
    ended = decide(call, attempt, "b")  # call the employer about the passport
    assert ended.status_code == 200
    assert ended.get_json()["scenario"]["finished"] is True
    assert ended.get_json()["scenario"]["step"] is None
    # Still nothing says it was unsafe until grading.
    assert "unsafe" not in str(ended.get_json())
    # The case is over: no further decision.
    again = decide(call, attempt, "a")
    assert again.status_code == 409
    assert again.get_json()["code"] == "step_already_decided"

    result = call(
        "POST", f"/api/v1/attempts/{attempt['id']}/submission", json={"answers": OTHERS}
    ).get_json()
    graded = next(q for q in result["questions"] if q["id"] == "s01")
    assert (graded["credit"], graded["correct"]) == (0.0, False)
    assert graded["scenario"]["path"][-1]["unsafe"] is True
    assert graded["scenario"]["path"][-1]["feedback"] == "Peligroso: alerta a quien la explota."
    assert result["score"] == 67  # (1 + 1 + 0) / 3
    assert result["passed"] is False


def test_api_a_decision_cannot_be_changed(call: Any) -> None:
    attempt = start(call)
    assert decide(call, attempt, "c", step="st1").status_code == 200
    # The same step again (a double click, or trying to take it back): refused.
    repeated = decide(call, attempt, "a", step="st1")
    assert repeated.status_code == 409
    assert repeated.get_json()["code"] == "step_already_decided"
    stored = db.session.scalars(db.select(AttemptAnswer)).one()
    assert stored.path == ["c"]
    # Nor through the answers or the submission.
    for path in ("answers", "submission"):
        response = call(
            "PUT" if path == "answers" else "POST",
            f"/api/v1/attempts/{attempt['id']}/{path}",
            json={"answers": [{"question": "s01", "choices": ["a"]}]},
        )
        assert response.status_code == 422
        assert "answers.0.question" in response.get_json()["details"]["fields"]
    db.session.expire_all()
    assert db.session.scalars(db.select(AttemptAnswer)).one().path == ["c"]
    assert db.session.get(Attempt, attempt["id"]).status == "in_progress"


def test_api_bad_decisions_are_refused_and_change_nothing(call: Any) -> None:
    attempt = start(call)
    url = f"/api/v1/attempts/{attempt['id']}/scenario"
    assert call("POST", f"{url}/s01", json={"choice": "z"}).status_code == 422
    assert call("POST", f"{url}/s01", json={}).status_code == 422
    assert call("POST", f"{url}/s01", json={"choice": "a", "extra": 1}).status_code == 422
    assert call("POST", f"{url}/q01", json={"choice": "a"}).status_code == 404  # not a case
    assert call("POST", f"{url}/s99", json={"choice": "a"}).status_code == 404
    assert (
        call("POST", "/api/v1/attempts/999999/scenario/s01", json={"choice": "a"}).status_code
        == 404
    )
    assert db.session.scalars(db.select(AttemptAnswer)).all() == []


def test_api_a_case_can_be_decided_only_by_its_learner_and_before_submission(
    call: Any, app: Any, make_user: Any, api_token: Any
) -> None:
    attempt = start(call)
    other = make_user(roles=["learner"], ministry="GT")
    stranger = app.test_client().post(
        f"/api/v1/attempts/{attempt['id']}/scenario/s01",
        json={"choice": "a"},
        headers=api_token(other),
    )
    assert stranger.status_code == 404
    decide(call, attempt, "a")
    submitted = call("POST", f"/api/v1/attempts/{attempt['id']}/submission", json={"answers": []})
    assert submitted.status_code == 200  # decisions taken: an empty submission grades them
    late = decide(call, attempt, "a")
    assert late.status_code == 409
    assert db.session.scalars(
        db.select(AttemptAnswer.path).where(AttemptAnswer.path.isnot(None))
    ).all() == [["a"]]


def test_the_openapi_document_describes_the_decision_endpoint(app: Any) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/attempts/{attempt_id}/scenario/{question_id}"]["post"]
    assert {"200", "404", "409", "422"} <= set(operation["responses"])


# --- Pages without JavaScript -----------------------------------------------------------


def csrf(page: str) -> str:
    match = CSRF_PATTERN.search(page)
    assert match
    return match.group(1)


def open_quiz(client: Any) -> tuple[str, str]:
    module_page = client.get("/modules/alfa").get_data(as_text=True)
    started = client.post("/modules/alfa/attempts", data={"csrf_token": csrf(module_page)})
    assert started.status_code == 302
    url = started.headers["Location"]
    return url, client.get(url).get_data(as_text=True)


def decide_on_page(client: Any, url: str, page: str, choice: str, **fields: Any) -> Any:
    action = re.search(r'formaction="([^"]+/scenario/s01)"', page)
    assert action, "the step has a button that posts the decision"
    step = re.search(r'name="step-s01" value="([^"]+)"', page)
    assert step
    return client.post(
        action.group(1),
        data={"csrf_token": csrf(page), "s-s01": choice, "step-s01": step.group(1), **fields},
    )


def test_pages_show_one_step_at_a_time_and_walk_back_through_the_path(
    logged_in: Any,
    learner: Any,
    scenario_content: Any,  # noqa: F811
) -> None:
    client = logged_in(learner)
    url, page = open_quiz(client)
    assert "El empleador quiere estar presente en la entrevista." in page
    assert "Ella cuenta que le retienen el pasaporte" not in page  # the next step: not yet
    assert "Bien: puede hablar sin miedo." not in page  # no feedback before grading

    # Deciding also keeps what was ticked elsewhere on the page.
    response = decide_on_page(client, url, page, "a", **{"q-q01": "a"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#q-s01")
    page = client.get(url).get_data(as_text=True)
    assert "Ella cuenta que le retienen el pasaporte" in page
    assert 'name="step-s01" value="st2"' in page
    assert re.search(r'value="a"\s+checked', page), "the answer to q01 was saved"

    # The first step's form, posted again (back button): refused, nothing changes.
    stale = client.post(
        f"{url}/scenario/s01",
        data={"csrf_token": csrf(page), "s-s01": "c", "step-s01": "st1"},
        follow_redirects=True,
    )
    assert "Ese paso ya se decidió" in stale.get_data(as_text=True)
    assert db.session.scalars(
        db.select(AttemptAnswer.path).where(AttemptAnswer.path.isnot(None))
    ).one() == ["a"]

    page = client.get(url).get_data(as_text=True)
    decide_on_page(client, url, page, "a")
    page = client.get(url).get_data(as_text=True)
    decide_on_page(client, url, page, "a")
    page = client.get(url).get_data(as_text=True)
    assert "El caso ha terminado." in page
    assert 'name="s-s01"' not in page

    result = client.post(
        url,
        data={"csrf_token": csrf(page), "action": "submit", "q-q01": "a", "q-q02": "true"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Aprobado" in result and "100 %" in result
    for feedback in (
        "Bien: puede hablar sin miedo.",
        "Bien: ella decide con información.",
        "Bien: primero su seguridad.",
    ):
        assert feedback in result


def test_pages_an_unsafe_decision_ends_the_case_and_the_review_says_so(
    logged_in: Any,
    learner: Any,
    scenario_content: Any,  # noqa: F811
) -> None:
    client = logged_in(learner)
    url, page = open_quiz(client)
    decide_on_page(client, url, page, "b")  # interview with the employer present
    page = client.get(url).get_data(as_text=True)
    assert "El caso ha terminado." in page
    assert "riesgo" not in page  # not said before grading
    result = client.post(
        url,
        data={"csrf_token": csrf(page), "action": "submit", "q-q01": "a", "q-q02": "true"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "No aprobado" in result and "67 %" in result
    assert "Pone a la persona en riesgo" in result
    assert "Peligroso: el empleador la controla." in result


def test_pages_deciding_without_choosing_is_refused(
    logged_in: Any,
    learner: Any,
    scenario_content: Any,  # noqa: F811
) -> None:
    client = logged_in(learner)
    url, page = open_quiz(client)
    response = decide_on_page(client, url, page, "")
    assert response.status_code == 422
    assert "Elija una de las opciones de este paso." in response.get_data(as_text=True)
    assert db.session.scalars(db.select(AttemptAnswer)).all() == []


def test_simultaneous_decisions_on_one_step_record_exactly_one(
    app: Any,
    learner: Any,
    api_token: Any,
    scenario_content: Any,  # noqa: F811
) -> None:
    headers = api_token(learner)
    attempt = app.test_client().post("/api/v1/modules/alfa/attempts", headers=headers).get_json()
    barrier = threading.Barrier(4, timeout=30)
    responses: list[Any] = [None] * 4

    def choose(index: int) -> None:
        own = app.test_client()
        barrier.wait()
        responses[index] = own.post(
            f"/api/v1/attempts/{attempt['id']}/scenario/s01",
            headers=headers,
            json={"choice": "a" if index % 2 == 0 else "c", "step": "st1"},
        )

    threads = [threading.Thread(target=choose, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    winner = next(r for r in responses if r.status_code == 200).get_json()
    db.session.expire_all()
    stored = db.session.scalars(db.select(AttemptAnswer)).one()
    assert stored.path == [winner["scenario"]["path"][0]["choice"]]


# --- Restricted review ------------------------------------------------------------------


def test_a_restricted_review_retraces_the_path_without_giving_the_safe_option_away(
    app: Any,
    scenario_content: Any,  # noqa: F811
) -> None:
    from training.catalog.models import Question
    from training.quizzes.scenario_presenter import scenario

    question = db.session.scalars(db.select(Question).where(Question.key == "s01")).one()
    restricted = scenario(question, ["c", "b"], "es", graded=True, full=False)
    assert [(e["step"], e["choice"]) for e in restricted["path"]] == [("st1", "c"), ("st2", "b")]
    assert restricted["step"] is None
    text = str(restricted)
    for secret in (
        "credit",
        "unsafe",
        "feedback",
        "La entrevista a solas en una sala privada",  # the safe option not taken at st1
        "Le explica sus derechos sin presionarla",  # the safe option at st2
        "Peligroso",
    ):
        assert secret not in text
    full = scenario(question, ["c", "b"], "es", graded=True, full=True)
    assert [e["credit"] for e in full["path"]] == [0.5, 0.0]
    assert full["path"][1]["unsafe"] is True
