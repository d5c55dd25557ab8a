"""The learner's path through the pages, without JavaScript: read, fail, retry, pass."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import CSRF_PATTERN
from training.catalog.models import Question
from training.extensions import db


def token(page: str) -> str:
    match = CSRF_PATTERN.search(page)
    assert match
    return match.group(1)


def answers_for(page: str, right: bool) -> dict[str, Any]:
    """Form fields answering every question on the attempt page."""
    fields: dict[str, Any] = {}
    for key in sorted(set(re.findall(r'name="q-([A-Za-z0-9_-]+)"', page))):
        question = db.session.scalars(
            db.select(Question).where(Question.key == key).order_by(Question.id.desc())
        ).first()
        chosen = [c.key for c in question.choices if c.correct == right]
        fields[f"q-{key}"] = chosen if right else chosen[:1]
    return fields


def test_a_learner_reads_fails_retries_and_passes(
    logged_in: Any, learner: Any, synced_content: Any
) -> None:
    client = logged_in(learner)
    catalogue = client.get("/modules").get_data(as_text=True)
    assert "Módulo alfa" in catalogue and "Complete primero: Módulo alfa" in catalogue

    module_page = client.get("/modules/alfa").get_data(as_text=True)
    assert "Sin empezar" in module_page
    for number in (1, 2, 3):
        page = client.get(f"/modules/alfa/lessons/{number}").get_data(as_text=True)
        response = client.post(
            f"/modules/alfa/lessons/{number}/read", data={"csrf_token": token(page), "next": "1"}
        )
        assert response.status_code == 302
    assert response.headers["Location"].endswith("/modules/alfa")

    module_page = client.get("/modules/alfa").get_data(as_text=True)
    started = client.post("/modules/alfa/attempts", data={"csrf_token": token(module_page)})
    assert started.status_code == 302
    attempt_url = started.headers["Location"]
    quiz = client.get(attempt_url).get_data(as_text=True)
    assert "Entregar" in quiz
    # No feedback, explanation or correctness marker before submission.
    for secret in ("Correcto, son tres.", "Acto, medio y fin.", "is-correct", "Explicación"):
        assert secret not in quiz
    client.post(
        attempt_url,
        data={"csrf_token": token(quiz), "action": "submit", **answers_for(quiz, right=False)},
    )
    result = client.get(attempt_url).get_data(as_text=True)
    assert "No aprobado" in result and "Explicación:" in result

    for number in (1, 2, 3):  # a retake waits until the missed objectives' lessons reopen
        client.get(f"/modules/alfa/lessons/{number}")
    module_page = client.get("/modules/alfa").get_data(as_text=True)
    retry = client.post("/modules/alfa/attempts", data={"csrf_token": token(module_page)})
    quiz = client.get(retry.headers["Location"]).get_data(as_text=True)
    client.post(
        retry.headers["Location"],
        data={"csrf_token": token(quiz), "action": "submit", **answers_for(quiz, right=True)},
    )
    result = client.get(retry.headers["Location"]).get_data(as_text=True)
    assert "Aprobado: 100 %" in result

    dashboard = client.get("/").get_data(as_text=True)
    assert "1 de 2 módulos completados" in dashboard
    assert "Completado" in dashboard


def test_saving_keeps_answers_without_grading(
    logged_in: Any, learner: Any, synced_content: Any
) -> None:
    client = logged_in(learner)
    module_page = client.get("/modules/alfa").get_data(as_text=True)
    attempt_url = client.post(
        "/modules/alfa/attempts", data={"csrf_token": token(module_page)}
    ).headers["Location"]
    quiz = client.get(attempt_url).get_data(as_text=True)
    fields = answers_for(quiz, right=True)
    client.post(attempt_url, data={"csrf_token": token(quiz), "action": "save", **fields})
    again = client.get(attempt_url).get_data(as_text=True)
    assert again.count("checked") == sum(len(v) for v in fields.values())
    assert "Entregar" in again


def test_an_empty_submission_is_refused_on_the_page(
    logged_in: Any, learner: Any, synced_content: Any
) -> None:
    client = logged_in(learner)
    module_page = client.get("/modules/alfa").get_data(as_text=True)
    attempt_url = client.post(
        "/modules/alfa/attempts", data={"csrf_token": token(module_page)}
    ).headers["Location"]
    quiz = client.get(attempt_url).get_data(as_text=True)
    response = client.post(attempt_url, data={"csrf_token": token(quiz), "action": "submit"})
    assert response.status_code == 422
    assert "La entrega no tiene respuestas." in response.get_data(as_text=True)


def test_another_learners_attempt_page_is_404(
    app: Any, logged_in: Any, learner: Any, other_learner: Any, synced_content: Any
) -> None:
    client = logged_in(learner)
    module_page = client.get("/modules/alfa").get_data(as_text=True)
    attempt_url = client.post(
        "/modules/alfa/attempts", data={"csrf_token": token(module_page)}
    ).headers["Location"]
    other = app.test_client()
    from tests.conftest import login

    login(other, other_learner)
    assert other.get(attempt_url).status_code == 404


def test_the_job_aid_is_printable(logged_in: Any, learner: Any, synced_content: Any) -> None:
    page = logged_in(learner).get("/modules/alfa/job-aid").get_data(as_text=True)
    assert "Lista de verificación" in page and "Paso uno" in page
