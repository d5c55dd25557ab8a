"""Attempts as plain data for the API and the pages, in one language.

Before grading, nothing here says which choice is correct. After grading, what is shown
follows the quiz's review policy (``training.quizzes.review``): under the restricted
review, the score, the result per objective, and for each question missed its
explanation and the lesson to reopen; never a choice's correctness, the choices the
learner ticked (on a true/false question, a wrong tick gives the key away) nor any
choice's feedback.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select

from training.catalog.models import Lesson, in_language
from training.extensions import db
from training.quizzes import review, scenario_presenter
from training.quizzes.models import IN_PROGRESS, Attempt


def _lessons_by_objective(item: Attempt, language: str) -> dict[str, dict[str, Any]]:
    """For each objective of the attempt's version, the first lesson that teaches it
    (one query, without the lessons' HTML)."""
    rows = db.session.execute(
        select(Lesson.number, Lesson.title, Lesson.objectives)
        .where(Lesson.module_version_id == item.module_version_id)
        .order_by(Lesson.number)
    ).all()
    slug = item.module_version.module.slug
    found: dict[str, dict[str, Any]] = {}
    for number, title, objectives in rows:
        for objective in objectives or []:
            found.setdefault(
                objective,
                {
                    "number": number,
                    "title": in_language(title, language),
                    "url": url_for("progress.show_lesson", slug=slug, number=number),
                },
            )
    return found


def _objectives(item: Attempt, answers: dict[int, Any], language: str) -> list[dict[str, Any]]:
    """n right of m per objective asked in the attempt, in the module's order."""
    counts: dict[str, list[int]] = {}
    for row in item.items:
        if row.question.objective is None:
            continue  # questions loaded before objectives existed
        tally = counts.setdefault(row.question.objective, [0, 0])
        answer = answers.get(row.question_id)
        tally[0] += 1 if answer is not None and answer.correct else 0
        tally[1] += 1
    return [
        {
            "id": objective["id"],
            "text": in_language(objective, language),
            "correct": counts[objective["id"]][0],
            "total": counts[objective["id"]][1],
        }
        for objective in item.module_version.objectives
        if objective["id"] in counts
    ]


def attempt(item: Attempt, language: str) -> dict[str, Any]:
    graded = item.status != IN_PROGRESS
    mode = review.mode(item) if graded else None
    full = mode == review.FULL
    lessons = _lessons_by_objective(item, language) if graded else {}
    answers = {answer.question_id: answer for answer in item.answers}
    questions = []
    for row in item.items:
        question = row.question
        choices_by_id = {choice.id: choice for choice in question.choices}
        answer = answers.get(row.question_id)
        chosen = set(answer.choice_ids) if answer else set()
        data: dict[str, Any] = {
            "id": question.key,
            "type": question.type,
            "text": in_language(question.text, language),
            "choices": [],
        }
        if question.scenario is not None:
            walk = scenario_presenter.scenario(
                question,
                list(answer.path or []) if answer else [],
                language,
                graded=graded,
                full=graded and full,
            )
            data["scenario"] = walk
            data["choices"] = walk["step"]["choices"] if walk["step"] else []
            if mode != review.RESTRICTED:
                data["selected"] = [entry["choice"] for entry in walk["path"]]
        elif mode != review.RESTRICTED:
            data["selected"] = [choices_by_id[c].key for c in row.choice_order if c in chosen]
        for choice_id in row.choice_order:
            choice = choices_by_id[choice_id]
            entry: dict[str, Any] = {"id": choice.key, "text": in_language(choice.text, language)}
            if full:
                entry.update(
                    correct=choice.correct,
                    selected=choice_id in chosen,
                    feedback=in_language(choice.feedback, language),
                )
            data["choices"].append(entry)
        if graded:
            correct = bool(answer and answer.correct)
            data["correct"] = correct
            if not correct:
                data["lesson"] = lessons.get(question.objective or "")
            if full:
                data.update(
                    credit=answer.credit if answer and answer.credit is not None else 0.0,
                    feedback=" ".join(
                        [
                            in_language(choices_by_id[c].feedback, language)
                            for c in row.choice_order
                            if c in chosen
                        ]
                        + [
                            entry.get("feedback", "")
                            for entry in data.get("scenario", {}).get("path", [])
                        ]
                    ).strip(),
                    explanation=in_language(question.explanation, language),
                )
            else:
                data.update(
                    feedback="",
                    explanation="" if correct else in_language(question.explanation, language),
                )
        questions.append(data)
    result: dict[str, Any] = {
        "id": item.id,
        "module": item.module_version.module.slug,
        "number": item.number,
        "status": item.status,
        "started_at": item.started_at,
        "expires_at": item.expires_at,
        "submitted_at": item.submitted_at,
        "pass_mark": item.module_version.pass_mark,
        "score": item.score if graded else None,
        "passed": item.passed if graded else None,
        "questions": questions,
    }
    if graded:
        result["review"] = mode
        result["objectives"] = _objectives(item, answers, language)
    return result
