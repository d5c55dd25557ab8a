"""Reports: figures on learning, read from the database and never written to it.

This module gathers the public surface of the reports, defined in :mod:`.scope`,
:mod:`.queries`, :mod:`.completion`, :mod:`.summaries`, :mod:`.items` and
:mod:`.regional`.

Two audiences, two permissions (:mod:`training.authz`):

* **Ministry reports** (``view_ministry_reports``: coordinators for their own ministry,
  administrators for any ministry they name): completion per learner and module,
  summaries per post, per module and per cohort, overdue learners, and quiz item
  analysis. Every function works inside a :class:`Scope` built by :func:`scope`, which
  checks the ministry and every id given as a filter through ``authz``: an id of another
  ministry answers 404, exactly like one that does not exist.
* **Regional reports** (``view_regional_reports``): per ministry, counts and rates only.
  No query behind them selects a person's name, e-mail or id.

Definitions:

* *Learners* are users with the learner role; deactivated ones stay in every report
  (flagged ``inactive``), since their training happened.
* A learner's *status* on a module comes from their newest :class:`ModuleProgress` for
  it (the version they are on): no row is ``not_started``, a row without
  ``completed_at`` is ``in_progress``, a row with it ``completed``. ``best_score`` and
  ``completed_at`` come from the same row.
* The *program* is the cohort's when a cohort is filtered on, otherwise the first one
  (the consular program); its modules are the report's modules.

Filters: ``cohort`` and ``post`` narrow the learners of every ministry report;
``status`` narrows the completion rows; ``date_from``/``date_to`` (inclusive days, UTC)
narrow the completion rows to modules completed in the period and the item analysis to
attempts submitted in it. In the regional reports the dates narrow completions and
certificates; headcounts, starts and scores are as of today.

Every function runs a fixed number of SQL queries whatever the number of learners,
modules or attempts (the tests count them), and :func:`completion_stream` reads its rows
in chunks of :data:`CHUNK_ROWS`, so that an export of any size holds a bounded number of
rows in memory.
"""

from __future__ import annotations

from training.reports.completion import (
    CompletionRow,
    OverdueRow,
    completion_page,
    completion_stream,
    overdue_page,
    overdue_stream,
)
from training.reports.items import (
    GROUP_PERCENT,
    MIN_ANSWERS,
    REVIEW_DISCRIMINATION,
    REVIEW_FACILITY,
    ItemStatistic,
    group_size,
    item_analysis,
)
from training.reports.queries import (
    CHUNK_ROWS,
    count_learners,
)
from training.reports.regional import (
    MinistryRef,
    RegionalMinistry,
    RegionalModule,
    RegionalPeriod,
    regional_ministries,
    regional_modules,
    regional_periods,
)
from training.reports.scope import (
    COMPLETED,
    IN_PROGRESS_STATUS,
    NOT_STARTED,
    STATUSES,
    Filters,
    ModuleInfo,
    ProgramInfo,
    Scope,
    load_program,
    posts,
    report_ministry,
    scope,
)
from training.reports.summaries import (
    ExternalSummary,
    ModuleSummary,
    PostSummary,
    cohort_summaries,
    external_summaries,
    module_summaries,
    post_summaries,
)

__all__ = [
    "CHUNK_ROWS",
    "COMPLETED",
    "GROUP_PERCENT",
    "IN_PROGRESS_STATUS",
    "MIN_ANSWERS",
    "NOT_STARTED",
    "REVIEW_DISCRIMINATION",
    "REVIEW_FACILITY",
    "STATUSES",
    "CompletionRow",
    "ExternalSummary",
    "Filters",
    "ItemStatistic",
    "MinistryRef",
    "ModuleInfo",
    "ModuleSummary",
    "OverdueRow",
    "PostSummary",
    "ProgramInfo",
    "RegionalMinistry",
    "RegionalModule",
    "RegionalPeriod",
    "Scope",
    "cohort_summaries",
    "completion_page",
    "completion_stream",
    "count_learners",
    "external_summaries",
    "group_size",
    "item_analysis",
    "load_program",
    "module_summaries",
    "overdue_page",
    "overdue_stream",
    "post_summaries",
    "posts",
    "regional_ministries",
    "regional_modules",
    "regional_periods",
    "report_ministry",
    "scope",
]
