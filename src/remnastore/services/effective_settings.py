"""The settings in force: the configuration (and the catalogue file) as defaults, with what admins
changed in the bot (the ``settings_overrides`` table) on top.

Every part of the shop that sells, offers the trial, orders payment methods, shows menu links or checks
maintenance mode reads them from here. Changes are audited and reach every instance without a restart:
each instance compares the largest override version in the database with its own at most once per
``refresh_seconds`` and reloads when it differs (the instance that made a change reloads at once).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from remnastore.db.repositories.audit import AuditRepository
from remnastore.db.repositories.settings import SettingsRepository
from remnastore.db.session import Database
from remnastore.domain.access import GIB, TrialTerms
from remnastore.domain.catalogue import Catalogue, Period, Tariff
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.domain.typed_numbers import NotATypedNumber, parse_typed_money, typed_int_or_none
from remnastore.infra.clock import Clock

log = logging.getLogger(__name__)

#: the main menu's link buttons, in the order they are shown
LINK_KINDS = ("support", "channel", "status", "feedback", "terms")
TRIAL_FIELDS = ("days", "traffic_gb", "device_limit")
_TRIAL_BOUNDS = {"days": (1, 365), "traffic_gb": (0, 100_000), "device_limit": (0, 1000)}
MAX_MESSAGE = 1000
MAX_URL = 512
_WRITE_ATTEMPTS = 10


@dataclass(frozen=True)
class TrialOptions:
    enabled: bool
    days: int
    traffic_gb: int
    device_limit: int


@dataclass(frozen=True)
class Maintenance:
    enabled: bool = False
    message: str | None = None


@dataclass(frozen=True)
class Defaults:
    """What the configuration says, before any override."""

    catalogue: Catalogue
    trial: TrialOptions
    trial_strategy: str
    trial_squads: tuple[str, ...]
    #: the enabled payment providers, in the configured order
    methods: tuple[str, ...]
    links: Mapping[str, str | None]


@dataclass(frozen=True)
class Effective:
    """One consistent view of the settings in force."""

    version: int
    #: every tariff and period with prices in force (admin screens, fulfilment of orders already paid)
    full_catalogue: Catalogue
    #: what is on sale: disabled tariffs and periods left out
    catalogue: Catalogue
    disabled_tariffs: frozenset[str]
    disabled_periods: frozenset[tuple[str, str]]
    trial: TrialOptions
    trial_terms: TrialTerms | None
    #: every payment provider, in the order in force
    method_order: tuple[str, ...]
    disabled_methods: frozenset[str]
    links: Mapping[str, str] = field(default_factory=dict)
    maintenance: Maintenance = Maintenance()

    @property
    def enabled_methods(self) -> tuple[str, ...]:
        return tuple(m for m in self.method_order if m not in self.disabled_methods)


def _bool(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default


def _int(value: Any, default: int, name: str) -> int:
    low, high = _TRIAL_BOUNDS[name]
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return default


def _prices(tariff: Tariff, period: Period, overrides: Mapping[str, Any]) -> dict[str, Money]:
    prices = dict(period.prices)
    for currency in period.prices:
        raw = overrides.get(f"catalogue.price.{tariff.code}.{period.code}.{currency}")
        if isinstance(raw, str):
            try:
                money = Money.from_decimal(raw, currency)
            except ValueError:
                log.warning("ignored an invalid price override for %s/%s", tariff.code, period.code)
                continue
            if money.minor > 0:
                prices[currency] = money
    return prices


def build_effective(defaults: Defaults, overrides: Mapping[str, Any], version: int) -> Effective:
    """Apply ``overrides`` to ``defaults`` (invalid or unknown values are ignored, never fatal)."""
    tariffs: list[Tariff] = []
    on_sale: list[Tariff] = []
    disabled_tariffs: set[str] = set()
    disabled_periods: set[tuple[str, str]] = set()
    for tariff in defaults.catalogue.tariffs:
        periods = tuple(
            dataclasses.replace(period, prices=_prices(tariff, period, overrides))
            for period in tariff.periods
        )
        tariff = dataclasses.replace(tariff, periods=periods)
        tariffs.append(tariff)
        if not _bool(overrides.get(f"catalogue.tariff.{tariff.code}.enabled"), True):
            disabled_tariffs.add(tariff.code)
        selling = []
        for period in periods:
            if _bool(overrides.get(f"catalogue.period.{tariff.code}.{period.code}.enabled"), True):
                selling.append(period)
            else:
                disabled_periods.add((tariff.code, period.code))
        if tariff.code not in disabled_tariffs and selling:
            on_sale.append(dataclasses.replace(tariff, periods=tuple(selling)))
    base = defaults.catalogue
    trial = TrialOptions(
        enabled=_bool(overrides.get("trial.enabled"), defaults.trial.enabled),
        days=_int(overrides.get("trial.days"), defaults.trial.days, "days"),
        traffic_gb=_int(overrides.get("trial.traffic_gb"), defaults.trial.traffic_gb, "traffic_gb"),
        device_limit=_int(overrides.get("trial.device_limit"), defaults.trial.device_limit, "device_limit"),
    )
    terms = (
        TrialTerms(
            days=trial.days,
            traffic_limit_bytes=trial.traffic_gb * GIB,
            device_limit=trial.device_limit,
            traffic_strategy=defaults.trial_strategy,
            squads=defaults.trial_squads,
        )
        if trial.enabled
        else None
    )
    order_raw = overrides.get("payments.order")
    wanted = [m for m in order_raw if isinstance(m, str)] if isinstance(order_raw, list) else []
    order = [m for m in wanted if m in defaults.methods]
    order += [m for m in defaults.methods if m not in order]
    disabled_raw = overrides.get("payments.disabled")
    disabled = (
        frozenset(m for m in disabled_raw if m in defaults.methods)
        if isinstance(disabled_raw, list)
        else frozenset()
    )
    links: dict[str, str] = {}
    for kind in LINK_KINDS:
        raw = overrides.get(f"links.{kind}")
        url = raw if isinstance(raw, str) else defaults.links.get(kind)
        if url:
            links[kind] = url
    message = overrides.get("maintenance.message")
    return Effective(
        version=version,
        full_catalogue=dataclasses.replace(base, tariffs=tuple(tariffs)),
        catalogue=dataclasses.replace(base, tariffs=tuple(on_sale)),
        disabled_tariffs=frozenset(disabled_tariffs),
        disabled_periods=frozenset(disabled_periods),
        trial=trial,
        trial_terms=terms,
        method_order=tuple(order),
        disabled_methods=disabled,
        links=links,
        maintenance=Maintenance(
            enabled=_bool(overrides.get("maintenance.enabled"), False),
            message=message if isinstance(message, str) and message else None,
        ),
    )


def valid_link(url: str) -> bool:
    return 0 < len(url) <= MAX_URL and url.startswith(("https://", "http://", "tg://")) and " " not in url


class EffectiveSettings:
    """The one provider of the settings in force (see the module's docstring)."""

    def __init__(
        self, db: Database, defaults: Defaults, clock: Clock, *, refresh_seconds: float = 5.0
    ) -> None:
        self._db = db
        self.defaults = defaults
        self._clock = clock
        self._every = timedelta(seconds=refresh_seconds)
        self._current = build_effective(defaults, {}, 0)
        self._checked_at: datetime | None = None

    @property
    def current(self) -> Effective:
        """The settings as last loaded (call :meth:`refresh` first in a new unit of work)."""
        return self._current

    async def refresh(self, *, force: bool = False) -> Effective:
        """Reload when another instance (or this one) changed something; cheap when nothing did."""
        now = self._clock.now()
        if not force and self._checked_at is not None and now - self._checked_at < self._every:
            return self._current
        self._checked_at = now
        try:
            async with self._db.session() as session:
                repo = SettingsRepository(session)
                version = await repo.version()
                if version == self._current.version and not force:
                    return self._current
                overrides = await repo.all()
        except Exception:  # the database is down: keep serving the last settings known
            log.warning("could not reload the settings; keeping the ones in force", exc_info=True)
            return self._current
        self._current = build_effective(self.defaults, overrides, version)
        log.info("settings reloaded", extra={"settings_version": version})
        return self._current

    async def change(self, key: str, value: Any, *, actor_telegram_id: int) -> Effective:
        """Store one override (``value`` None: back to the default) and audit it, then reload."""
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                async with self._db.session() as session:
                    repo = SettingsRepository(session)
                    old = await repo.get(key)
                    version = await repo.put(key, value, actor_telegram_id=actor_telegram_id)
                    await AuditRepository(session).record(
                        actor_telegram_id,
                        "settings.change",
                        details={"key": key, "old": old, "new": value, "version": version},
                    )
                break
            except IntegrityError:  # another instance took the same version: try again
                if attempt == _WRITE_ATTEMPTS - 1:
                    raise
        return await self.refresh(force=True)

    # What the admin screens change; each validates first and raises DomainError with a locale key.

    def _item(self, tariff_code: str, period_code: str | None = None) -> tuple[Tariff, Period | None]:
        tariff = self._current.full_catalogue.tariff(tariff_code)
        if tariff is None:
            raise DomainError("settings-unknown-item")
        if period_code is None:
            return tariff, None
        period = tariff.period(period_code)
        if period is None:
            raise DomainError("settings-unknown-item")
        return tariff, period

    async def set_tariff_enabled(self, tariff_code: str, enabled: bool, *, actor: int) -> Effective:
        self._item(tariff_code)
        return await self.change(f"catalogue.tariff.{tariff_code}.enabled", enabled, actor_telegram_id=actor)

    async def set_period_enabled(
        self, tariff_code: str, period_code: str, enabled: bool, *, actor: int
    ) -> Effective:
        self._item(tariff_code, period_code)
        key = f"catalogue.period.{tariff_code}.{period_code}.enabled"
        return await self.change(key, enabled, actor_telegram_id=actor)

    async def set_price(
        self, tariff_code: str, period_code: str, currency: str, amount: str, *, actor: int
    ) -> Money:
        """Set a period's price in one of its currencies from what the admin typed ("249", "249.50")."""
        _, period = self._item(tariff_code, period_code)
        assert period is not None
        if currency not in period.prices:
            raise DomainError("settings-unknown-item")
        try:
            money = parse_typed_money(amount, currency)
        except NotATypedNumber:
            raise DomainError("settings-bad-price") from None
        if money.minor <= 0:
            raise DomainError("settings-bad-price")
        key = f"catalogue.price.{tariff_code}.{period_code}.{currency}"
        await self.change(key, str(money.to_decimal()), actor_telegram_id=actor)
        return money

    async def set_trial_enabled(self, enabled: bool, *, actor: int) -> Effective:
        return await self.change("trial.enabled", enabled, actor_telegram_id=actor)

    async def set_trial_value(self, name: str, text: str, *, actor: int) -> int:
        if name not in TRIAL_FIELDS:
            raise DomainError("settings-unknown-item")
        low, high = _TRIAL_BOUNDS[name]
        value = typed_int_or_none(text, low=low, high=high)
        if value is None:
            raise DomainError("settings-bad-number", low=low, high=high)
        await self.change(f"trial.{name}", value, actor_telegram_id=actor)
        return value

    async def move_method(self, method: str, step: int, *, actor: int) -> Effective:
        order = list(self._current.method_order)
        if method not in order:
            raise DomainError("settings-unknown-item")
        index = order.index(method)
        target = min(max(index + step, 0), len(order) - 1)
        order.insert(target, order.pop(index))
        return await self.change("payments.order", order, actor_telegram_id=actor)

    async def set_method_enabled(self, method: str, enabled: bool, *, actor: int) -> Effective:
        if method not in self._current.method_order:
            raise DomainError("settings-unknown-item")
        disabled = set(self._current.disabled_methods)
        if enabled:
            disabled.discard(method)
        else:
            disabled.add(method)
        ordered = [m for m in self._current.method_order if m in disabled]
        return await self.change("payments.disabled", ordered, actor_telegram_id=actor)

    async def set_link(self, kind: str, url: str | None, *, actor: int) -> Effective:
        """``url`` None removes the button (even one set in the configuration)."""
        if kind not in LINK_KINDS:
            raise DomainError("settings-unknown-item")
        if url is not None:
            url = url.strip()
            if not valid_link(url):
                raise DomainError("settings-bad-link")
        return await self.change(f"links.{kind}", url or "", actor_telegram_id=actor)

    async def set_maintenance(self, enabled: bool, *, actor: int) -> Effective:
        return await self.change("maintenance.enabled", enabled, actor_telegram_id=actor)

    async def set_maintenance_message(self, message: str | None, *, actor: int) -> Effective:
        """What customers are told during maintenance (None or blank: the standard text)."""
        text = (message or "").strip()
        if len(text) > MAX_MESSAGE:
            raise DomainError("settings-too-long", limit=MAX_MESSAGE)
        return await self.change("maintenance.message", text or None, actor_telegram_id=actor)
