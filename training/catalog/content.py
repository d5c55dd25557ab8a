"""Reading and checking the content folder.

:func:`load` reads ``content/manual_modules`` (or any folder of the same shape) and
returns either a :class:`ContentBundle` ready to sync, or the complete list of
:class:`Problem` s, each located by file and line, so that a content editor can fix all
of them in one pass. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.catalog import hours, item_checks, markdown, validation
from training.catalog.reader import MAX_FILE_BYTES, Problem, Reader, split_front_matter
from training.catalog.schemas import (
    LANGUAGE_NAMES,
    LANGUAGES,
    REQUIRED_LANGUAGES,
    FrontMatterSchema,
    ModuleFileSchema,
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
MIN_LESSONS, MAX_LESSONS = 3, 5
# How the item-writing and hours checks are reported: "error" stops the content from
# loading; "warn" reports them and loads (a ministry's draft content);
# "skip" leaves them out (the small engine fixture of the tests, whose three-question
# banks are drawn whole on purpose). The command line offers error and warn.
ITEM_CHECK_MODES = ("error", "warn", "skip")


@dataclass
class LessonSource:
    number: int
    key: str
    kind: str
    title: dict[str, str]
    body: dict[str, str]
    # Ids of the module objectives this lesson teaches (from the Spanish front matter).
    objectives: list[str] = field(default_factory=list)


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


def _hash_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        digest.update(relative.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# --- Modules ----------------------------------------------------------------------------


def _read_markdown(
    reader: Reader, path: Path, language: str, folder: Path, lesson_files: set[str]
) -> tuple[dict[str, Any], str, int] | None:
    """(front matter, body, line of its ``objectives`` key) or None after reporting."""
    text = reader.text(path)
    if text is None:
        return None
    front, body, body_line = split_front_matter(text)
    if front is None:
        reader.add(path, 1, "missing front matter (a --- block with the title)")
        return None
    raw = reader.yaml(path, front, 2)
    meta = reader.validate(path, FrontMatterSchema(), raw, line_offset=1)
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
    objectives_line = raw.lines.get("objectives", 1) + 1 if hasattr(raw, "lines") else 2
    return meta, body, objectives_line


def _read_module(
    reader: Reader, folder: Path, item_mode: str, found: list[item_checks.Stem]
) -> ModuleSource | None:
    before = reader.errors
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
    if module_text is not None and module_raw is None and reader.errors == before:
        reader.add(module_path, 1, "file is empty")
    quiz = reader.validate(quiz_path, QuizFileSchema(), quiz_raw) if quiz_raw else None
    if quiz is not None:
        validation.check_quiz(reader, quiz_path, quiz, quiz_raw)
    objective_ids = {objective["id"] for objective in data["objectives"]} if data else None
    lessons = _read_lessons(reader, folder, objective_ids)
    if data is not None and quiz is not None and lessons is not None:
        validation.check_objectives(
            reader, (module_path, module_raw, data), (quiz_path, quiz_raw, quiz), lessons
        )
    if quiz is not None and item_mode != "skip":
        warning = item_mode == "warn"
        item_checks.check_module(reader, quiz_path, quiz_raw, quiz, warning=warning)
        found.extend(item_checks.stems(quiz_path, quiz_raw, quiz))
    job_aid_title: dict[str, str] = {}
    job_aid_body: dict[str, str] = {}
    for language in REQUIRED_LANGUAGES:
        path = folder / f"job-aid.{language}.md"
        if not path.exists():
            reader.add(path, 1, f"the job aid has no {LANGUAGE_NAMES[language]} file")
            continue
        read = _read_job_aid(reader, path, language, folder)
        if read:
            job_aid_title[language], job_aid_body[language] = read
    for path in folder.glob("job-aid.*.md"):
        match = JOB_AID_FILE.match(path.name)
        language = match.group("language") if match else ""
        if language not in LANGUAGES:
            reader.add(path, 1, f"unknown language {language!r} in the file name")
        elif language not in REQUIRED_LANGUAGES:
            read = _read_job_aid(reader, path, language, folder)
            if read:
                job_aid_title[language], job_aid_body[language] = read

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

    if (
        item_mode != "skip"
        and data is not None
        and quiz is not None
        and lessons is not None
        and "es" in job_aid_body
    ):
        found_hours = hours.estimate(
            [lesson.body.get("es", "") for lesson in lessons],
            job_aid_body["es"],
            quiz["questions_per_attempt"],
        )
        hours.check(reader, module_path, module_raw, data, found_hours, warning=item_mode == "warn")
    if reader.errors > before or data is None or quiz is None or lessons is None:
        return None
    return ModuleSource(
        folder, data, quiz, lessons, job_aid_title, job_aid_body, images, _hash_folder(folder)
    )


def _read_job_aid(
    reader: Reader, path: Path, language: str, folder: Path
) -> tuple[str, str] | None:
    read = _read_markdown(reader, path, language, folder, set())
    if read is None:
        return None
    meta, body, objectives_line = read
    if meta["objectives"] is not None:
        reader.add(path, objectives_line, "a job aid does not list objectives (lessons do)")
        return None
    return meta["title"], body


def _read_lessons(
    reader: Reader, folder: Path, objective_ids: set[str] | None
) -> list[LessonSource] | None:
    """The module's lessons, or None after reporting. ``objective_ids``: the module's
    objectives, to check the ids each lesson lists (None when module.yaml is invalid)."""
    lessons_folder = folder / "lessons"
    if not lessons_folder.is_dir():
        reader.add(lessons_folder, 1, "the module has no lessons/ folder")
        return None
    before = reader.errors
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
        listed: dict[str, tuple[Path, int, list[str] | None]] = {}
        for language, path in sorted(paths.items()):
            read = _read_markdown(reader, path, language, folder, lesson_files)
            if read:
                titles[language], bodies[language] = read[0]["title"], read[1]
                kinds.add(read[0]["kind"])
                listed[language] = (path, read[2], read[0]["objectives"])
        taught = _lesson_objectives(reader, listed, objective_ids)
        if len(kinds) > 1:
            reader.add(
                next(iter(paths.values())),
                2,
                f"lesson {number:02d}-{name} has a different kind in each language",
            )
        lessons.append(
            LessonSource(
                number,
                f"{number:02d}-{name}",
                kinds.pop() if kinds else "lesson",
                titles,
                bodies,
                taught,
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
    return lessons if reader.errors == before else None


def _lesson_objectives(
    reader: Reader,
    listed: dict[str, tuple[Path, int, list[str] | None]],
    objective_ids: set[str] | None,
) -> list[str]:
    """The objective ids a lesson teaches: listed in its Spanish file, the same (or
    none) in the others, each one an objective of the module."""
    spanish = listed.get("es")
    if spanish is None:
        return []
    path, line, ids = spanish
    if not ids:
        reader.add(
            path,
            2,
            "the Spanish lesson lists the objectives it teaches in its front matter, "
            "e.g. objectives: [act-means-purpose]",
        )
        return []
    for language, (other_path, other_line, other_ids) in sorted(listed.items()):
        if language == "es" or other_ids is None:
            continue
        if set(other_ids) != set(ids):
            reader.add(
                other_path,
                other_line,
                f"objectives differ from the Spanish lesson ({', '.join(ids)}); "
                "list the same ids or leave the key out",
            )
    if objective_ids is not None:
        for objective in ids:
            if objective not in objective_ids:
                reader.add(path, line, f"objective {objective!r} is not an objective of the module")
    if len(set(ids)) != len(ids):
        reader.add(path, line, "an objective is listed twice")
    return list(dict.fromkeys(ids))


# --- The whole folder -------------------------------------------------------------------


def load(
    root: Path, *, item_checks_mode: str = "error"
) -> tuple[ContentBundle | None, list[Problem]]:
    """Read and check every file under ``root``: (bundle, problems). The bundle is None
    when any problem is an error; warnings (item-writing checks in ``"warn"`` mode) are
    listed beside a bundle."""
    if item_checks_mode not in ITEM_CHECK_MODES:
        raise ValueError(f"item_checks_mode must be one of {ITEM_CHECK_MODES}")
    reader = Reader()
    found: list[item_checks.Stem] = []
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
        module = _read_module(reader, folder, item_checks_mode, found)
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
    if item_checks_mode != "skip":
        item_checks.check_stems(reader, found, warning=item_checks_mode == "warn")
    validation.check_prerequisites(reader, modules)
    program = _read_program(reader, root, modules)
    problems = sorted(set(reader.problems))
    if reader.errors or program is None:
        return None, problems
    return ContentBundle(sorted(modules, key=lambda m: m.data["order"]), program), problems


def _read_program(reader: Reader, root: Path, modules: list[ModuleSource]) -> ProgramSource | None:
    read = validation.read_program(reader, root / "program.yaml", modules)
    return ProgramSource(*read) if read else None


__all__ = ["ContentBundle", "LessonSource", "ModuleSource", "Problem", "ProgramSource", "load"]
