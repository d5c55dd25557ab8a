"""Attempts as plain data for the API and the pages, in one language.

Before grading, nothing here says which choice is correct.
"""

from __future__ import annotations

from typing import Any

from training.catalog.models import in_language
from training.quizzes.models import IN_PROGRESS, Attempt


def attempt(item: Attempt, language: str) -> dict[str, Any]:
    graded = item.status != IN_PROGRESS
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
            "selected": [choices_by_id[c].key for c in row.choice_order if c in chosen],
            "choices": [],
        }
        for choice_id in row.choice_order:
            choice = choices_by_id[choice_id]
            entry: dict[str, Any] = {"id": choice.key, "text": in_language(choice.text, language)}
            if graded:
                entry.update(
                    correct=choice.correct,
                    selected=choice_id in chosen,
                    feedback=in_language(choice.feedback, language),
                )
            data["choices"].append(entry)
        if graded:
            data.update(
                correct=bool(answer and answer.correct),
                credit=answer.credit if answer and answer.credit is not None else 0.0,
                feedback=" ".join(
                    in_language(choices_by_id[c].feedback, language)
                    for c in row.choice_order
                    if c in chosen
                ),
                explanation=in_language(question.explanation, language),
            )
        questions.append(data)
    return {
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
