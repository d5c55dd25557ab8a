"""Reading and checking the content folder.

:func:`load` reads ``content/manual_modules`` (or any folder of the same shape) and
returns either a :class:`ContentBundle` ready to sync, or the complete list of
:class:`Problem` s, each located by file and line, so that a content editor can fix all
of them in one pass. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError

from training.catalog import markdown
from training.catalog.schemas import (
    LANGUAGE_NAMES,
    LANGUAGES,
    REQUIRED_LANGUAGES,
    FrontMatterSchema,
    ModuleFileSchema,
    ProgramFileSchema,
    QuizFileSchema,
)

MODULE_FOLDER = re.compile(r"^\d{2}-[a-z0-9-]+$")
LESSON_FILE = re.compile(r"^(?P<number>\d{2})-(?P<name>[a-z0-9-]+)\.(?P<language>[a-z]+)\.md$")
JOB_AID_FILE = re.compile(r"^job-aid\.(?P<language>[a-z]+)\.md$")
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
MAX_FILE_BYTES = 2 * 1024 * 1024
MIN_LESSONS, MAX_LESSONS = 3, 5


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class LessonSource:
    number: int
    key: str
    kind: str
    title: dict[str, str]
    body: dict[str, str]


@dataclass
class ModuleSource:
    folder: Path
    data: dict[str, Any]
    quiz: dict[str, Any]
    lessons: list[LessonSource]
    job_aid_title: dict[str, str]
    job_aid_body: dict[str, str]
    images: dict[str, bytes]
    content_hash: str

    @property
    def slug(self) -> str:
        return str(self.data["slug"])


@dataclass
class ProgramSource:
    data: dict[str, Any]
    content_hash: str


@dataclass
class ContentBundle:
    modules: list[ModuleSource]
    program: ProgramSource


# --- YAML with line numbers -------------------------------------------------------------


class LineDict(dict[Any, Any]):
    """A mapping that remembers the line of each key (1-based)."""

    line: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int] = {}


class LineList(list[Any]):
    line: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, line: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key
        self.line = line


# libyaml's parser when PyYAML was built with it (the wheels are): ten times faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    sequence = LineList()
    sequence.line = node.start_mark.line + 1
    for item in node.value:
        sequence.append(loader.construct_object(item, deep=True))
        sequence.lines.append(item.start_mark.line + 1)
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _line_of(data: Any, path: Iterable[Any]) -> int:
    """The line of the deepest element of ``path`` that exists in ``data``."""
    line = getattr(data, "line", 1)
    for key in path:
        if isinstance(data, LineDict) and key in data:
            line = data.lines.get(key, line)
            data = data[key]
        elif isinstance(data, LineList) and isinstance(key, int) and 0 <= key < len(data):
            line = data.lines[key]
            data = data[key]
        else:
            break
    return line


def _error_paths(messages: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Flatten marshmallow's nested messages into (path, message) pairs."""
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            path = prefix if key == "_schema" else (*prefix, key)
            found.extend(_error_paths(value, path))
        return found
    if isinstance(messages, list):
        if all(isinstance(message, str) for message in messages):
            return [(prefix, message) for message in messages]
        return [pair for message in messages for pair in _error_paths(message, prefix)]
    return [(prefix, str(messages))]


def _describe(path: tuple[Any, ...], message: str) -> str:
    if message == "Unknown field." and path:
        return f"unknown field {path[-1]!r}"
    if message == "Missing data for required field." and path:
        return f"missing required field {path[-1]!r}"
    names = ".".join(str(part) if not isinstance(part, int) else f"[{part}]" for part in path)
    names = names.replace(".[", "[")
    return f"{names}: {message}" if names else message


# --- Reading files ----------------------------------------------------------------------


