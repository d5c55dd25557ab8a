"""Item statistics for content authors (issue 11 item 7): every ministry pooled, counts
only; facility, upper-lower 27 % discrimination, option use and flags; the CLI and the
admin page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.content_helpers import synced_content  # noqa: F401
from tests.factories import create_attempt
from training.catalog.models import Module, Question
from training.errors import NotFound
from training.extensions import db
from training.quizzes.models import AttemptAnswer
from training.reports import item_statistics as stats

NAME = "Persona Confidencial"

# Ten graded attempts at alfa, scores 100 down to 10, alternately of Guatemala and
# Mexico. Per attempt: q01's choice (a right, b wrong), q02's ("true" right) and q03's
# selection (a and b right, c wrong; partial credit).
ATTEMPTS: list[tuple[int, str, str, str, str]] = [
    (100, "GT", "a", "true", "ab"),
    (90, "MX", "a", "true", "ab"),
    (80, "GT", "a", "true", "a"),
    (70, "MX", "a", "true", "ab"),
    (60, "GT", "a", "true", "a"),
    (50, "MX", "b", "true", "ac"),
    (40, "GT", "a", "true", "ab"),
    (30, "MX", "b", "true", ""),
    (20, "GT", "b", "true", "ac"),
    (10, "MX", "b", "true", "a"),
]


def _choices(question: Question, keys: str | list[str]) -> list[int]:
    wanted = [keys] if isinstance(keys, str) else keys
    return [c.id for c in question.choices if c.key in wanted]


def _credit(question: Question, ids: list[int]) -> float:
    from training.quizzes import grading

    correct = frozenset(c.id for c in question.choices if c.correct)
    return grading.grade(question.type, correct, frozenset(ids))


def _attempt(user: Any, module: Module, score: int | None, answers: dict[Question, Any]) -> None:
    version = module.current_version
    assert version is not None
    graded = score is not None
    attempt = create_attempt(user, version, score=score)
    for question, keys in answers.items():
        ids = _choices(question, keys)
        credit = _credit(question, ids) if graded else None
        attempt.answers.append(
            AttemptAnswer(
                question_id=question.id,
                choice_ids=ids,
                credit=credit,
                correct=None if credit is None else credit == 1.0,
            )
        )


@pytest.fixture
def answered(synced_content: dict[str, Module], make_user: Any) -> dict[str, Module]:  # noqa: F811
    alfa = synced_content["alfa"]
    assert alfa.current_version is not None
    questions = {q.key: q for q in alfa.current_version.questions}
    for n, (score, code, q01, q02, q03) in enumerate(ATTEMPTS):
        user = make_user(ministry=code, full_name=f"{NAME} {n}", password=None)
        _attempt(
            user,
            alfa,
            score,
            {questions["q01"]: q01, questions["q02"]: q02, questions["q03"]: list(q03)},
        )
    # An attempt still in progress says nothing yet.
    late = make_user(full_name=f"{NAME} en curso", password=None)
    _attempt(late, alfa, None, {questions["q01"]: "b", questions["q02"]: "false"})
    db.session.commit()
    return synced_content


def _by_key(items: list[stats.ItemStatistics]) -> dict[str, stats.ItemStatistics]:
    return {f"{item.module}/{item.question}": item for item in items}


def test_statistics_computed_by_hand(answered: dict[str, Module]) -> None:
    items = _by_key(stats.item_statistics())

    # 27 % of 10 attempts rounds to 3: upper group scores 100, 90, 80; lower 30, 20, 10.
    q01 = items["alfa/q01"]
    assert (q01.attempts, q01.type, q01.module, q01.version) == (10, "single", "alfa", 1)
    # Six right of ten; upper group 3/3 right, lower 0/3.
    assert (q01.facility, q01.discrimination) == (0.6, 1.0)
    assert [(o.key, o.correct, o.chosen, o.share) for o in q01.options] == [
        ("a", True, 6, 0.6),
        ("b", False, 4, 0.4),
    ]
    assert q01.flags == () and q01.blank == 0

    # Everybody right: too easy, separates nobody, and "false" is never chosen.
    q02 = items["alfa/q02"]
    assert (q02.facility, q02.discrimination) == (1.0, 0.0)
    assert [(o.key, o.chosen, o.share, o.rare) for o in q02.options] == [
        ("true", 10, 1.0, False),
        ("false", 0, 0.0, True),
    ]
    assert q02.flags == (stats.TOO_EASY, stats.LOW_DISCRIMINATION, stats.UNUSED_OPTION)

    # Partial credit: {a, b} = 1, {a} = 0.5, {a, c} = 0, nothing = 0. Credits by score:
    # 1, 1, .5 | 1, .5, 0, 1 | 0, 0, .5 → mean 5.5 / 10; upper 2.5 / 3, lower 0.5 / 3.
    q03 = items["alfa/q03"]
    assert (q03.facility, q03.discrimination) == (0.55, 0.667)
    assert [(o.key, o.chosen, o.share) for o in q03.options] == [
        ("a", 9, 0.9),
        ("b", 4, 0.4),
        ("c", 2, 0.2),
    ]
    assert q03.blank == 1 and q03.flags == ()

    # The questions of beta are listed too, unanswered: counts only, no index, no flag.
    beta = [item for item in items.values() if item.module == "beta"]
    assert beta and all(
        item.attempts == 0 and item.facility is None and item.discrimination is None
        for item in beta
    )
    assert all(item.flags == () and all(o.share is None for o in item.options) for item in beta)
    # Without an objective column, None; with one (issue 11 item 1), its value.
    assert q01.objective == getattr(db.session.get(Question, q01.question_id), "objective", None)


def test_every_ministry_is_pooled(answered: dict[str, Module]) -> None:
    # Five attempts each of Guatemala and Mexico: only pooled do they reach ten answers.
    assert stats.MIN_ANSWERS == 10
    q01 = _by_key(stats.item_statistics())["alfa/q01"]
    assert q01.attempts == 10 and q01.facility is not None


def test_below_the_minimum_there_are_counts_only(
    synced_content: dict[str, Module],  # noqa: F811
    make_user: Any,
) -> None:
    alfa = synced_content["alfa"]
    assert alfa.current_version is not None
    q01 = next(q for q in alfa.current_version.questions if q.key == "q01")
    for score, choice in [(100, "a"), (0, "b"), (100, "a")]:
        _attempt(make_user(password=None), alfa, score, {q01: choice})
    db.session.commit()
    item = _by_key(stats.item_statistics("alfa"))["alfa/q01"]
    assert (item.attempts, item.facility, item.discrimination, item.flags) == (3, None, None, ())
    assert [(o.key, o.chosen, o.share) for o in item.options] == [("a", 2, None), ("b", 1, None)]


def test_one_module_and_an_unknown_one(answered: dict[str, Module]) -> None:
    assert {item.module for item in stats.item_statistics("alfa")} == {"alfa"}
    assert {item.module for item in stats.item_statistics("beta")} == {"beta"}
    with pytest.raises(NotFound):
        stats.item_statistics("nada")


def test_five_queries_however_many_modules_and_answers(
    answered: dict[str, Module], queries: Any, make_user: Any
) -> None:
    with queries() as few:
        stats.item_statistics()
    # Ten more attempts at beta: more modules answered, more rows, the same queries.
    beta = answered["beta"]
    assert beta.current_version is not None
    questions = list(beta.current_version.questions)
    for n in range(10):
        choice = questions[0].choices[n % 2].key
        _attempt(make_user(password=None), beta, 10 * n, {questions[0]: choice})
    db.session.commit()
    with queries() as more:
        items = stats.item_statistics()
    # Attempts per version, the Kelley groups' bounds, the indices, the selections, the
    # questions.
    assert len(few) == len(more) == 5
    assert _by_key(items)[f"beta/{questions[0].key}"].attempts == 10


def test_the_command_prints_the_table_with_flags(answered: dict[str, Module], runner: Any) -> None:
    result = runner.invoke(args=["content", "item-report"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    q02 = next(line for line in lines if line.strip().startswith("q02"))
    assert q02.split()[:5] == ["q02", "true_false", "smuggling", "10", "1.00"]
    assert "too_easy, low_discrimination, unused_option" in q02
    q01 = next(line for line in lines if line.strip().startswith("q01"))
    assert q01.split()[3:7] == ["10", "0.60", "1.00", "-"]
    assert "options: a* 6 (60 %)  b 4 (40 %)" in result.output
    assert "true* 10 (100 %)  false! 0 (0 %)" in result.output
    assert "alfa (version 1)" in result.output and "beta (version 1)" in result.output
    assert NAME not in result.output and "@" not in result.output

    only = runner.invoke(args=["content", "item-report", "--module", "beta"])
    assert only.exit_code == 0 and "alfa (version" not in only.output


def test_the_command_refuses_an_unknown_module(answered: dict[str, Module], runner: Any) -> None:
    result = runner.invoke(args=["content", "item-report", "--module", "nada"])
    assert result.exit_code == 1
    assert "nada" in result.output and "Traceback" not in result.output


def test_the_admin_page(answered: dict[str, Module], admin: Any, logged_in: Any) -> None:
    client = logged_in(admin)
    response = client.get("/content/item-statistics?module=alfa")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Estadísticas de las preguntas</h1>" in html
    assert "<code>q02</code>" in html and "demasiado fácil" in html
    assert "discrimina poco" in html and "opción elegida por menos del 5 %" in html
    assert "<td>0.55</td>" in html and "<td>0.667</td>" in html
    assert 'href="/content/item-statistics"' in html  # in the navigation
    for n in range(len(ATTEMPTS)):
        assert f"{NAME} {n}" not in html
    assert "@" not in html.split("<main", 1)[-1].split("</main>", 1)[0]
    assert client.get("/content/item-statistics?module=nada").status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "learner", "regional", "issuer"])
def test_only_administrators_see_the_page(
    answered: dict[str, Module], make_user: Any, logged_in: Any, role: str
) -> None:
    client = logged_in(make_user(roles=[role]))
    response = client.get("/content/item-statistics")
    assert response.status_code == 403
    assert 'href="/content/item-statistics"' not in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client: Any) -> None:
    response = client.get("/content/item-statistics")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
