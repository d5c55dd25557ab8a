"""Fixtures of the system tests (see harness.py for what they start and their settings)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.system_deploy.harness import Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The processes a test module starts, stopped after its last test; their logs are
    printed then (pytest shows them when a test failed)."""
    started = Stack(tmp_path_factory.mktemp("stack"))
    try:
        yield started
    finally:
        started.stop()
        print(started.logs())
