"""Item-writing checks: a quiz must not be passable without reading the lessons.

Per module (quiz.yaml), on the choice questions, for every required language:

* the correct option is the longest in at most 40 % of single-choice items;
* the mean length of correct options is within ±25 % of the mean distractor length
  (single and multiple response);
* true/false keys are "true" in 30 % to 70 % of true/false items;
* multiple-response items do not all have the same number of correct options;
* no option is "all of the above" / "none of the above" (in any language);
* the bank holds at least 3 × the draw, so that retakes can be fresh.

Across the curriculum: no two question stems are near-duplicates (Spanish text,
normalised by :func:`tokens`; Jaccard index of the token sets ≥ 0.8).

Each finding is a located :class:`~training.catalog.reader.Problem`, an error or (under
``--item-checks=warn``, for draft content) a warning.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.catalog.reader import Reader, line_of
from training.catalog.schemas import REQUIRED_LANGUAGES

LONGEST_CORRECT_MAX = 0.40
LENGTH_TOLERANCE = 0.25
TRUE_SHARE = (0.30, 0.70)
NEAR_DUPLICATE = 0.8
BANK_FACTOR = 3
CHOICE_TYPES = ("single", "multiple", "true_false")

# "All/none of the above" and their equivalents, normalised like stems (lower-case,
# no accents, no punctuation), matched as whole words anywhere in an option.
ABOVE_PHRASES = (
    # Spanish
    "todas las anteriores",
    "ninguna de las anteriores",
    "todas las respuestas anteriores",
    "ninguna de las respuestas anteriores",
    "todas las opciones anteriores",
    "ninguna de las opciones anteriores",
    "todas son correctas",
    "ninguna es correcta",
    # English
    "all of the above",
    "none of the above",
    "all the above",
    "all of these",
    "none of these",
    "all are correct",
    "none is correct",
    "none are correct",
    # French
    "toutes les reponses",
    "aucune des reponses",
    "toutes les propositions",
    "aucune des propositions",
    "tout ce qui precede",
    "aucune de ces reponses",
    "toutes ces reponses",
)


def normalise(text: str) -> str:
    """Lower-case, accents stripped, punctuation replaced by spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())


def tokens(text: str) -> frozenset[str]:
    return frozenset(normalise(text).split())


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """Jaccard index of two token sets (0 when both are empty)."""
    union = first | second
    return len(first & second) / len(union) if union else 0.0


ABOVE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in ABOVE_PHRASES) + r")\b")


@dataclass(frozen=True)
class Stem:
    path: Path
    line: int
    question: str
    tokens: frozenset[str]


def _percent(value: float) -> str:
    return f"{round(value * 100)} %"


def check_module(
    reader: Reader, path: Path, raw: Any, quiz: dict[str, Any], *, warning: bool
) -> None:
    """The per-module checks on a valid quiz.yaml (``raw``: its YAML with lines)."""

    def add(line: int, message: str) -> None:
        reader.add(path, line, message, warning=warning)

    questions = quiz["questions"]
    where = line_of(raw, ("questions",))
    draw = quiz["questions_per_attempt"]
    if len(questions) < BANK_FACTOR * draw:
        add(
            line_of(raw, ("questions_per_attempt",)),
            f"the bank has {len(questions)} questions for a draw of {draw}: it needs at "
            f"least {BANK_FACTOR * draw} ({BANK_FACTOR} x the draw) for retakes to be fresh",
        )
    by_type: dict[str, list[dict[str, Any]]] = {kind: [] for kind in CHOICE_TYPES}
    for index, question in enumerate(questions):
        if question["type"] in by_type:
            by_type[question["type"]].append(question)
        for choice_index, choice in enumerate(question.get("choices") or []):
            for language, text in sorted(choice["text"].items()):
                match = ABOVE.search(normalise(text))
                if match:
                    add(
                        line_of(raw, ("questions", index, "choices", choice_index)),
                        f"question {question['id']}: option {choice['id']} ({language}) is "
                        f"an 'all/none of the above' option ({match.group(0)!r}); write a "
                        "plausible option of its own",
                    )
    for language in REQUIRED_LANGUAGES:
        _check_lengths(add, where, language, by_type["single"], by_type["multiple"])
    true_false = by_type["true_false"]
    if true_false:
        true = sum(
            1 for q in true_false if any(c["id"] == "true" and c["correct"] for c in q["choices"])
        )
        share = true / len(true_false)
        if not TRUE_SHARE[0] <= share <= TRUE_SHARE[1]:
            add(
                where,
                f"{true} of {len(true_false)} true/false items are true ({_percent(share)}); "
                "keep it between 30 % and 70 %",
            )
    multiple = by_type["multiple"]
    counts = {sum(1 for c in q["choices"] if c["correct"]) for q in multiple}
    if len(multiple) >= 2 and len(counts) == 1:
        add(
            where,
            f"all {len(multiple)} multiple-response items have {counts.pop()} correct "
            "options; vary the number",
        )


def _check_lengths(
    add: Any,
    line: int,
    language: str,
    single: list[dict[str, Any]],
    multiple: list[dict[str, Any]],
) -> None:
    def length(choice: dict[str, Any]) -> int:
        return len(choice["text"].get(language, "").strip())

    longest = 0
    for question in single:
        correct = [length(c) for c in question["choices"] if c["correct"]]
        others = [length(c) for c in question["choices"] if not c["correct"]]
        if correct and others and correct[0] > max(others):
            longest += 1
    if single and longest / len(single) > LONGEST_CORRECT_MAX:
        add(
            line,
            f"the correct option is the longest in {longest} of {len(single)} single-choice "
            f"items ({_percent(longest / len(single))}, {language}); at most 40 %",
        )
    correct_lengths = [length(c) for q in single + multiple for c in q["choices"] if c["correct"]]
    other_lengths = [length(c) for q in single + multiple for c in q["choices"] if not c["correct"]]
    if correct_lengths and other_lengths:
        mean_correct = sum(correct_lengths) / len(correct_lengths)
        mean_other = sum(other_lengths) / len(other_lengths)
        if abs(mean_correct - mean_other) > LENGTH_TOLERANCE * mean_other:
            add(
                line,
                f"correct options average {mean_correct:.0f} characters and distractors "
                f"{mean_other:.0f} ({language}); keep them within 25 % of each other",
            )


def stems(path: Path, raw: Any, quiz: dict[str, Any]) -> list[Stem]:
    """The Spanish stems of a quiz, for :func:`check_stems`."""
    return [
        Stem(
            path, line_of(raw, ("questions", index)), question["id"], tokens(question["text"]["es"])
        )
        for index, question in enumerate(quiz["questions"])
    ]


def check_stems(reader: Reader, found: list[Stem], *, warning: bool) -> None:
    """Near-duplicate stems anywhere in the curriculum: reported on the later one."""
    for index, stem in enumerate(found):
        for earlier in found[:index]:
            score = similarity(stem.tokens, earlier.tokens)
            if score >= NEAR_DUPLICATE:
                reader.add(
                    stem.path,
                    stem.line,
                    f"question {stem.question} is a near-duplicate of question "
                    f"{earlier.question} ({reader.show(earlier.path)}:{earlier.line}; "
                    f"{_percent(score)} of words shared)",
                    warning=warning,
                )
                break