class _Reader:
    """Collects problems while reading; paths are shown relative to the working folder."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # Slugs of every module whose module.yaml names one, valid or not, so that a
        # broken module is not reported a second time as missing from the program.
        self.slugs: set[str] = set()

    def show(self, path: Path) -> str:
        try:
            relative = os.path.relpath(path)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(path)
        return str(path) if relative.startswith("..") else relative

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.show(path), line, message))

    def text(self, path: Path) -> str | None:
        if not path.is_file():
            self.add(path, 1, "file is missing")
            return None
        raw = path.read_bytes()
        if len(raw) > MAX_FILE_BYTES:
            self.add(path, 1, f"file is larger than {MAX_FILE_BYTES // 1024} KB")
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            self.add(path, line, f"file is not valid UTF-8 (byte 0x{raw[error.start]:02x})")
            return None

    def yaml(self, path: Path, text: str, first_line: int = 1) -> Any:
        try:
            return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
        except _DuplicateKey as error:
            self.add(path, error.line + first_line - 1, str(error))
        except yaml.YAMLError as error:
            # Where the broken construct starts is more useful than where YAML gave up
            # (an unclosed quote is only noticed at the end of the file).
            mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
            line = (mark.line + 1 if mark else 1) + first_line - 1
            parts = [getattr(error, "context", None), getattr(error, "problem", None)]
            description = ", ".join(part for part in parts if part) or str(error)
            self.add(path, line, f"YAML syntax error: {description}")
        return None

    def validate(self, path: Path, schema: Schema, data: Any, line_offset: int = 0) -> Any:
        if not isinstance(data, dict):
            self.add(path, line_offset + 1, "must be a YAML mapping of fields")
            return None
        try:
            return schema.load(data)
        except ValidationError as error:
            for error_path, message in _error_paths(error.messages):
                self.add(
                    path, _line_of(data, error_path) + line_offset, _describe(error_path, message)
                )
            return None


def _hash_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        digest.update(relative.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter, body, line where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    return None, text, 1


# --- Modules ----------------------------------------------------------------------------


def _read_markdown(
    reader: _Reader, path: Path, language: str, folder: Path, lesson_files: set[str]
) -> tuple[dict[str, Any], str] | None:
    text = reader.text(path)
    if text is None:
        return None
    front, body, body_line = _split_front_matter(text)
    if front is None:
        reader.add(path, 1, "missing front matter (a --- block with the title)")
        return None
    meta = reader.validate(path, FrontMatterSchema(), reader.yaml(path, front, 2), line_offset=1)
    problems = markdown.check(
        body,
        language=language,
        lesson_exists=lambda name: name in lesson_files,
        image_exists=lambda source: (folder / source).is_file(),
    )
    for problem in problems:
        reader.add(path, problem.line + body_line - 1, problem.message)
    if meta is None or problems:
        return None
    return meta, body


def _read_module(reader: _Reader, folder: Path) -> ModuleSource | None:
    before = len(reader.problems)
    module_path, quiz_path = folder / "module.yaml", folder / "quiz.yaml"
    module_text, quiz_text = reader.text(module_path), reader.text(quiz_path)
    module_raw = reader.yaml(module_path, module_text) if module_text is not None else None
    quiz_raw = reader.yaml(quiz_path, quiz_text) if quiz_text is not None else None
    if isinstance(module_raw, dict) and isinstance(module_raw.get("slug"), str):
        reader.slugs.add(module_raw["slug"])
    else:
        # Unreadable module.yaml: assume the folder's name, to avoid a cascade of
        # "does not exist" reports about a module whose real problem is above.
        reader.slugs.add(folder.name[3:])
    data = reader.validate(module_path, ModuleFileSchema(), module_raw) if module_raw else None
    if module_text is not None and module_raw is None and len(reader.problems) == before:
        reader.add(module_path, 1, "file is empty")
    quiz = reader.validate(quiz_path, QuizFileSchema(), quiz_raw) if quiz_raw else None
    if quiz is not None:
        _check_quiz(reader, quiz_path, quiz, quiz_raw)

    lessons = _read_lessons(reader, folder)
    job_aid_title: dict[str, str] = {}
    job_aid_body: dict[str, str] = {}
    for language in REQUIRED_LANGUAGES:
        path = folder / f"job-aid.{language}.md"
        if not path.exists():
            reader.add(path, 1, f"the job aid has no {LANGUAGE_NAMES[language]} file")
            continue
        read = _read_markdown(reader, path, language, folder, set())
        if read:
            job_aid_title[language], job_aid_body[language] = read[0]["title"], read[1]
    for path in folder.glob("job-aid.*.md"):
        match = JOB_AID_FILE.match(path.name)
        language = match.group("language") if match else ""
        if language not in LANGUAGES:
            reader.add(path, 1, f"unknown language {language!r} in the file name")
        elif language not in REQUIRED_LANGUAGES:
            read = _read_markdown(reader, path, language, folder, set())
            if read:
                job_aid_title[language], job_aid_body[language] = read[0]["title"], read[1]

    images = {}
    images_folder = folder / "images"
    if images_folder.is_dir():
        for path in sorted(images_folder.iterdir()):
            if path.suffix.lower() not in IMAGE_TYPES:
                reader.add(path, 1, "images must be PNG, JPEG, GIF, SVG or WebP files")
            elif path.stat().st_size > MAX_FILE_BYTES:
                reader.add(path, 1, f"image is larger than {MAX_FILE_BYTES // 1024} KB")
            else:
                images[f"images/{path.name}"] = path.read_bytes()

    if len(reader.problems) > before or data is None or quiz is None or lessons is None:
        return None
    return ModuleSource(
        folder, data, quiz, lessons, job_aid_title, job_aid_body, images, _hash_folder(folder)
    )


def _read_lessons(reader: _Reader, folder: Path) -> list[LessonSource] | None:
    lessons_folder = folder / "lessons"
    if not lessons_folder.is_dir():
        reader.add(lessons_folder, 1, "the module has no lessons/ folder")
        return None
    before = len(reader.problems)
    found: dict[tuple[int, str], dict[str, Path]] = {}
    for path in sorted(lessons_folder.iterdir()):
        match = LESSON_FILE.match(path.name)
        if not match:
            reader.add(
                path, 1, "lesson files are named NN-short-name.LANG.md, e.g. 01-definiciones.es.md"
            )
            continue
        if match.group("language") not in LANGUAGES:
            reader.add(path, 1, f"unknown language {match.group('language')!r} in the file name")
            continue
        key = (int(match.group("number")), match.group("name"))
        found.setdefault(key, {})[match.group("language")] = path
    numbers = sorted({number for number, _name in found})
    for number in numbers:
        names = sorted(name for n, name in found if n == number)
        if len(names) > 1:
            reader.add(
                lessons_folder,
                1,
                f"lesson {number:02d} has different short names in "
                f"different languages: {', '.join(names)}",
            )
    if numbers != list(range(1, len(numbers) + 1)):
        reader.add(lessons_folder, 1, "lessons must be numbered 01, 02, 03… without gaps")
    if not MIN_LESSONS <= len(numbers) <= MAX_LESSONS:
        reader.add(
            lessons_folder,
            1,
            f"a module has {MIN_LESSONS} to {MAX_LESSONS} lessons, this one has {len(numbers)}",
        )
    lesson_files = {path.name for paths in found.values() for path in paths.values()}
    lessons = []
    for (number, name), paths in sorted(found.items()):
        for language in REQUIRED_LANGUAGES:
            if language not in paths:
                any_path = next(iter(paths.values()))
                reader.add(
                    any_path,
                    1,
                    f"lesson {number:02d}-{name} has no "
                    f"{LANGUAGE_NAMES[language]} file ({number:02d}-{name}.{language}.md)",
                )
        titles, bodies, kinds = {}, {}, set()
        for language, path in sorted(paths.items()):
            read = _read_markdown(reader, path, language, folder, lesson_files)
            if read:
                titles[language], bodies[language] = read[0]["title"], read[1]
                kinds.add(read[0]["kind"])
        if len(kinds) > 1:
            reader.add(
                next(iter(paths.values())),
                2,
                f"lesson {number:02d}-{name} has a different kind in each language",
            )
        lessons.append(
            LessonSource(
                number, f"{number:02d}-{name}", kinds.pop() if kinds else "lesson", titles, bodies
            )
        )
    case_studies = [lesson for lesson in lessons if lesson.kind == "case_study"]
    if lessons and len(case_studies) != 1:
        reader.add(
            lessons_folder,
            1,
            "a module has exactly one lesson with kind: case_study, "
            f"this one has {len(case_studies)}",
        )
    return lessons if len(reader.problems) == before else None


def _check_quiz(reader: _Reader, path: Path, quiz: dict[str, Any], raw: Any) -> None:
    seen: dict[str, int] = {}
    questions_raw = raw.get("questions") if isinstance(raw, dict) else None
    for index, question in enumerate(quiz["questions"]):
        line = _line_of(raw, ("questions", index))
        qid = question["id"]
        if qid in seen:
            reader.add(path, line, f"duplicate question id {qid} (first used on line {seen[qid]})")
        seen.setdefault(qid, line)
        choice_ids: set[str] = set()
        for choice_index, choice in enumerate(question["choices"]):
            if choice["id"] in choice_ids:
                reader.add(
                    path,
                    _line_of(questions_raw, (index, "choices", choice_index)),
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
            _line_of(raw, ("questions_per_attempt",)),
            f"questions_per_attempt is {quiz['questions_per_attempt']} but the bank has "
            f"only {len(quiz['questions'])} questions",
        )


# --- The whole folder -------------------------------------------------------------------


def _check_prerequisites(reader: _Reader, modules: list[ModuleSource]) -> None:
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


def _read_program(reader: _Reader, root: Path, modules: list[ModuleSource]) -> ProgramSource | None:
    path = root / "program.yaml"
    text = reader.text(path)
    raw = reader.yaml(path, text) if text is not None else None
    data = reader.validate(path, ProgramFileSchema(), raw) if raw is not None else None
    if data is None:
        return None
    by_slug = {module.slug: module for module in modules}
    listed = data["modules"]
    for index, slug in enumerate(listed):
        line = _line_of(raw, ("modules", index))
        if slug not in reader.slugs:
            reader.add(path, line, f"module {slug!r} does not exist")
        elif listed.index(slug) != index:
            reader.add(path, line, f"module {slug!r} is listed twice")
    total = sum(by_slug[slug].data["hours"] for slug in set(listed) if slug in by_slug)
    if all(slug in by_slug for slug in listed) and data["hours"] != total:
        reader.add(
            path,
            _line_of(raw, ("hours",)),
            f"hours is {data['hours']} but the modules add up to {total}",
        )
    digest = hashlib.sha256(text.encode("utf-8") if text else b"").hexdigest()
    return ProgramSource(data, digest)


def load(root: Path) -> tuple[ContentBundle | None, list[Problem]]:
    """Read and check every file under ``root``; a bundle only when there is no problem."""
    reader = _Reader()
    if not root.is_dir():
        reader.add(root, 1, "content folder does not exist")
        return None, reader.problems
    modules: list[ModuleSource] = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        if folder.name.startswith("."):
            continue
        if not MODULE_FOLDER.match(folder.name):
            reader.add(folder, 1, "module folders are named NN-short-name, e.g. 01-conceptos")
            continue
        module = _read_module(reader, folder)
        if module is not None:
            modules.append(module)
    slugs: dict[str, Path] = {}
    for module in modules:
        if module.slug in slugs:
            reader.add(
                module.folder / "module.yaml",
                1,
                f"slug {module.slug!r} is already used by {slugs[module.slug].name}",
            )
        slugs.setdefault(module.slug, module.folder)
    if not modules and not reader.problems:
        reader.add(root, 1, "no module folders found")
    _check_prerequisites(reader, modules)
    program = _read_program(reader, root, modules)
    problems = sorted(set(reader.problems))
    if problems or program is None:
        return None, problems
    return ContentBundle(sorted(modules, key=lambda m: m.data["order"]), program), []


__all__ = ["ContentBundle", "LessonSource", "ModuleSource", "Problem", "ProgramSource", "load"]
