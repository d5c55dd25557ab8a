"""Demo quiz answers for the authors' item statistics: staff of six more ministries who
take the program's quizzes, answering by a simple model, so that every question has
enough graded answers for its facility, discrimination and option use to mean something
(``flask content item-report``).

The model (item response theory, two parameters): each learner has an ability, each
question a difficulty and a discrimination drawn once from its id; a learner answers a
question right with probability ``1 / (1 + exp(-a (ability - difficulty)))``. A wrong
answer picks a distractor, some far more tempting than others (so a few are chosen by
almost nobody, as in real banks). A learner works through the program in order, reads
each module and takes its quiz (a retake after a failure a little abler), goes on only
where the prerequisites are passed, and leaves one module (one that no other module
requires) aside: nobody simulated completes the program, which would call for a
certificate.

Written directly (attempts graded by the quizzes' own grading functions, and the
matching progress rows): going through the services for hundreds of attempts took
half a minute, and the demo must stay quick. Draws take the bank in turn (each
attempt the next questions of the module's bank), so that every question gets about
the same number of answers whatever the size of the bank; the statistics do not depend
on the real draw. A scenario is walked step by step: at each step the learner takes the
safe option with the model's probability, another option otherwise.

Deterministic (seeded by e-mail and question id) and idempotent: a learner's answers
are written only while they have no history. With no content synced, nothing happens.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

from sqlalchemy import func, select

from training.accounts import users
from training.accounts.models import User
from training.catalog.models import Module, ModuleVersion, Program, Question, current_programs
from training.database import utcnow
from training.extensions import db
from training.ministries import services as ministries
from training.progress.models import ModuleProgress
from training.quizzes import grading, scenarios
from training.quizzes.models import SUBMITTED, Attempt, AttemptAnswer, AttemptQuestion

# Ministries whose simulated staff answer the quizzes, and how many each.
MINISTRIES = ("HN", "SV", "CR", "PA", "DO", "NI")
PER_MINISTRY = 16
# Abilities spread evenly over this range (logits; 0 is a question of average
# difficulty answered right half the time); a retake after reading again adds STUDY.
ABILITY = (-0.5, 2.0)
STUDY = 0.5


def simulated_staff() -> list[tuple[str, str, str, float]]:
    """E-mail, name, ministry and ability of every simulated learner."""
    count = len(MINISTRIES) * PER_MINISTRY
    low, high = ABILITY
    staff = []
    for n in range(count):
        code = MINISTRIES[n % len(MINISTRIES)]
        number = n // len(MINISTRIES) + 1
        ability = low + (high - low) * n / (count - 1)
        staff.append(
            (
                f"personal{number}@practica.{code.lower()}.demo",
                f"Personal de práctica {number} ({code})",
                code,
                ability,
            )
        )
    return staff


def load() -> None:
    """Create the simulated staff (once, when there is content; they have no password:
    nobody signs in as them) and write the history of those who have none."""
    program = db.session.scalars(current_programs()).first()
    versions = _versions(program) if program else []
    # Modules no other module requires: one of them is left aside by each learner.
    required = {slug for version in versions for slug in version.prerequisites}
    optional = [version for version in versions if version.module.slug not in required]
    if not versions:
        return  # no quizzes to answer: no simulated staff either
    turns: dict[int, int] = {}  # per module version: how far into its bank the draws are
    # Learners take their turns in a mixed order of ability: the draws take each bank in
    # turn, so each question is answered by the able and the less able alike.
    staff = list(enumerate(simulated_staff()))
    random.Random("turns").shuffle(staff)  # noqa: S311 (demo data)
    for index, (email, name, code, ability) in staff:
        user = db.session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            user = users.create_user(
                email=email, full_name=name, ministry=ministries.get_ministry(code)
            )
        if db.session.scalar(
            select(func.count(ModuleProgress.id)).where(ModuleProgress.user_id == user.id)
        ):
            continue
        skipped = optional[index % len(optional)] if optional else None
        passed: set[str] = set()
        for version in versions:
            if version is skipped or not set(version.prerequisites) <= passed:
                continue
            if _take(user, version, ability, turns, days_ago=60 - 5 * len(passed)):
                passed.add(version.module.slug)
    db.session.flush()


def _versions(program: Program) -> list[ModuleVersion]:
    """The current version of every program module, in the program's order."""
    return list(
        db.session.scalars(
            select(ModuleVersion)
            .join(Module, Module.current_version_id == ModuleVersion.id)
            .where(Module.id.in_([module.id for module in program.modules]))
            .order_by(ModuleVersion.position)
        )
    )


