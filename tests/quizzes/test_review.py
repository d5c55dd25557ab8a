"""Review policy (issue 11 item 3): a failed attempt with attempts left shows what to study,
never the key; once passed, or with no attempt left, the full review opens. API and page."""

from __future__ import annotations

import json
from typing import Any

from tests.content_helpers import correct_answers, reopen_lessons, wrong_answers
from tests.quizzes.test_api import learner_api, start  # noqa: F401 - fixture
from tests.quizzes.test_views import token
from training.catalog.models import Module
from training.extensions import db

# Every choice feedback of the fixture quiz (alfa): none may show before the full review.
FEEDBACK = [
    "Correcto, son tres.",
    "Falta uno.",
    "Exacto.",
    "No; siempre la cruza.",
    "Sí: es un medio de control.",
    "Sí: la servidumbre por deudas.",
    "No, por sí solo no indica nada.",
]
EXPLANATIONS = {
    "q01": "Acto, medio y fin.",
    "q02": "Es transnacional por definición.",
    "q03": (
        "La retención de documentos y las deudas impuestas son indicadores; viajar solo no lo es."
    ),
}
LESSONS = {"q01": (1, "Lección 1"), "q02": (2, "Lección 2"), "q03": (3, "Lección 3")}


def mixed_answers(attempt: dict[str, Any], app: Any) -> list[dict[str, Any]]:
    """q01 right, q02 and q03 wrong: 33 %, a failure."""
    right = {a["question"]: a for a in correct_answers(attempt, app)}
    wrong = {a["question"]: a for a in wrong_answers(attempt, app)}
    return [right["q01"], wrong["q02"], wrong["q03"]]


