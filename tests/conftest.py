"""Shared fixtures: emulators, databases on every available backend, a running shop."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.panel",
    "tests.fixtures.telegram",
    "tests.fixtures.shop",
    "tests.fixtures.providers",
]
