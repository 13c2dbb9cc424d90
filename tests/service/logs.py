"""The seller's log lines as tests see them: level, message and the structured fields the JSON log
carries (``extra``)."""

from __future__ import annotations

import pytest

FIELDS = ("order_id", "provider", "kind", "customer_id", "promo_id", "reason")


def lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[tuple[str, str, dict[str, object]]]:
    """What ``logger`` wrote: (level, message, the fields among :data:`FIELDS` it carried)."""
    return [
        (r.levelname, r.getMessage(), {k: r.__dict__[k] for k in FIELDS if k in r.__dict__})
        for r in caplog.records
        if r.name == logger
    ]
