"""Reading content files with their line numbers, and reporting located problems.

YAML is parsed into :class:`LineDict` / :class:`LineList`, which remember the line of each
key and item, so that every :class:`Problem` names the file and line an editor must fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError

MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    # A warning is reported but does not stop the content from loading (the item-writing
    # and hours checks under --item-checks=warn, for draft content).
    warning: bool = False

    def __str__(self) -> str:
        label = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {label}{self.message}"


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


def line_of(data: Any, path: Iterable[Any]) -> int:
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


class Reader:
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

    def add(self, path: Path, line: int, message: str, *, warning: bool = False) -> None:
        self.problems.append(Problem(self.show(path), line, message, warning))

    @property
    def errors(self) -> int:
        """How many problems stop the content from loading (warnings do not)."""
        return sum(1 for problem in self.problems if not problem.warning)

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
                    path, line_of(data, error_path) + line_offset, _describe(error_path, message)
                )
            return None


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter, body, line where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    return None, text, 1
