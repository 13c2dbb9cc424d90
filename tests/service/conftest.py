"""The service-level shop: the order services around in-process fakes, on the real database."""

from __future__ import annotations

import pytest

from remnastore.db.session import Database
from tests.service.shop import Shop


@pytest.fixture
async def shop(database: Database) -> Shop:
    return Shop(database)
