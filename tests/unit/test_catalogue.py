"""The catalogue file: tariffs with periods, and optional add-ons, validated as a whole."""

from __future__ import annotations

from typing import Any

import pytest

from remnastore.domain.catalogue import GIB, CatalogueError, load_catalogue, parse_catalogue
from remnastore.domain.money import Money

TARIFF: dict[str, Any] = {
    "code": "basic",
    "traffic_gb": 100,
    "devices": 2,
    "periods": [{"code": "1m", "months": 1, "prices": {"RUB": "199.00"}}],
}


def catalogue_with(*addons: dict[str, Any]) -> dict[str, Any]:
    return {"tariffs": [TARIFF], "addons": list(addons)}


def test_addons_are_optional() -> None:
    assert parse_catalogue({"tariffs": [TARIFF]}).addons == ()


def test_the_default_catalogue_sells_traffic_and_devices() -> None:
    catalogue = load_catalogue()
    kinds = {addon.kind for addon in catalogue.addons}
    assert kinds == {"traffic", "devices"}
    for addon in catalogue.addons:
        assert addon.price("RUB") is not None and addon.price("XTR") is not None


def test_addons_are_parsed_with_names_prices_and_increments() -> None:
    catalogue = parse_catalogue(
        catalogue_with(
            {
                "code": "gb50",
                "kind": "traffic",
                "traffic_gb": 50,
                "name": {"ru": "+50 ГБ", "en": "+50 GB"},
                "prices": {"RUB": "99.50", "XTR": 75},
            },
            {"code": "dev2", "kind": "devices", "devices": 2, "name": "+2", "prices": {"XTR": 60}},
        )
    )
    traffic = catalogue.addon("gb50")
    devices = catalogue.addon("dev2")
    assert traffic is not None and devices is not None
    assert traffic.increment == 50 * GIB and devices.increment == 2
    assert traffic.name("en") == "+50 GB" and traffic.name("ru") == "+50 ГБ" and devices.name("en") == "+2"
    assert traffic.price("RUB") == Money(9950, "RUB") and traffic.price("USD") is None
    assert catalogue.addon("nosuch") is None
    assert catalogue.currencies == ("RUB", "XTR")


@pytest.mark.parametrize(
    ("addon", "message"),
    [
        ({"code": "x", "kind": "speed", "prices": {"XTR": 1}}, "kind must be one of"),
        ({"code": "x", "kind": "traffic", "prices": {"XTR": 1}}, "traffic_gb must be"),
        ({"code": "x", "kind": "traffic", "traffic_gb": 0, "prices": {"XTR": 1}}, "traffic_gb must be"),
        ({"code": "x", "kind": "traffic", "traffic_gb": 1.5, "prices": {"XTR": 1}}, "traffic_gb must be"),
        ({"code": "x", "kind": "devices", "devices": -1, "prices": {"XTR": 1}}, "devices must be"),
        ({"code": "x", "kind": "devices", "devices": True, "prices": {"XTR": 1}}, "devices must be"),
        ({"code": "x", "kind": "devices", "devices": 1, "traffic_gb": 5, "prices": {"XTR": 1}}, "not"),
        ({"code": "x", "kind": "devices", "devices": 1}, "prices must be"),
        ({"code": "x", "kind": "devices", "devices": 1, "prices": {"XTR": 0}}, "must be positive"),
        ({"code": "x", "kind": "devices", "devices": 1, "prices": {"RUB": 9.99}}, "not a float"),
        ({"code": "x", "kind": "devices", "devices": 1, "prices": {"ZZZ": "1"}}, "unknown currency"),
        ({"code": "Bad Code", "kind": "devices", "devices": 1, "prices": {"XTR": 1}}, "code must be"),
    ],
)
def test_invalid_addons_are_refused_with_the_entry_named(addon: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(catalogue_with(addon))


def test_addon_codes_must_be_unique() -> None:
    addon = {"code": "dev1", "kind": "devices", "devices": 1, "prices": {"XTR": 50}}
    with pytest.raises(CatalogueError, match="addon codes must be unique"):
        parse_catalogue(catalogue_with(addon, dict(addon, devices=2)))


def test_addons_must_be_a_list_of_tables() -> None:
    with pytest.raises(CatalogueError, match="list of"):
        parse_catalogue({"tariffs": [TARIFF], "addons": {"code": "x"}})
    with pytest.raises(CatalogueError, match="expected a table"):
        parse_catalogue(catalogue_with("dev1"))  # type: ignore[arg-type]
