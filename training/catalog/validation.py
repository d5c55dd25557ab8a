"""The rules that span several fields or files: question ids and keys, objectives covered
by questions and lessons, prerequisites, the program. Each problem is located by file and
line; nothing here touches the database.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.catalog import scenarios
from training.catalog.reader import Reader, line_of
from training.catalog.schemas import ProgramFileSchema

if TYPE_CHECKING:
    from training.catalog.content import LessonSource, ModuleSource

Located = tuple[Path, Any, dict[str, Any]]  # (file, its raw YAML, its validated data)


def check_quiz(reader: Reader, path: Path, quiz: dict[str, Any], raw: Any) -> None:
    seen: dict[str, int] = {}
    questions_raw = raw.get("questions") if isinstance(raw, dict) else None
    for index, question in enumerate(quiz["questions"]):
        line = line_of(raw, ("questions", index))
        qid = question["id"]
        if qid in seen:
            reader.add(path, line, f"duplicate question id {qid} (first used on line {seen[qid]})")
        seen.setdefault(qid, line)
        if question["type"] == "scenario":
            for where, message in scenarios.check(question):
                reader.add(path, line_of(questions_raw, (index, *where)), message)
            continue
        choice_ids: set[str] = set()
        for choice_index, choice in enumerate(question["choices"]):
            if choice["id"] in choice_ids:
                reader.add(
                    path,
                    line_of(questions_raw, (index, "choices", choice_index)),
                    f"duplicate choice id {choice['id']} in question {qid}",
                )
            choice_ids.add(choice["id"])
        correct = sum(1 for choice in question["choices"] if choice["correct"])
        kind = question["type"]
        if correct == 0:
            reader.add(path, line, f"question {qid} has no correct choice")
        elif kind in {"single", "true_false"} and correct > 1:
            reader.add(path, line, f"question {qid} is {kind} but has {correct} correct choices")
        if kind == "true_false" and choice_ids != {"true", "false"}:
            reader.add(
                path,
                line,
                f"question {qid} is true_false: its choices must be exactly the ids true and false",
            )
    if quiz["questions_per_attempt"] > len(quiz["questions"]):
        reader.add(
            path,
            line_of(raw, ("questions_per_attempt",)),
            f"questions_per_attempt is {quiz['questions_per_attempt']} but the bank has "
            f"only {len(quiz['questions'])} questions",
        )


def check_objectives(
    reader: Reader, module: Located, quiz: Located, lessons: list[LessonSource]
) -> None:
    """Every objective is asked by a question and taught by a lesson; every question asks
    an objective of the module; a draw can cover every objective."""
    module_path, module_raw, data = module
    quiz_path, quiz_raw, quiz_data = quiz
    objectives = data["objectives"]
    first_line: dict[str, int] = {}
    for index, objective in enumerate(objectives):
        line = line_of(module_raw, ("objectives", index))
        if objective["id"] in first_line:
            reader.add(
                module_path,
                line,
                f"duplicate objective id {objective['id']} "
                f"(first used on line {first_line[objective['id']]})",
            )
        first_line.setdefault(objective["id"], line)
    asked: set[str] = set()
    for index, question in enumerate(quiz_data["questions"]):
        if question["objective"] in first_line:
            asked.add(question["objective"])
        else:
            reader.add(
                quiz_path,
                line_of(quiz_raw, ("questions", index, "objective")),
                f"question {question['id']} names objective {question['objective']!r}, "
                f"which is not in module.yaml ({', '.join(first_line)})",
            )
    taught = {objective for lesson in lessons for objective in lesson.objectives}
    for objective, line in first_line.items():
        if objective not in asked:
            reader.add(module_path, line, f"objective {objective} has no question in quiz.yaml")
        if objective not in taught:
            reader.add(module_path, line, f"objective {objective} is taught by no lesson")
    if quiz_data["questions_per_attempt"] < len(first_line):
        reader.add(
            quiz_path,
            line_of(quiz_raw, ("questions_per_attempt",)),
            f"questions_per_attempt is {quiz_data['questions_per_attempt']} but an attempt "
            f"must cover the module's {len(first_line)} objectives",
        )


def check_prerequisites(reader: Reader, modules: list[ModuleSource]) -> None:
    by_slug = {module.slug: module for module in modules}
    for module in modules:
        for prerequisite in module.data["prerequisites"]:
            if prerequisite not in reader.slugs:
                reader.add(
                    module.folder / "module.yaml",
                    1,
                    f"prerequisite {prerequisite!r} does not exist",
                )
    # Depth-first search for a cycle; report each cycle once.
    state: dict[str, str] = {}
    reported: set[frozenset[str]] = set()

    def visit(slug: str, trail: list[str]) -> None:
        state[slug] = "visiting"
        for prerequisite in by_slug[slug].data["prerequisites"]:
            if prerequisite not in by_slug:
                continue
            if state.get(prerequisite) == "visiting":
                cycle = [*trail[trail.index(prerequisite) :], prerequisite]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    reader.add(
                        by_slug[prerequisite].folder / "module.yaml",
                        1,
                        "prerequisites form a cycle: " + " -> ".join(cycle),
                    )
            elif prerequisite not in state:
                visit(prerequisite, [*trail, prerequisite])
        state[slug] = "done"

    for slug in sorted(by_slug):
        if slug not in state:
            visit(slug, [slug])


def read_program(
    reader: Reader, path: Path, modules: list[ModuleSource]
) -> tuple[dict[str, Any], str] | None:
    """program.yaml checked against the modules: (its data, its hash) or None."""
    text = reader.text(path)
    raw = reader.yaml(path, text) if text is not None else None
    data = reader.validate(path, ProgramFileSchema(), raw) if raw is not None else None
    if data is None:
        return None
    by_slug = {module.slug: module for module in modules}
    listed = data["modules"]
    for index, slug in enumerate(listed):
        line = line_of(raw, ("modules", index))
        if slug not in reader.slugs:
            reader.add(path, line, f"module {slug!r} does not exist")
        elif listed.index(slug) != index:
            reader.add(path, line, f"module {slug!r} is listed twice")
    total = sum(by_slug[slug].data["hours"] for slug in set(listed) if slug in by_slug)
    if all(slug in by_slug for slug in listed) and data["hours"] != total:
        reader.add(
            path,
            line_of(raw, ("hours",)),
            f"hours is {data['hours']} but the modules add up to {total}",
        )
    digest = hashlib.sha256(text.encode("utf-8") if text else b"").hexdigest()
    return data, digest
