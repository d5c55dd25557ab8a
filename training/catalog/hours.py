"""Honest hours: a module's ``estimated_minutes`` and ``hours`` follow one stated method,
the same for every module (content/README.md, "Hours").

* Reading: the words of the Spanish lessons and job aid (the reference language) at
  ``WORDS_PER_MINUTE``.
* The quiz: ``MINUTES_PER_QUESTION`` for each question drawn in an attempt.
* The case study's questions to consider: ``CASE_MINUTES``.

The sum is rounded up to a multiple of five minutes; ``hours`` is that time in hours,
rounded half up, at least one. The program's hours are the sum of its modules' hours
(checked with program.yaml).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.catalog.reader import Reader, line_of

WORDS_PER_MINUTE = 180
MINUTES_PER_QUESTION = 1.5
CASE_MINUTES = 10
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Estimate:
    words: int
    questions: int

    @property
    def minutes(self) -> int:
        raw = self.words / WORDS_PER_MINUTE + self.questions * MINUTES_PER_QUESTION + CASE_MINUTES
        return 5 * math.ceil(raw / 5)

    @property
    def hours(self) -> int:
        return max(1, math.floor(self.minutes / 60 + 0.5))


def words(markdown: str) -> int:
    return len(WORD.findall(markdown))


def estimate(lesson_bodies: list[str], job_aid: str, questions_per_attempt: int) -> Estimate:
    return Estimate(
        sum(words(body) for body in lesson_bodies) + words(job_aid), questions_per_attempt
    )


def check(
    reader: Reader, path: Path, raw: Any, data: dict[str, Any], found: Estimate, *, warning: bool
) -> None:
    """Report module.yaml's ``estimated_minutes`` and ``hours`` where they differ from
    the method's figures."""
    how = (
        f"{found.words} words at {WORDS_PER_MINUTE} a minute, {found.questions} questions at "
        f"{MINUTES_PER_QUESTION:g} minutes, {CASE_MINUTES} minutes for the case"
    )
    if data["estimated_minutes"] != found.minutes:
        reader.add(
            path,
            line_of(raw, ("estimated_minutes",)),
            f"estimated_minutes is {data['estimated_minutes']} but the method gives "
            f"{found.minutes} ({how}; see content/README.md)",
            warning=warning,
        )
    if data["hours"] != found.hours:
        reader.add(
            path,
            line_of(raw, ("hours",)),
            f"hours is {data['hours']} but {found.minutes} minutes make {found.hours}",
            warning=warning,
        )
