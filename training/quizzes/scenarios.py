"""Scenario items: a short branching case walked one decision at a time.

A scenario is stored on its question (``Question.scenario``) as
``{"start": step id, "steps": [{"id", "text", "choices": [{"id", "text", "feedback",
"credit", "next", "unsafe"}]}]}``; ``next`` is ``None`` where the case ends. The content
validator guarantees that every ``next`` names a step, that there is no cycle and that
every path ends within four steps.

The learner's path is the ordered list of the option ids they chose
(``AttemptAnswer.path``): the steps are found again by walking from ``start``, so that
the path cannot name a step the learner was never shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Step = Mapping[str, Any]
Option = Mapping[str, Any]


@dataclass(frozen=True)
class Walk:
    """The steps a path went through, with the option chosen at each, and the step the
    learner faces now (``None`` once the case has ended)."""

    taken: list[tuple[Step, Option]]
    current: Step | None

    @property
    def finished(self) -> bool:
        return self.current is None

    @property
    def unsafe(self) -> bool:
        return any(option.get("unsafe") for _step, option in self.taken)


class NotAnOption(ValueError):
    """The option is not one of the current step's."""


class CaseEnded(ValueError):
    """The case has already ended: there is no decision left to make."""


def _steps(definition: Mapping[str, Any]) -> dict[str, Step]:
    return {step["id"]: step for step in definition["steps"]}


def walk(definition: Mapping[str, Any], path: Sequence[str]) -> Walk:
    """Follow ``path`` from the start. A path that does not fit (it cannot come from
    :func:`decide`) stops at its first choice that is not an option of its step."""
    steps = _steps(definition)
    current: Step | None = steps[definition["start"]]
    taken: list[tuple[Step, Option]] = []
    for choice in path:
        if current is None:
            break
        option = next((o for o in current["choices"] if o["id"] == choice), None)
        if option is None:
            break
        taken.append((current, option))
        following = option.get("next")
        current = None if option.get("unsafe") or not following else steps[following]
    return Walk(taken, current)


def decide(definition: Mapping[str, Any], path: Sequence[str], choice: str) -> list[str]:
    """The path after choosing ``choice`` at the current step.

    Raises CaseEnded when the case is over and NotAnOption when ``choice`` is not an
    option of the current step.
    """
    state = walk(definition, path)
    if state.current is None:
        raise CaseEnded(choice)
    if not any(option["id"] == choice for option in state.current["choices"]):
        raise NotAnOption(choice)
    return [option["id"] for _step, option in state.taken] + [choice]


def credit(definition: Mapping[str, Any], path: Sequence[str]) -> float:
    """Mean credit over the steps walked, 0 if any chosen option is unsafe.

    A case left unfinished counts the step the learner stopped at as walked with no
    credit: leaving after one good decision does not earn the whole item.
    """
    state = walk(definition, path)
    if state.unsafe:
        return 0.0
    credits = [float(option.get("credit", 0)) for _step, option in state.taken]
    if state.current is not None:
        credits.append(0.0)
    return sum(credits) / len(credits)