def _take(
    user: User, version: ModuleVersion, ability: float, turns: dict[int, int], *, days_ago: int
) -> bool:
    """Read the module and take its quiz until passed or out of attempts; True if passed."""
    when = utcnow() - timedelta(days=days_ago)
    progress = ModuleProgress(
        user_id=user.id,
        ministry_id=user.ministry_id,
        module_id=version.module_id,
        module_version_id=version.id,
        lessons_read=len(version.lessons),
        started_at=when,
    )
    db.session.add(progress)
    bank = list(version.questions)
    for number in range(1, version.max_attempts + 1):
        rng = random.Random(f"{user.email} {version.id} {number}")  # noqa: S311 (demo data)
        size = min(version.questions_per_attempt, len(bank))
        start = turns.get(version.id, 0)
        turns[version.id] = start + size
        drawn = [bank[(start + offset) % len(bank)] for offset in range(size)]
        attempt = Attempt(
            user_id=user.id,
            ministry_id=user.ministry_id,
            module_id=version.module_id,
            module_version_id=version.id,
            number=number,
            status=SUBMITTED,
            started_at=when,
            submitted_at=when + timedelta(minutes=20),
        )
        credits = []
        for position, question in enumerate(drawn):
            selected: list[int] = []
            path: list[str] | None = None
            if question.type == "scenario":
                path = _walk(question, ability, rng)
                credit = scenarios.credit(question.scenario or {}, path)
            else:
                selected = _answer(question, ability, rng)
                correct = frozenset(c.id for c in question.choices if c.correct)
                credit = grading.grade(question.type, correct, frozenset(selected))
            credits.append(credit)
            attempt.items.append(
                AttemptQuestion(
                    question_id=question.id,
                    position=position,
                    choice_order=[c.id for c in question.choices],
                )
            )
            attempt.answers.append(
                AttemptAnswer(
                    question_id=question.id,
                    choice_ids=selected,
                    path=path,
                    credit=credit,
                    correct=credit == 1.0,
                    saved_at=when,
                )
            )
        attempt.score = grading.score(credits)
        attempt.passed = attempt.score >= version.pass_mark
        db.session.add(attempt)
        progress.best_score = max(progress.best_score or 0, attempt.score)
        if attempt.passed:
            progress.passed_at = progress.completed_at = attempt.submitted_at
            return True
        ability += STUDY
        when += timedelta(days=2)
    return False


def _traits(question: Question) -> random.Random:
    """The question's own draws (difficulty, discrimination, how tempting each option is)."""
    return random.Random(f"{question.module_version_id} {question.key}")  # noqa: S311


def _p_right(traits: random.Random, ability: float) -> float:
    difficulty = traits.uniform(-1.0, 1.8)
    discrimination = traits.choice((0.3, 0.8, 1.2, 1.6, 2.0))
    return 1 / (1 + math.exp(-discrimination * (ability - difficulty)))


def _walk(question: Question, ability: float, rng: random.Random) -> list[str]:
    """The option ids a learner chooses through a scenario, one per step, to its end."""
    definition = question.scenario or {}
    p_right = _p_right(_traits(question), ability)
    path: list[str] = []
    step = scenarios.walk(definition, path).current
    while step is not None:
        options = step["choices"]
        safe = [o["id"] for o in options if o["credit"] == 1 and not o.get("unsafe")]
        others = [o["id"] for o in options if o["id"] not in safe]
        path.append(safe[0] if rng.random() < p_right or not others else rng.choice(others))
        step = scenarios.walk(definition, path).current
    return path


def _answer(question: Question, ability: float, rng: random.Random) -> list[int]:
    """The ids of the options the learner selects (the model of the module docstring)."""
    traits = _traits(question)
    p_right = _p_right(traits, ability)
    right = [c.id for c in question.choices if c.correct]
    wrong = [c.id for c in question.choices if not c.correct]
    # How tempting each distractor is: some barely at all.
    weights = [traits.choice((0.1, 0.8, 1.0, 1.5, 2.0, 3.0)) for _ in wrong]
    if rng.random() < p_right or not wrong:
        return right
    distractor = rng.choices(wrong, weights=weights)[0]
    if question.type == "multiple" and len(right) > 1:
        # Partly right: one correct option missed, sometimes a distractor ticked too.
        kept = rng.sample(right, len(right) - 1)
        return kept + [distractor] * (rng.random() < 0.5)
    return [distractor]
