from __future__ import annotations

import click
from flask.cli import AppGroup

from training.catalog.models import in_language
from training.cli_support import domain_errors_exit
from training.links import checker
from training.unit_of_work import transactional

links_cli = AppGroup("links", help="The external course registry.")


@links_cli.command("check")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=120),
    default=None,
    help="Seconds to wait for each site (default: LINK_CHECK_TIMEOUT, 10).",
)
@domain_errors_exit
@transactional
def check(timeout: float | None) -> None:
    """Fetch the URL of every active external course (HEAD, then GET when HEAD is
    refused) and record the result in its check history; coordinators' pages flag the
    broken ones. Exits 0 even when links are broken: the history is the report."""
    results = checker.check_links(timeout=timeout)
    broken = 0
    for course, result in results:
        if result.ok:
            state = f"ok      {result.status_code}"
        else:
            broken += 1
            state = f"BROKEN  {result.status_code or result.error}"
        click.echo(f"{state}  #{course.id} {in_language(course.title, 'es')} <{course.url}>")
    click.echo(f"{len(results)} links checked, {broken} broken.")
