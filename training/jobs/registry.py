"""Every background task and periodic job, by name, with the domain function it runs.

The domain packages expose plain functions that take ids (JSON values) and run inside a
unit of work; this registry is the one place that names them. A task name is what a
service passes to :func:`training.background.after_commit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from training.certificates import archive, issuing
from training.exports import services as exports
from training.links import checker
from training.mail import services as mail
from training.reports import exports as report_exports

# The export kinds register themselves when their modules are imported.
EXPORT_KINDS = (archive.ZIP_EXPORT, report_exports.COMPLETION_XLSX)


def _run_due() -> None:
    from training.jobs import periodic

    periodic.run_due()


# name -> function(*args): the tasks services may ask for, and the one beat sends.
TASKS: dict[str, Callable[..., Any]] = {
    mail.DELIVER_TASK: mail.deliver_task,
    issuing.ISSUE_TASK: issuing.issue_one,
    exports.BUILD_TASK: exports.build,
    "jobs.run_due": _run_due,
}


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[], str]
    description: str


def _mail_sweep() -> str:
    return f"{mail.sweep()} messages handed over again"


def _exports_expire() -> str:
    return f"{exports.expire()} expired exports deleted"


def _links_check() -> str:
    results = checker.check_links()
    broken = sum(1 for _course, check in results if not check.ok)
    return f"{len(results)} links checked, {broken} broken"


PERIODIC: dict[str, PeriodicJob] = {
    job.name: job
    for job in (
        PeriodicJob(
            "mail.sweep",
            timedelta(minutes=5),
            _mail_sweep,
            "Send again failed mail, and mail left queued for over ten minutes.",
        ),
        PeriodicJob(
            "exports.expire",
            timedelta(hours=1),
            _exports_expire,
            "Delete the exports (and their files) past their lifetime.",
        ),
        PeriodicJob(
            "links.check",
            timedelta(hours=24),
            _links_check,
            "Check the URL of every active external course.",
        ),
    )
}
