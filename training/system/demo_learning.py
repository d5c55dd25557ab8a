"""Demo learning history: more staff of Guatemala and Mexico at the demo posts, with
lessons read and quizzes taken through the real services (so certificates are issued by
the usual signal), and cohorts, so that every report has something to show.

Idempotent: staff are created once, and a learner's history is only written while they
have none; with no content synced yet (``flask content sync``), only the staff are made.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from training.accounts import passwords, users
from training.accounts.models import User
from training.catalog import cache
from training.catalog.models import Program, Question, current_programs
from training.cohorts import services as cohorts
from training.cohorts.models import Cohort
from training.extensions import db
from training.links import completions
from training.links.models import ExternalCompletion, ExternalCourse
from training.ministries import services as ministries
from training.ministries.models import Post
from training.progress import services as progress
from training.progress.models import ModuleProgress
from training.quizzes import decisions, scenarios
from training.quizzes import services as quizzes
from training.quizzes.models import Answer

# e-mail, name, ministry, post index, how many program modules they complete (ALL: every
# one, so they earn the certificate), whether they start and fail one more module, and a
# seed that varies their wrong answers.
ALL = 1_000
DEMO_STAFF: list[tuple[str, str, str, int, int, bool, int]] = [
    ("rosa.tzoc@demo.gt", "Rosa Tzoc Pérez", "GT", 1, ALL, False, 1),
    ("luis.ochoa@demo.gt", "Luis Ochoa Cifuentes", "GT", 1, ALL, False, 2),
    ("carmen.batz@demo.gt", "Carmen Batz", "GT", 2, 3, True, 3),
    ("byron.cifuentes@demo.gt", "Byron Cifuentes", "GT", 2, 2, False, 4),
    ("edgar.gomez@demo.gt", "Edgar Gómez", "GT", 1, 0, True, 5),
    ("sofia.yax@demo.gt", "Sofía Yax", "GT", 0, 1, False, 6),
    ("ixchel.tum@demo.gt", "Ixchel Tum", "GT", 2, 0, False, 7),
    ("mariana.hernandez@demo.mx", "Mariana Hernández", "MX", 1, ALL, False, 8),
    ("jorge.lopez@demo.mx", "Jorge López", "MX", 1, 2, True, 9),
    ("patricia.ruiz@demo.mx", "Patricia Ruiz", "MX", 0, 1, False, 10),
    ("raul.sanchez@demo.mx", "Raúl Sánchez", "MX", 0, 0, False, 11),
]

# Ministry, cohort name, coordinator, days from today to the start and to the deadline,
# and the members: staff e-mails or "post:N" for everyone at post N.
# External course completions (IOM's virtual course): learner, reviewing coordinator (or
# None: awaiting review), decision, and the day of completion (days before today).
DEMO_EXTERNAL: list[tuple[str, str | None, str, int]] = [
    ("rosa.tzoc@demo.gt", "coordinacion@demo.gt", "verified", 40),
    ("luis.ochoa@demo.gt", "coordinacion@demo.gt", "verified", 25),
    ("carmen.batz@demo.gt", None, "reported", 6),
    ("edgar.gomez@demo.gt", "coordinacion@demo.gt", "rejected", 12),
    ("mariana.hernandez@demo.mx", "coordinacion@demo.mx", "verified", 30),
    ("jorge.lopez@demo.mx", None, "reported", 3),
]

DEMO_COHORTS: list[tuple[str, str, str, int, int, list[str]]] = [
    ("GT", "Taller Tapachula 2026", "coordinacion@demo.gt", -90, -10, ["post:1"]),
    ("GT", "Promoción anual 2026", "coordinacion@demo.gt", -30, 120, ["post:2"]),
    ("MX", "Curso regional 2026", "coordinacion@demo.mx", -60, -5, ["post:1"]),
]


def load(
    posts: dict[str, list[Post]], password: str, external_course: ExternalCourse | None = None
) -> None:
    """Staff with progress, cohorts and completions of ``external_course`` (see the
    module's docstring)."""
    staff = []
    password_hash = None
    for email, name, code, post_index, modules, fails, seed in DEMO_STAFF:
        user = db.session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            user = users.create_user(
                email=email,
                full_name=name,
                ministry=ministries.get_ministry(code),
                roles=["learner"],
                post=posts[code][post_index],
            )
            # One (slow, by design) Argon2 hash for all of them: demo accounts only.
            password_hash = password_hash or passwords.hash_password(password)
            user.password_hash = password_hash
        staff.append((user, modules, fails, seed))
    if external_course is not None:
        _external_completions(external_course)
    program = db.session.scalars(current_programs()).first()
    if program is None:
        return
    slugs = [module.slug for module in program.modules]
    for user, modules, fails, seed in staff:
        if db.session.scalar(
            select(func.count(ModuleProgress.id)).where(ModuleProgress.user_id == user.id)
        ):
            continue  # their history was written by an earlier run
        for slug in slugs[:modules]:
            _complete(user, slug, seed)
        if fails and modules < len(slugs):
            _read(user, slugs[modules])
            _answer(user, slugs[modules], seed, wrong_every=2)
    for code, name, coordinator_email, start, deadline, members in DEMO_COHORTS:
        _cohort(posts, program, code, name, coordinator_email, start, deadline, members)


def _user(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email)).first()


