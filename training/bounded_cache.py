"""A small least-recently-used map shared by a process's threads: what the catalogue
keeps of immutable content and what the reports keep of computed figures."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

_MISSING = object()


class BoundedCache(Generic[V]):
    """Up to ``size`` values, the least recently used dropped first; 0 keeps nothing.
    Values are computed outside the lock: two threads may compute the same one at once,
    which costs time but never gives a wrong answer."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._values.get(key, _MISSING)
            if found is _MISSING:
                return None
            self._values.move_to_end(key)
            return found  # type: ignore[return-value]

    def put(self, key: Hashable, value: V) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def get_or_load(self, key: Hashable, load: Callable[[], V]) -> V:
        found = self.get(key)
        if found is not None:
            return found
        value = load()
        self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
