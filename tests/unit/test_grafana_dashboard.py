"""The Grafana dashboard in deploy/ queries only series the shop exports, with labels they carry and
label values the code emits (it once filtered the payments on ``state="paid"``, which nothing emitted)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from remnastore.infra.metrics import Metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json"
#: labels Prometheus adds to every series it scrapes
TARGET_LABELS = frozenset({"instance"})
SELECTOR = re.compile(r"(remnastore_\w+)(?:\{([^}]*)\})?")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


def expressions(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        return found + [e for value in node.values() for e in expressions(value)]
    if isinstance(node, list):
        return [e for value in node for e in expressions(value)]
    return []


def problems(exprs: list[str], metrics: Metrics) -> list[str]:
    series = metrics.series()
    found: list[str] = []
    for expr in exprs:
        names = [name for name, _ in SELECTOR.findall(expr)]
        for name, selector in SELECTOR.findall(expr):
            if name not in series:
                found.append(f"{name}: not exported")
                continue
            for label, op, value in MATCHER.findall(selector):
                if label in TARGET_LABELS:
                    continue
                if label not in series[name]:
                    found.append(f"{name}: no label {label}")
                    continue
                allowed = Metrics.LABEL_VALUES.get((name, label))
                if op == "=" and (allowed is None or value not in allowed):
                    found.append(f'{name}: {label}="{value}" is never emitted')
        for grouping in GROUPING.findall(expr):
            for label in (part.strip() for part in grouping.split(",") if part.strip()):
                for name in names:
                    if name in series and label not in series[name] | TARGET_LABELS:
                        found.append(f"{name}: grouped by {label}, which it does not carry")
    return found


def test_the_dashboard_queries_only_what_the_shop_exports() -> None:
    exprs = expressions(json.loads(DASHBOARD.read_text(encoding="utf-8")))
    assert len(exprs) > 10
    assert any("remnastore_payments_total" in e for e in exprs)
    assert problems(exprs, Metrics(version="test")) == []


def test_the_check_catches_a_filter_on_a_value_never_emitted() -> None:
    metrics = Metrics(version="test")
    assert problems(['sum(remnastore_payments_total{state="credited"})'], metrics) == [
        'remnastore_payments_total: state="credited" is never emitted'
    ]
    assert problems(["sum by (shop) (rate(remnastore_updates_total[5m]))"], metrics) == [
        "remnastore_updates_total: grouped by shop, which it does not carry"
    ]
    assert problems(["remnastore_nothing_total"], metrics) == ["remnastore_nothing_total: not exported"]


def test_every_way_of_paying_uses_the_states_the_dashboard_knows() -> None:
    metrics = Metrics(version="test")
    metrics.payment("stars", "paid")
    assert (
        metrics.registry.get_sample_value("remnastore_payments_total", {"provider": "stars", "state": "paid"})
        == 1.0
    )
    with pytest.raises(ValueError, match="unknown payment state 'credited'"):
        metrics.payment("stars", "credited")
