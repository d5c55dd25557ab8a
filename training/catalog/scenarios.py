"""The rules of a scenario item's graph (issue 11, item 6), checked after the schema.

``check`` returns (path inside the question, message) pairs; the content loader turns
each path into a file and line. Rules: step ids unique (and not ``end``), option ids
unique within a step, ``start`` and every ``next`` name a step of the item, every step is
reached from ``start``, no cycle, every path from ``start`` ends within four decisions,
each step has an option with credit 1 that is not unsafe, and an unsafe option has
credit 0 and ends the item.
"""

from __future__ import annotations

from typing import Any

MAX_DECISIONS = 4

Located = tuple[tuple[Any, ...], str]


def check(question: dict[str, Any]) -> list[Located]:
    qid = question["id"]
    problems: list[Located] = []
    index_of: dict[str, int] = {}
    for index, step in enumerate(question["steps"]):
        if step["id"] == "end":
            problems.append(
                (("steps", index, "id"), f"scenario {qid}: the step id end is reserved")
            )
        elif step["id"] in index_of:
            problems.append(
                (("steps", index, "id"), f"scenario {qid}: duplicate step id {step['id']}")
            )
        index_of.setdefault(step["id"], index)
        problems.extend(_check_step(qid, index, step, index_of, question["steps"]))
    if question["start"] not in index_of:
        problems.append((("start",), f"scenario {qid}: start {question['start']!r} is not a step"))
    if problems:
        return problems
    return _check_paths(question, index_of)


def _check_step(
    qid: str, index: int, step: dict[str, Any], index_of: dict[str, int], steps: list[Any]
) -> list[Located]:
    problems: list[Located] = []
    names = {other["id"] for other in steps}
    seen: set[str] = set()
    for position, option in enumerate(step["choices"]):
        where = ("steps", index, "choices", position)
        if option["id"] in seen:
            problems.append(
                (where, f"scenario {qid}: duplicate choice id {option['id']} in step {step['id']}")
            )
        seen.add(option["id"])
        if option["unsafe"] and option["credit"] != 0:
            problems.append(
                ((*where, "credit"), f"scenario {qid}: an unsafe choice must have credit 0")
            )
        if option["unsafe"] and option["next"] is not None:
            problems.append(
                ((*where, "next"), f"scenario {qid}: an unsafe choice ends the item (no next)")
            )
        elif option["next"] is not None and option["next"] not in names:
            problems.append(
                (
                    (*where, "next"),
                    f"scenario {qid}: next {option['next']!r} is not a step of the item",
                )
            )
    if not any(option["credit"] == 1 and not option["unsafe"] for option in step["choices"]):
        problems.append(
            (
                ("steps", index),
                f"scenario {qid}: step {step['id']} has no safe choice with credit 1",
            )
        )
    return problems


def _check_paths(question: dict[str, Any], index_of: dict[str, int]) -> list[Located]:
    """Cycles, paths too long and unreachable steps, by a depth-first walk from start."""
    qid = question["id"]
    steps = {step["id"]: step for step in question["steps"]}
    problems: list[Located] = []
    reached: set[str] = set()
    reported: set[str] = set()

    def visit(step_id: str, trail: list[str]) -> None:
        reached.add(step_id)
        step = steps[step_id]
        for position, option in enumerate(step["choices"]):
            following = option["next"]
            if following is None:
                continue
            where = ("steps", index_of[step_id], "choices", position, "next")
            if following in trail:
                cycle = " -> ".join([*trail[trail.index(following) :], following])
                problems.append((where, f"scenario {qid}: the steps form a cycle: {cycle}"))
            elif len(trail) >= MAX_DECISIONS:
                reached.add(following)  # reached, though by a path that is too long
                path = " -> ".join([*trail, following])
                if path not in reported:
                    reported.add(path)
                    problems.append(
                        (
                            where,
                            f"scenario {qid}: the path {path} is longer than "
                            f"{MAX_DECISIONS} decisions",
                        )
                    )
            else:
                visit(following, [*trail, following])

    visit(question["start"], [question["start"]])
    for step in question["steps"]:
        if step["id"] not in reached:
            problems.append(
                (
                    ("steps", index_of[step["id"]]),
                    f"scenario {qid}: step {step['id']} is never reached from start",
                )
            )
    return problems
