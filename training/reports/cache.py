"""Reports: computed figures kept in the process while the data they come from is
unchanged.

The item analyses read every graded answer of a ministry (265,000 for 5,000 staff), and
their figures change only when an attempt is graded. Each figure is kept under its key
(the report and its filters) with the *version* of its data, a tuple the report reads in
one cheap query (per module version: how many graded attempts, the sum of their ids and
of score × id, from an index). A request whose version matches reuses the figures;
any new, removed or regraded attempt among those the report reads gives another version,
and the figures are computed again. Nothing is shared between processes and nothing
another worker needs lives here: each worker computes its own copy on its first request.

The cache holds at most ``REPORT_CACHE_ENTRIES`` figures per process (least recently
used out first); 0 turns it off.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app

from training.bounded_cache import BoundedCache

T = TypeVar("T")

_EXTENSION = "reports.results"


class ResultCache:
    """A bounded, thread-safe map of key to (version, value)."""

    def __init__(self, entries: int) -> None:
        self._values: BoundedCache[tuple[Hashable, Any]] = BoundedCache(entries)

    def get_or_compute(self, key: Hashable, version: Hashable, compute: Callable[[], T]) -> T:
        """The value kept under ``key`` when it was computed from data at ``version``;
        otherwise ``compute()``, kept for the next request."""
        found = self._values.get(key)
        if found is not None and found[0] == version:
            value: T = found[1]
            return value
        value = compute()
        self._values.put(key, (version, value))
        return value

    def __len__(self) -> int:
        return len(self._values)


def results() -> ResultCache:
    """The application's cache of report figures (made on first use)."""
    cache = current_app.extensions.get(_EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(
            _EXTENSION, ResultCache(int(current_app.config.get("REPORT_CACHE_ENTRIES", 64)))
        )
    return cache
