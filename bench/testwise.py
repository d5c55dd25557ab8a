"""How far a learner who reads nothing gets: the assessment's own benchmark.

Simulates test-wise learners on the question banks of a content folder, with the real
draw (stratified by objective, unseen questions first on a retake) and the real grading,
and prints per module the share who pass within the allowed attempts. Strategies:

* ``longest``: the longest option of a single-choice item (in Spanish), "false" on a
  true/false item, the two longest options of a multiple-response item, the longest
  option at each step of a scenario (the cue the issue measured: 78 of 80 single-choice
  items had the correct option longest);
* ``random``: an option at random (a multiple-response item: a random non-empty subset).

No database: the banks are read with the content loader, as ``content validate`` does.

    .venv/bin/python bench/testwise.py [CONTENT_FOLDER] [--learners 2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.catalog.content import load
from training.quizzes import draw, grading, scenarios


@dataclass(frozen=True)
class Item:
    """Just what the draw and the grading need of a question."""

    id: int
    objective: str
    data: dict[str, Any]


def _longest(options: list[dict[str, Any]], count: int = 1) -> list[str]:
    ranked = sorted(options, key=lambda option: len(option["text"]["es"]), reverse=True)
    return [option["id"] for option in ranked[:count]]


def answer(item: Item, strategy: str, rng: random.Random) -> float:
    question = item.data
    if question["type"] == "scenario":
        path: list[str] = []
        step = scenarios.walk(question, path).current
        while step is not None:
            if strategy == "longest":
                choice = _longest(step["choices"])[0]
            else:
                choice = rng.choice(step["choices"])["id"]
            path.append(choice)
            step = scenarios.walk(question, path).current
        return scenarios.credit(question, path)
    choices = question["choices"]
    if strategy == "longest":
        if question["type"] == "true_false":
            picked = ["false"]
        else:
            picked = _longest(choices, 2 if question["type"] == "multiple" else 1)
    elif question["type"] == "multiple":
        picked = [c["id"] for c in rng.sample(choices, rng.randint(1, len(choices)))]
    else:
        picked = [rng.choice(choices)["id"]]
    ids = {choice["id"]: index for index, choice in enumerate(choices)}
    correct = frozenset(ids[c["id"]] for c in choices if c["correct"])
    return grading.grade(question["type"], correct, frozenset(ids[p] for p in picked))


def passes(module: Any, strategy: str, rng: random.Random) -> bool:
    quiz = module.quiz
    objectives = [objective["id"] for objective in module.data["objectives"]]
    bank = [Item(n, q["objective"], q) for n, q in enumerate(quiz["questions"], start=1)]
    seen: dict[int, int] = {}
    for number in range(1, quiz["max_attempts"] + 1):
        drawn = draw.draw(bank, objectives, quiz["questions_per_attempt"], seen, rng)  # type: ignore[arg-type]
        for item in drawn:
            seen[item.id] = number
        credits = [answer(item, strategy, rng) for item in drawn]
        if grading.score(credits) >= quiz["pass_mark"]:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("content", nargs="?", default=str(ROOT / "content" / "manual_modules"))
    parser.add_argument("--learners", type=int, default=2000)
    args = parser.parse_args()
    bundle, problems = load(Path(args.content), item_checks_mode="skip")
    if bundle is None:
        sys.exit("\n".join(str(problem) for problem in problems))
    print(f"{args.learners} simulated learners per module and strategy, who read nothing")
    print(f"{'module':28} {'longest':>8} {'random':>8}")
    rates: dict[str, list[float]] = {"longest": [], "random": []}
    for module in bundle.modules:
        row = []
        for strategy in rates:
            rng = random.Random(f"{module.slug} {strategy}")
            share = sum(passes(module, strategy, rng) for _ in range(args.learners))
            rates[strategy].append(share / args.learners)
            row.append(f"{100 * share / args.learners:7.1f}%")
        print(f"{module.slug:28} {row[0]:>8} {row[1]:>8}")
    print(
        f"{'median':28} {100 * statistics.median(rates['longest']):7.1f}% "
        f"{100 * statistics.median(rates['random']):7.1f}%"
    )


if __name__ == "__main__":
    main()
