"""The catalogue: tariffs sold for periods, with prices per currency, and optional add-ons.

Loaded from a TOML file and validated as a whole at start-up; everything the checkout charges is
looked up here by id, never taken from a button.
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from remnastore.domain.money import Money, UnknownCurrency

DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue" / "default.toml"
STRATEGIES = {"NO_RESET", "DAY", "WEEK", "MONTH", "MONTH_ROLLING"}
#: what a renewal of a tariff with limited traffic does with the traffic (the used traffic is reset by all):
#: "reset" - a fresh tariff limit (traffic bought as add-ons ends with the period);
#: "keep_addons" - a fresh tariff limit plus the traffic bought as add-ons (the default);
#: "carry_over" - a fresh tariff limit plus whatever was left unused of the period's limit
RENEWAL_TRAFFIC = ("reset", "keep_addons", "carry_over")
DEFAULT_RENEWAL_TRAFFIC = "keep_addons"


def renewal_traffic_limit(
    policy: str, tariff_limit: int, *, recorded_limit: int | None, panel_limit: int, panel_used: int
) -> int:
    """The traffic limit a renewal of the same tariff sets (bytes; 0 = unlimited)."""
    if tariff_limit == 0:
        return 0
    if policy == "reset":
        return tariff_limit
    if policy == "carry_over":
        limit = panel_limit or recorded_limit or tariff_limit
        return tariff_limit + max(0, limit - panel_used)
    return tariff_limit + max(0, (recorded_limit or tariff_limit) - tariff_limit)


ADDON_KINDS = ("traffic", "devices")
_ADDON_FIELDS = {"traffic": "traffic_gb", "devices": "devices"}
GIB = 1024**3
_CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


class CatalogueError(ValueError):
    """The catalogue file is invalid; the message names the entry and the field."""


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later, the day clamped to the month's length (31 Jan + 1 month = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Period:
    code: str
    months: int
    days: int
    prices: Mapping[str, Money]

    def extend(self, start: datetime) -> datetime:
        end = add_months(start, self.months) if self.months else start
        return end + timedelta(days=self.days)

    @property
    def approx_days(self) -> int:
        return self.months * 30 + self.days

    def price(self, currency: str) -> Money | None:
        return self.prices.get(currency)


@dataclass(frozen=True)
class Tariff:
    code: str
    names: Mapping[str, str]
    descriptions: Mapping[str, str]
    traffic_limit_bytes: int
    device_limit: int
    traffic_strategy: str
    squads: tuple[str, ...]
    periods: tuple[Period, ...]
    #: one of RENEWAL_TRAFFIC: what a renewal does with the traffic of a limited tariff
    renewal_traffic: str = DEFAULT_RENEWAL_TRAFFIC

    def name(self, language: str) -> str:
        return self.names.get(language) or next(iter(self.names.values()))

    def description(self, language: str) -> str:
        return self.descriptions.get(language, "")

    def period(self, code: str) -> Period | None:
        return next((p for p in self.periods if p.code == code), None)


@dataclass(frozen=True)
class Addon:
    """Something bought on top of an active paid subscription: more traffic or more devices."""

    code: str
    kind: str  # "traffic" or "devices"
    quantity: int  # GB of traffic or number of devices
    names: Mapping[str, str]
    prices: Mapping[str, Money]

    def name(self, language: str) -> str:
        return self.names.get(language) or next(iter(self.names.values()))

    def price(self, currency: str) -> Money | None:
        return self.prices.get(currency)

    @property
    def increment(self) -> int:
        """What the add-on adds to the panel user's limit: bytes of traffic or devices."""
        return self.quantity * GIB if self.kind == "traffic" else self.quantity


@dataclass(frozen=True)
class Catalogue:
    tariffs: tuple[Tariff, ...]
    currencies: tuple[str, ...] = field(default=())
    addons: tuple[Addon, ...] = field(default=())

    def tariff(self, code: str) -> Tariff | None:
        return next((t for t in self.tariffs if t.code == code), None)

    def addon(self, code: str) -> Addon | None:
        return next((a for a in self.addons if a.code == code), None)

    def item(self, tariff_code: str, period_code: str) -> tuple[Tariff, Period] | None:
        tariff = self.tariff(tariff_code)
        period = tariff.period(period_code) if tariff is not None else None
        return (tariff, period) if tariff is not None and period is not None else None