def submit(call: Any, attempt: dict[str, Any], answers: list[dict[str, Any]]) -> dict[str, Any]:
    response = call(
        "POST", f"/api/v1/attempts/{attempt['id']}/submission", json={"answers": answers}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def assert_restricted(result: dict[str, Any]) -> None:
    assert result["review"] == "restricted"
    assert result["passed"] is False and result["score"] == 33
    text = json.dumps(result, ensure_ascii=False)
    for feedback in FEEDBACK:
        assert feedback not in text
    by_id = {question["id"]: question for question in result["questions"]}
    for key, question in by_id.items():
        # Choices only as asked: no correctness, no feedback, not even which were ticked.
        assert all(set(choice) == {"id", "text"} for choice in question["choices"])
        assert "selected" not in question and "credit" not in question
        assert question["feedback"] == ""
        if key == "q01":
            assert question["correct"] is True
            assert question["explanation"] == ""
            assert "lesson" not in question
        else:
            assert question["correct"] is False
            assert question["explanation"] == EXPLANATIONS[key]
            number, title = LESSONS[key]
            assert question["lesson"] == {
                "number": number,
                "title": title,
                "url": f"/modules/alfa/lessons/{number}",
            }
    assert result["objectives"] == [
        {
            "id": "elements",
            "text": "Nombrar los elementos de la definición de trata.",
            "correct": 1,
            "total": 1,
        },
        {
            "id": "smuggling",
            "text": "Distinguir el tráfico ilícito de migrantes de la trata.",
            "correct": 0,
            "total": 1,
        },
        {
            "id": "indicators",
            "text": "Reconocer indicadores de posible trata.",
            "correct": 0,
            "total": 1,
        },
    ]


def assert_full(result: dict[str, Any]) -> None:
    assert result["review"] == "full"
    for question in result["questions"]:
        assert all("correct" in choice and "feedback" in choice for choice in question["choices"])
        assert "selected" in question and "credit" in question
        assert question["explanation"] == EXPLANATIONS[question["id"]]


def test_a_failure_with_attempts_left_shows_what_to_study_never_the_key(
    learner_api: Any,  # noqa: F811
    app: Any,
) -> None:
    attempt = start(learner_api)
    assert_restricted(submit(learner_api, attempt, mixed_answers(attempt, app)))
    # The same on every later read, and a second submission returns the same.
    assert_restricted(learner_api("GET", f"/api/v1/attempts/{attempt['id']}").get_json())
    assert_restricted(submit(learner_api, attempt, correct_answers(attempt, app)))


def test_once_passed_the_full_review_opens_for_every_attempt(
    learner_api: Any,  # noqa: F811
    app: Any,
) -> None:
    first = start(learner_api)
    submit(learner_api, first, mixed_answers(first, app))
    reopen_lessons(learner_api)
    second = start(learner_api)
    passed = submit(learner_api, second, correct_answers(second, app))
    assert passed["passed"] is True
    assert_full(passed)
    earlier = learner_api("GET", f"/api/v1/attempts/{first['id']}").get_json()
    assert_full(earlier)
    q01 = next(q for q in earlier["questions"] if q["id"] == "q01")
    assert [c["id"] for c in q01["choices"] if c["correct"]] == ["a"]
    assert "Correcto, son tres." in json.dumps(earlier, ensure_ascii=False)


def test_the_last_attempt_opens_the_full_review_never_while_one_is_being_answered(
    learner_api: Any,  # noqa: F811
    app: Any,
) -> None:
    ids = []
    for number in (1, 2, 3):
        attempt = start(learner_api)
        ids.append(attempt["id"])
        if number == 3:
            # The third attempt is being answered: the earlier ones stay restricted.
            earlier = learner_api("GET", f"/api/v1/attempts/{ids[0]}").get_json()
            assert earlier["review"] == "restricted"
        result = submit(learner_api, attempt, mixed_answers(attempt, app))
        assert result["review"] == ("full" if number == 3 else "restricted")
        reopen_lessons(learner_api)
    for attempt_id in ids:
        assert_full(learner_api("GET", f"/api/v1/attempts/{attempt_id}").get_json())


def test_review_immediate_keeps_the_full_review_after_a_failure(
    learner_api: Any,  # noqa: F811
    app: Any,
    synced_content: dict[str, Module],
) -> None:
    version = synced_content["alfa"].current_version
    version.review = "immediate"
    db.session.commit()
    attempt = start(learner_api)
    result = submit(learner_api, attempt, mixed_answers(attempt, app))
    assert result["passed"] is False
    assert_full(result)


def test_an_attempt_graded_before_the_policy_follows_it_now(
    learner_api: Any,  # noqa: F811
    app: Any,
    synced_content: dict[str, Module],
) -> None:
    """Graded under ``immediate`` (as every attempt was before issue 11); the quiz now
    has the default policy: the same stored attempt is shown restricted."""
    version = synced_content["alfa"].current_version
    version.review = "immediate"
    db.session.commit()
    attempt = start(learner_api)
    assert submit(learner_api, attempt, mixed_answers(attempt, app))["review"] == "full"
    version.review = "after_pass_or_last_attempt"
    db.session.commit()
    again = learner_api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()
    assert_restricted(again)


# --- The page -----------------------------------------------------------------------------


def _fail_on_the_page(client: Any, *, mixed: bool = True) -> str:
    from tests.quizzes.test_views import answers_for

    module_page = client.get("/modules/alfa").get_data(as_text=True)
    attempt_url = client.post(
        "/modules/alfa/attempts", data={"csrf_token": token(module_page)}
    ).headers["Location"]
    quiz = client.get(attempt_url).get_data(as_text=True)
    fields = answers_for(quiz, right=False)
    if mixed:
        fields["q-q01"] = ["a"]
    client.post(attempt_url, data={"csrf_token": token(quiz), "action": "submit", **fields})
    return attempt_url


def test_the_result_page_after_a_failure_teaches_without_the_key(
    logged_in: Any, learner: Any, synced_content: Any
) -> None:
    client = logged_in(learner)
    page = client.get(_fail_on_the_page(client)).get_data(as_text=True)
    assert "No aprobado" in page and "33 %" in page
    assert "Resultado por objetivo" in page and "0 de 1" in page and "1 de 1" in page
    for key in ("q02", "q03"):
        number, title = LESSONS[key]
        assert EXPLANATIONS[key] in page
        assert f'<a href="/modules/alfa/lessons/{number}">{title}</a>' in page
    assert EXPLANATIONS["q01"] not in page  # answered right: nothing to study there
    for secret in [*FEEDBACK, "is-correct", "badge-done", "Su respuesta", "Correcta"]:
        assert secret not in page
    for choice_text in ("Tres", "Verdadero", "Falso", "Otra persona guarda su pasaporte"):
        assert choice_text not in page
    assert "La revisión completa se abrirá" in page


def test_the_result_page_after_passing_shows_the_full_review(
    logged_in: Any, learner: Any, synced_content: Any
) -> None:
    from tests.quizzes.test_views import answers_for

    client = logged_in(learner)
    first_url = _fail_on_the_page(client)
    for number in (1, 2, 3):
        client.get(f"/modules/alfa/lessons/{number}")
    module_page = client.get("/modules/alfa").get_data(as_text=True)
    attempt_url = client.post(
        "/modules/alfa/attempts", data={"csrf_token": token(module_page)}
    ).headers["Location"]
    quiz = client.get(attempt_url).get_data(as_text=True)
    client.post(
        attempt_url,
        data={"csrf_token": token(quiz), "action": "submit", **answers_for(quiz, right=True)},
    )
    for url in (attempt_url, first_url):
        page = client.get(url).get_data(as_text=True)
        assert "is-correct" in page and "badge-done" in page
        assert "Correcto, son tres." in page and "Tres" in page
        assert "La revisión completa se abrirá" not in page


def test_the_restricted_review_speaks_the_requested_language(
    learner_api: Any,  # noqa: F811
    app: Any,
) -> None:
    attempt = start(learner_api)
    submit(learner_api, attempt, mixed_answers(attempt, app))
    body = learner_api("GET", f"/api/v1/attempts/{attempt['id']}?lang=en").get_json()
    assert body["review"] == "restricted"
    assert body["objectives"][0]["text"] == "Name the elements of the trafficking definition."
    q02 = next(q for q in body["questions"] if q["id"] == "q02")
    assert q02["explanation"] == "It is transnational by definition."
    assert q02["lesson"]["title"] == "Lesson 2"