def _external_completions(course: ExternalCourse) -> None:
    """Reported through the learners' own form and reviewed by their coordinators, once."""
    for email, reviewer_email, decision, days_ago in DEMO_EXTERNAL:
        learner = _user(email)
        if learner is None or db.session.scalar(
            select(ExternalCompletion.id).where(
                ExternalCompletion.user_id == learner.id,
                ExternalCompletion.course_id == course.id,
            )
        ):
            continue
        completion, _created = completions.report_completion(
            learner, course.id, completed_on=date.today() - timedelta(days=days_ago)
        )
        reviewer = _user(reviewer_email) if reviewer_email else None
        if reviewer is not None:
            note = "El certificado no corresponde a este curso." if decision == "rejected" else None
            completions.review(reviewer, completion.id, decision, note)


def _read(user: User, slug: str) -> None:
    view = progress.module_view(user, slug)
    for lesson in cache.lessons(view.version):
        progress.mark_lesson_read(user, slug, lesson.number)


def _answer(user: User, slug: str, seed: int, *, wrong_every: int) -> Any:
    """One attempt, with about one answer in ``wrong_every`` wrong (which ones depends on
    the learner), so that the item analysis has something to tell."""
    attempt, _created = progress.start_attempt(user, slug)
    answers = []
    for item in attempt.items:
        question: Question = item.question
        wrong = (sum(map(ord, question.key)) + seed) % wrong_every == 0
        if question.scenario is not None:
            _walk_case(user, attempt.id, question, wrong=wrong)
            continue
        if wrong:
            keys = [next(c.key for c in question.choices if not c.correct)]
        else:
            keys = [c.key for c in question.choices if c.correct]
        answers.append(Answer(question.key, tuple(keys)))
    return quizzes.submit(user, attempt.id, answers)


def _walk_case(user: User, attempt_id: int, question: Question, *, wrong: bool) -> None:
    """Decide a scenario step by step, as the page does: the safe option at each step, or
    (``wrong``) a weaker but safe one at the first step that has one."""
    definition = question.scenario or {}
    path: list[str] = []
    step = scenarios.walk(definition, path).current
    while step is not None:
        options = step["choices"]
        pick = next(o for o in options if o["credit"] == 1 and not o.get("unsafe"))
        weaker = [o for o in options if o["credit"] < 1 and not o.get("unsafe")]
        if wrong and weaker:
            pick, wrong = weaker[0], False
        decisions.decide(user, attempt_id, question.key, pick["id"], step["id"])
        path.append(pick["id"])
        step = scenarios.walk(definition, path).current


def _complete(user: User, slug: str, seed: int) -> None:
    _read(user, slug)
    attempt = _answer(user, slug, seed, wrong_every=9)
    if not attempt.passed:
        _read(user, slug)  # a retake waits until the missed objectives' lessons are reopened
        _answer(user, slug, seed, wrong_every=1000)


def _cohort(
    posts: dict[str, list[Post]],
    program: Program,
    code: str,
    name: str,
    coordinator_email: str,
    start: int,
    deadline: int,
    members: list[str],
) -> None:
    ministry = ministries.get_ministry(code)
    if db.session.scalar(
        select(Cohort.id).where(Cohort.ministry_id == ministry.id, Cohort.name == name)
    ):
        return
    coordinator = db.session.scalars(select(User).where(User.email == coordinator_email)).first()
    if coordinator is None:
        return
    today = date.today()
    cohort = cohorts.create(
        coordinator,
        name=name,
        program_slug=program.slug,
        starts_on=today + timedelta(days=start),
        deadline=today + timedelta(days=deadline),
    )
    for member in members:
        if member.startswith("post:"):
            post = posts[code][int(member.removeprefix("post:"))]
            cohorts.add_members(coordinator, cohort, post_id=post.id)
        else:
            user = db.session.scalars(select(User).where(User.email == member)).one()
            cohorts.add_members(coordinator, cohort, user_ids=[user.id])
