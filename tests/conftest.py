"""Shared fixtures: emulators, databases on every available backend, a running shop."""

import os

import pytest
from hypothesis import settings

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
