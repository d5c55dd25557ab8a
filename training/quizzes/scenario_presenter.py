"""A scenario item as plain data, in one language (see ``training.quizzes.scenarios``).

While the attempt is in progress: the decisions taken (step and chosen option, nothing
about their worth) and the step the learner faces now with its options. Once graded,
the path walked back step by step: under the full review with each decision's feedback,
credit and whether it was unsafe; under a restricted review only the steps and the
choices made, so that the safe option is not given away.
"""

from __future__ import annotations

from typing import Any

from training.catalog.models import Question, in_language
from training.quizzes import scenarios


def scenario(
    question: Question, path: list[str], language: str, *, graded: bool, full: bool
) -> dict[str, Any]:
    definition = question.scenario or {}
    state = scenarios.walk(definition, path)
    walked = []
    for step, option in state.taken:
        entry: dict[str, Any] = {
            "step": step["id"],
            "text": in_language(step["text"], language),
            "choice": option["id"],
            "choice_text": in_language(option["text"], language),
        }
        if graded and full:
            entry.update(
                feedback=in_language(option["feedback"], language),
                credit=float(option["credit"]),
                unsafe=bool(option.get("unsafe")),
            )
        walked.append(entry)
    current = None
    if state.current is not None and not graded:
        current = {
            "id": state.current["id"],
            "text": in_language(state.current["text"], language),
            "choices": [
                {"id": option["id"], "text": in_language(option["text"], language)}
                for option in state.current["choices"]
            ],
        }
    return {"finished": state.finished, "path": walked, "step": current}
