"""Shared fixtures: emulators, databases on every available backend, a running shop."""

import gc
import os

import pytest
from hypothesis import settings

# Property-based tests (tests/property): a short profile for CI, a long one for `make fuzz`.
settings.register_profile("ci", max_examples=50, deadline=None)
settings.register_profile("fuzz", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.panel",
    "tests.fixtures.telegram",
    "tests.fixtures.shop",
    "tests.fixtures.providers",
    "tests.fixtures.renew_shop",
    "tests.fixtures.machka",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` exist only for the PostgreSQL(+Redis) backend: their SQLite variants are
    not generated at all (deselected), rather than collected and skipped."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("db_backend") if callspec is not None else None
        if item.get_closest_marker("postgres") is not None and backend == "sqlite":
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


#: every this many tests, what is left in memory is moved out of the garbage collector's reach
FREEZE_EVERY = 20
_finished = [0]


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Keep the garbage collector's full passes short in this long-lived process.

    Each shop a test starts leaves objects behind in the test process (mostly its parsed locale
    files), so a full collection walks more every test: after about 600 tests one took 6 s and held the
    event loop of the running shop past a reply's 5 s wait. Collecting and then freezing what survived
    every ``FREEZE_EVERY`` tests keeps each later collection to the objects of the last few tests.
    """
    _finished[0] += 1
    if _finished[0] % FREEZE_EVERY == 0:
        gc.collect()
        gc.freeze()
