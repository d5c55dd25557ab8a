"""Reports at scale (issue 13, item 2): on a generated ministry with mixed progress, the
figures of the set-based queries equal the same figures computed here, row by row, from
the data; the item analyses reuse their figures only while the graded attempts they read
are unchanged."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.catalog.conftest import SHIPPED
from tests.factories import create_module_version, create_post_for, create_user
from training.accounts.models import User, UserRole
from training.catalog import services as catalog
from training.catalog.models import Module, ModuleVersion, Question
from training.database import utcnow
from training.extensions import db
from training.ministries.models import Post
from training.progress.models import ModuleProgress
from training.quizzes.models import Attempt, AttemptAnswer
from training.reports import item_statistics, items, services, views
from training.reports.cache import ResultCache

LEARNERS = 60


@dataclass
class Generated:
    coordinator: User
    posts: list[Post]
    learners: list[User]
    mexicans: list[User]


def _versions() -> list[ModuleVersion]:
    return list(
        db.session.scalars(
            select(ModuleVersion)
            .join(Module, Module.current_version_id == ModuleVersion.id)
            .order_by(ModuleVersion.position)
        )
    )


def _attempts(user: User, version: ModuleVersion, questions: list[int], rng: random.Random) -> None:
    """Zero to three attempts: graded ones with scores from a short list (so that many
    tie), an expired one with a score (graded too) and one still in progress."""
    count = rng.choice([0, 1, 1, 2, 3])
    for number in range(1, count + 1):
        # At most one attempt in progress per learner and module: the last.
        kinds = ["submitted"] * 6 + ["expired"] + (["in_progress"] if number == count else [])
        kind = rng.choice(kinds)
        score = None if kind == "in_progress" else rng.choice([0, 20, 40, 60, 60, 80, 100])
        now = utcnow()
        attempt = Attempt(
            user_id=user.id,
            ministry_id=user.ministry_id,
            module_id=version.module_id,
            module_version_id=version.id,
            number=number,
            status=kind,
            started_at=now - timedelta(days=rng.randint(1, 90)),
            submitted_at=now if score is not None else None,
            score=score,
            passed=None if score is None else score >= 80,
        )
        db.session.add(attempt)
        db.session.flush()
        for question_id in rng.sample(questions, min(4, len(questions))):
            # Halves and wholes add up exactly in floating point, so that both sides of
            # the comparison round the same sums.
            credit = None if score is None else rng.choice([0.0, 0.5, 1.0, 1.0])
            db.session.add(
                AttemptAnswer(
                    attempt_id=attempt.id,
                    question_id=question_id,
                    choice_ids=[],
                    credit=credit,
                    correct=None if credit is None else credit == 1.0,
                )
            )


@pytest.fixture
def generated(app: Any, ministries: Any) -> Generated:
    catalog.sync(SHIPPED, item_checks="error")
    db.session.commit()
    rng = random.Random(13)
    coordinator = create_user(roles=["coordinator", "learner"], ministry="GT")
    posts = [create_post_for("GT"), create_post_for("GT")]
    learners = [
        create_user(roles=["learner"], ministry="GT", post=rng.choice([*posts, None]))
        for _ in range(LEARNERS)
    ]
    mexicans = [create_user(roles=["learner"], ministry="MX") for _ in range(8)]
    versions = _versions()[:4]
    questions = {
        version.id: list(
            db.session.scalars(select(Question.id).where(Question.module_version_id == version.id))
        )
        for version in versions
    }
    now = utcnow()
    for user in [*learners, *mexicans]:
        for version in versions:
            stage = rng.choice(["none", "started", "completed", "completed"])
            if stage != "none":
                db.session.add(
                    ModuleProgress(
                        user_id=user.id,
                        ministry_id=user.ministry_id,
                        module_id=version.module_id,
                        module_version_id=version.id,
                        lessons_read=1,
                        best_score=rng.randint(0, 100),
                        started_at=now - timedelta(days=rng.randint(2, 200)),
                        completed_at=now - timedelta(days=1) if stage == "completed" else None,
                    )
                )
            _attempts(user, version, questions[version.id], rng)
    db.session.commit()
    # Some learners moved on to a newer version of the first module: a second progress
    # row, which the reports go by (in progress, whatever the older one says).
    newer = create_module_version(versions[0].module_id)
    for user in learners[::7]:
        db.session.add(
            ModuleProgress(
                user_id=user.id,
                ministry_id=user.ministry_id,
                module_id=versions[0].module_id,
                module_version_id=newer.id,
                lessons_read=0,
                best_score=None,
                started_at=now + timedelta(days=1),
            )
        )
    db.session.commit()
    return Generated(coordinator, posts, learners, mexicans)


# --- Item analysis, computed again from the answers -------------------------------------


def expected_indices(
    ministry_id: int | None, minimum: int, users: set[int] | None = None
) -> dict[int, tuple[int, float | None, float | None]]:
    """Per question: graded answers, facility and discrimination, from every graded
    attempt (of the ministry, of ``users``) ranked in Python as the method says."""
    attempts = [
        attempt
        for attempt in db.session.scalars(select(Attempt))
        if attempt.status != "in_progress"
        and attempt.score is not None
        and (ministry_id is None or attempt.ministry_id == ministry_id)
        and (users is None or attempt.user_id in users)
    ]
    by_version: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_version[attempt.module_version_id].append(attempt)
    group: dict[int, str] = {}
    for ranked in by_version.values():
        ranked.sort(key=lambda a: (a.score, a.id), reverse=True)
        k = (len(ranked) * 27 + 50) // 100
        for position, attempt in enumerate(ranked, start=1):
            if position <= k:
                group[attempt.id] = "upper"
            elif position > len(ranked) - k:
                group[attempt.id] = "lower"
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for attempt in attempts:
        for answer in attempt.answers:
            if answer.credit is None:
                continue
            tally = sums[answer.question_id]
            tally["answers"] += 1
            tally["credit"] += answer.credit
            if attempt.id in group:
                tally[group[attempt.id] + "_answers"] += 1
                tally[group[attempt.id] + "_credit"] += answer.credit
    expected: dict[int, tuple[int, float | None, float | None]] = {}
    for question_id, tally in sums.items():
        answers = int(tally["answers"])
        facility = discrimination = None
        if answers >= minimum:
            facility = round(tally["credit"] / answers, 3)
            if tally["upper_answers"] and tally["lower_answers"]:
                discrimination = round(
                    tally["upper_credit"] / tally["upper_answers"]
                    - tally["lower_credit"] / tally["lower_answers"],
                    3,
                )
        expected[question_id] = (answers, facility, discrimination)
    return expected


def test_item_analysis_equals_the_figures_computed_from_the_answers(
    generated: Generated,
) -> None:
    scope = services.scope(generated.coordinator)
    found = {
        item.question_id: (item.answers, item.facility, item.discrimination)
        for item in services.item_analysis(scope)
    }
    expected = expected_indices(generated.coordinator.ministry_id, services.MIN_ANSWERS)
    assert found == expected
    # Enough data for the comparison to mean something: indices, and groups with ties.
    assert sum(1 for _n, facility, _d in found.values() if facility is not None) >= 10
    assert sum(1 for _n, _f, discrimination in found.values() if discrimination) >= 10

    post = generated.posts[0]
    at_post = services.scope(generated.coordinator, services.Filters(post=post.id))
    users = {user.id for user in generated.learners if user.post_id == post.id}
    assert {
        item.question_id: (item.answers, item.facility, item.discrimination)
        for item in services.item_analysis(at_post)
    } == expected_indices(generated.coordinator.ministry_id, services.MIN_ANSWERS, users)


def test_authors_item_statistics_equal_the_figures_computed_from_the_answers(
    generated: Generated,
) -> None:
    found = {
        item.question_id: (item.attempts, item.facility, item.discrimination)
        for item in item_statistics.item_statistics()
        if item.attempts
    }
    assert found == expected_indices(None, item_statistics.MIN_ANSWERS)


def test_item_analysis_figures_are_reused_until_an_attempt_is_graded(
    generated: Generated, queries: Any
) -> None:
    scope = services.scope(generated.coordinator)
    with queries() as first:
        before = services.item_analysis(scope)
    with queries() as again:
        assert services.item_analysis(scope) == before
    # The graded attempts counted, then the figures kept: one query instead of three.
    assert (len(first), len(again)) == (3, 1)

    # A new graded attempt among those the report reads: computed again, and counted.
    version = _versions()[0]
    questions = [q.id for q in version.questions]
    rng = random.Random(1)
    learner = generated.learners[0]
    attempt = Attempt(
        user_id=learner.id,
        ministry_id=learner.ministry_id,
        module_id=version.module_id,
        module_version_id=version.id,
        number=9,
        status="submitted",
        started_at=utcnow(),
        submitted_at=utcnow(),
        score=rng.choice([0, 100]),
        passed=False,
    )
    db.session.add(attempt)
    db.session.flush()
    db.session.add(
        AttemptAnswer(attempt_id=attempt.id, question_id=questions[0], choice_ids=[], credit=1.0)
    )
    db.session.commit()
    scope = services.scope(generated.coordinator)
    with queries() as after_grading:
        after = {item.question_id: item.answers for item in services.item_analysis(scope)}
    assert len(after_grading) == 3
    assert after[questions[0]] == {i.question_id: i.answers for i in before}[questions[0]] + 1
    assert after == {
        question_id: answers
        for question_id, (answers, _f, _d) in expected_indices(
            generated.coordinator.ministry_id, services.MIN_ANSWERS
        ).items()
    }

    # Another ministry's new attempt is not among them: the figures stay.
    mexican = generated.mexicans[0]
    db.session.add(
        Attempt(
            user_id=mexican.id,
            ministry_id=mexican.ministry_id,
            module_id=version.module_id,
            module_version_id=version.id,
            number=9,
            status="submitted",
            started_at=utcnow(),
            submitted_at=utcnow(),
            score=50,
            passed=False,
        )
    )
    db.session.commit()
    scope = services.scope(generated.coordinator)
    with queries() as unchanged:
        services.item_analysis(scope)
    assert len(unchanged) == 1


def test_the_cache_is_bounded_and_can_be_turned_off() -> None:
    computed: list[int] = []

    def compute(value: int) -> Any:
        return lambda: computed.append(value) or value

    cache = ResultCache(2)
    assert [cache.get_or_compute(key, 1, compute(key)) for key in ("a", "b", "a", "c")] == [
        "a",
        "b",
        "a",
        "c",
    ]
    # "b" was the least recently used when "c" came: out; "a" still there.
    assert len(cache) == 2 and computed == ["a", "b", "c"]
    cache.get_or_compute("a", 1, compute("a2"))
    cache.get_or_compute("b", 1, compute("b2"))
    assert computed == ["a", "b", "c", "b2"]
    # Another version of the data: computed again.
    assert cache.get_or_compute("a", 2, compute("a3")) == "a3"

    off = ResultCache(0)
    off.get_or_compute("a", 1, compute("x"))
    off.get_or_compute("a", 1, compute("y"))
    assert computed[-2:] == ["x", "y"] and len(off) == 0


# --- The ministry page's figures, computed again from the rows ---------------------------


def _learners(ministry_id: int) -> list[User]:
    learner_ids = set(
        db.session.scalars(select(UserRole.user_id).where(UserRole.role == "learner"))
    )
    return [
        user
        for user in db.session.scalars(select(User).where(User.ministry_id == ministry_id))
        if user.id in learner_ids
    ]


def _newest_rows() -> dict[tuple[int, int], ModuleProgress]:
    newest: dict[tuple[int, int], ModuleProgress] = {}
    for row in db.session.scalars(select(ModuleProgress)):
        key = (row.user_id, row.module_id)
        if key not in newest or (row.started_at, row.id) > (
            newest[key].started_at,
            newest[key].id,
        ):
            newest[key] = row
    return newest


def test_module_and_post_summaries_equal_the_figures_computed_from_the_rows(
    generated: Generated,
) -> None:
    scope = services.scope(generated.coordinator)
    assert scope.program is not None
    learners = _learners(generated.coordinator.ministry_id)
    newest = _newest_rows()
    expected_modules = []
    for module in scope.program.modules:
        rows = [newest[(u.id, module.id)] for u in learners if (u.id, module.id) in newest]
        scores = [row.best_score for row in rows if row.best_score is not None]
        expected_modules.append(
            (
                module.id,
                len(learners),
                len(rows),
                sum(1 for row in rows if row.completed_at is not None),
                round(sum(scores) / len(scores), 1) if scores else None,
            )
        )
    found_modules = [
        (s.module.id, s.learners, s.started, s.completed, s.average_best_score)
        for s in services.module_summaries(scope)
    ]
    assert found_modules == expected_modules
    # The newer version's rows count (in progress), not the older completed ones.
    first = scope.program.modules[0].id
    assert any(newest[(u.id, first)].completed_at is None for u in generated.learners[::7])

    module_ids = set(scope.program.module_ids)
    started = {user_id for (user_id, module_id) in newest if module_id in module_ids}
    expected_posts = {
        post_id: (
            sum(1 for u in learners if u.post_id == post_id),
            sum(1 for u in learners if u.post_id == post_id and u.id in started),
        )
        for post_id in {u.post_id for u in learners}
    }
    found_posts = {s.post_id: (s.learners, s.started) for s in services.post_summaries(scope)}
    assert {k: v for k, v in found_posts.items() if v[0]} == expected_posts


def test_every_page_of_the_completion_report_is_a_slice_of_the_whole(
    generated: Generated,
) -> None:
    """The page's rows are found from the learners' index (a window of learners, not
    of rows): pages of a size that is no multiple of the modules, laid end to end, are
    the whole report, row for row, as the export streams it and as computed here."""
    scope = services.scope(generated.coordinator)
    assert scope.program is not None
    whole = [
        (row.learner_id, row.module.id, row.status, row.best_score)
        for row in services.completion_stream(scope)
    ]
    newest = _newest_rows()
    expected = []
    for user in sorted(
        _learners(generated.coordinator.ministry_id), key=lambda u: (u.full_name, u.id)
    ):
        for module in scope.program.modules:
            row = newest.get((user.id, module.id))
            status = (
                "not_started"
                if row is None
                else "in_progress"
                if row.completed_at is None
                else "completed"
            )
            expected.append((user.id, module.id, status, row.best_score if row else None))
    assert whole == expected
    per_page = 7
    pages = []
    total = 0
    for page in range(1, len(whole) // per_page + 3):
        rows, total = services.completion_page(scope, page, per_page)
        pages += [(r.learner_id, r.module.id, r.status, r.best_score) for r in rows]
    assert pages == whole and total == len(whole)


def test_the_page_links_to_its_pages(generated: Generated, logged_in: Any) -> None:
    client = logged_in(generated.coordinator)
    post = generated.posts[0]
    page = client.get("/coordination/reports?page=3&lang=en").get_data(as_text=True)
    learners = len(_learners(generated.coordinator.ministry_id))
    scope = services.scope(generated.coordinator)
    assert scope.program is not None
    pages = -(-learners * len(scope.program.modules) // views.PAGE_ROWS)
    assert pages >= 6
    nav = page[page.index('<nav class="pager" aria-label="Report pages">') :]
    nav = nav[: nav.index("</nav>")]
    assert 'aria-current="page"' in nav and nav.count("aria-current") == 1
    assert f'page=3" aria-current="page" aria-label="Page 3 of {pages}"' in nav
    for number in (1, 2, 4, 5, pages):
        assert f'page={number}" aria-label="Page {number} of {pages}"' in nav
    assert f'page={pages - 1}"' not in nav
    assert 'rel="prev">Previous page</a>' in nav and 'rel="next">Next page</a>' in nav
    assert "…" in nav  # pages 6 to the last but one are left out
    # The filters go along; French has the words too.
    filtered = client.get(f"/coordination/reports?post={post.id}&lang=fr").get_data(as_text=True)
    if "page-list" in filtered:
        assert "Page suivante" in filtered
        assert f"post={post.id}&amp;lang=fr&amp;page=2" in filtered
    spanish = client.get("/coordination/reports?page=2").get_data(as_text=True)
    assert "Página siguiente" in spanish and 'aria-current="page"' in spanish


def test_the_item_analysis_holds_a_few_rows_per_question_whatever_the_answers(
    generated: Generated,
) -> None:
    """The one pass over the answers is grouped in the database: at most three rows
    (upper, lower, neither) per question reach Python, however many answers there are."""
    conditions = items.graded(Attempt.ministry_id == generated.coordinator.ministry_id)
    attempts = items.graded_attempts(conditions)
    rows = db.session.execute(items.group_answers(conditions, attempts)).all()
    questions = {row.question_id for row in rows}
    answers = sum(int(row.answers) for row in rows)
    assert len(rows) <= 3 * len(questions) < answers
    assert answers == sum(
        n for n, _f, _d in expected_indices(generated.coordinator.ministry_id, 0).values()
    )