def _code(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 16 or set(value) - _CODE_CHARS:
        raise CatalogueError(f"{where}: code must be 1-16 characters of a-z, 0-9, _ and -")
    return value


def _texts(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"ru": value, "en": value}
    if not isinstance(value, dict) or not value or not all(isinstance(v, str) for v in value.values()):
        raise CatalogueError(f"{where}: expected a text or a table of texts per language")
    return dict(value)


def _prices(value: Any, where: str) -> dict[str, Money]:
    if not isinstance(value, dict) or not value:
        raise CatalogueError(f'{where}: prices must be a table such as {{ RUB = "199.00", XTR = 150 }}')
    prices: dict[str, Money] = {}
    for code, amount in value.items():
        if isinstance(amount, float):
            raise CatalogueError(f'{where}.{code}: write the price as a string ("199.00"), not a float')
        try:
            money = Money.from_decimal(str(amount), code)
        except UnknownCurrency:
            raise CatalogueError(f"{where}: unknown currency {code}") from None
        except ValueError as exc:
            raise CatalogueError(f"{where}.{code}: {exc}") from None
        if money.minor <= 0:
            raise CatalogueError(f"{where}.{code}: price must be positive")
        prices[money.currency] = money
    return prices


def _period(raw: Any, where: str) -> Period:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: expected a table")
    code = _code(raw.get("code"), where)
    months, days = raw.get("months", 0), raw.get("days", 0)
    if (
        not isinstance(months, int)
        or not isinstance(days, int)
        or months < 0
        or days < 0
        or months + days == 0
    ):
        raise CatalogueError(f"{where} ({code}): set months and/or days (whole positive numbers)")
    return Period(code, months, days, _prices(raw.get("prices"), f"{where} ({code}).prices"))


def _tariff(raw: Any, where: str) -> Tariff:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: expected a table")
    code = _code(raw.get("code"), where)
    where = f"tariff {code}"
    traffic = raw.get("traffic_gb", 0)
    devices = raw.get("devices", 0)
    strategy = raw.get("traffic_strategy", "NO_RESET")
    squads = raw.get("squads", [])
    renewal_traffic = raw.get("renewal_traffic", DEFAULT_RENEWAL_TRAFFIC)
    if renewal_traffic not in RENEWAL_TRAFFIC:
        raise CatalogueError(f"{where}: renewal_traffic must be one of {', '.join(RENEWAL_TRAFFIC)}")
    if not isinstance(traffic, int) or traffic < 0:
        raise CatalogueError(f"{where}: traffic_gb must be a whole number >= 0 (0 = unlimited)")
    if not isinstance(devices, int) or devices < 0:
        raise CatalogueError(f"{where}: devices must be a whole number >= 0 (0 = the panel's default)")
    if strategy not in STRATEGIES:
        raise CatalogueError(f"{where}: traffic_strategy must be one of {', '.join(sorted(STRATEGIES))}")
    if not isinstance(squads, list) or not all(isinstance(s, str) for s in squads):
        raise CatalogueError(f"{where}: squads must be a list of squad UUIDs")
    periods_raw = raw.get("periods")
    if not isinstance(periods_raw, list) or not periods_raw:
        raise CatalogueError(f"{where}: add at least one [[tariffs.periods]]")
    periods = tuple(_period(p, f"{where} period #{i + 1}") for i, p in enumerate(periods_raw))
    if len({p.code for p in periods}) != len(periods):
        raise CatalogueError(f"{where}: period codes must be unique")
    return Tariff(
        code=code,
        names=_texts(raw.get("name", code), f"{where}.name"),
        descriptions=_texts(raw.get("description", ""), f"{where}.description")
        if raw.get("description")
        else {},
        traffic_limit_bytes=traffic * 1024**3,
        device_limit=devices,
        traffic_strategy=strategy,
        squads=tuple(squads),
        periods=periods,
        renewal_traffic=renewal_traffic,
    )


def _addon(raw: Any, where: str) -> Addon:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: expected a table")
    code = _code(raw.get("code"), where)
    where = f"addon {code}"
    kind = raw.get("kind")
    if kind not in ADDON_KINDS:
        raise CatalogueError(f"{where}: kind must be one of {', '.join(ADDON_KINDS)}")
    wanted = _ADDON_FIELDS[kind]
    for other in _ADDON_FIELDS.values():
        if other != wanted and other in raw:
            raise CatalogueError(f"{where}: a {kind} add-on takes {wanted}, not {other}")
    quantity = raw.get(wanted)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise CatalogueError(f"{where}: {wanted} must be a whole number > 0")
    return Addon(
        code=code,
        kind=kind,
        quantity=quantity,
        names=_texts(raw.get("name", code), f"{where}.name"),
        prices=_prices(raw.get("prices"), f"{where}.prices"),
    )


def parse_catalogue(data: Mapping[str, Any]) -> Catalogue:
    tariffs_raw = data.get("tariffs")
    if not isinstance(tariffs_raw, list) or not tariffs_raw:
        raise CatalogueError("the catalogue has no [[tariffs]]")
    tariffs = tuple(_tariff(t, f"tariff #{i + 1}") for i, t in enumerate(tariffs_raw))
    if len({t.code for t in tariffs}) != len(tariffs):
        raise CatalogueError("tariff codes must be unique")
    addons_raw = data.get("addons", [])
    if not isinstance(addons_raw, list):
        raise CatalogueError("addons must be a list of [[addons]] tables")
    addons = tuple(_addon(a, f"addon #{i + 1}") for i, a in enumerate(addons_raw))
    if len({a.code for a in addons}) != len(addons):
        raise CatalogueError("addon codes must be unique")
    currencies = sorted(
        {c for t in tariffs for p in t.periods for c in p.prices} | {c for a in addons for c in a.prices}
    )
    return Catalogue(tariffs, tuple(currencies), addons)


def uses_example_catalogue(path: Path | str | None) -> bool:
    """Whether the shop sells from the shipped example: no CATALOGUE_FILE, or a file with the same content."""
    if not path:
        return True
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8")) == tomllib.loads(
            DEFAULT_CATALOGUE.read_text(encoding="utf-8")
        )
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    file = Path(path) if path else DEFAULT_CATALOGUE
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"catalogue file {file} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{file}: {exc}") from None
    return parse_catalogue(data)
