"""A customer's access as the panel sees it, and the free trial."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from remnastore.db.models import PeriodKind
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.db.session import Database
from remnastore.domain.access import TrialTerms, days_left
from remnastore.domain.errors import DomainError, ServiceUnavailable, TrialNotAvailable
from remnastore.infra.clock import Clock
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import (
    PanelConfigurationError,
    PanelError,
    PanelUnavailable,
    PanelUsernameTaken,
)
from remnastore.panel.models import CreateUserRequest, PanelUser, UpdateUserRequest
from remnastore.services.access_grant import AccessGrant
from remnastore.services.accounts import CustomerView
from remnastore.services.device_limits import DeviceLimits
from remnastore.services.effective_settings import EffectiveSettings
from remnastore.services.notifications import ShopEvents
from remnastore.services.panel_cache import PanelSnapshot, PanelUserCache
from remnastore.services.panel_config import ConfigurationAlerts
from remnastore.services.panel_link import PanelLink

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccessOverview:
    """What "my subscription" shows."""

    status: str
    expires_at: datetime
    days_left: int
    used_bytes: int
    limit_bytes: int
    device_count: int | None
    device_limit: int | None
    link: str
    #: Happ's encrypted form of ``link``, where the panel offers one
    happ_link: str | None = None

    @property
    def active(self) -> bool:
        return self.status in {"ACTIVE", "LIMITED"} and self.days_left > 0


@dataclass(frozen=True)
class TrialGranted:
    expires_at: datetime
    days: int
    traffic_limit_bytes: int
    device_limit: int
    link: str


class SubscriptionService:
    def __init__(
        self,
        db: Database,
        panel: RemnawaveClient,
        link: PanelLink,
        clock: Clock,
        *,
        settings: EffectiveSettings,
        paid_squads: tuple[str, ...],
        external_squad: str | None = None,
        user_tag: str | None = None,
        access: AccessGrant,
        events: ShopEvents | None = None,
        cache: PanelUserCache | None = None,
    ) -> None:
        self._access = access
        self._events = events
        self._cache = cache
        self._db = db
        self._panel = panel
        self._link = link
        self._clock = clock
        self._settings = settings
        self._paid_squads = paid_squads
        self._external_squad = external_squad
        self._tag = user_tag
        #: told when the panel refuses the trial's squads (set once the admins' notifier exists)
        self.config_alerts: ConfigurationAlerts | None = None
        #: the device limit the panel really enforces (None: the user's own number is shown)
        self.device_limits: DeviceLimits | None = None

    @property
    def _trial(self) -> TrialTerms | None:
        """The trial terms in force (None: no trial), see EffectiveSettings."""
        return self._settings.current.trial_terms

    @property
    def trial_days(self) -> int:
        return self._trial.days if self._trial is not None else 0

    def trial_offered(self, customer: CustomerView) -> bool:
        """Whether the menu shows the trial button (the panel is checked again on activation)."""
        return self._trial is not None and not customer.trial_used

    async def overview(self, customer: CustomerView, *, with_devices: bool = True) -> AccessOverview | None:
        snapshot = await self._cache.get(customer, with_devices=with_devices) if self._cache else None
        if snapshot is None:
            snapshot = await self._snapshot(customer, with_devices)
            device_failed = with_devices and snapshot.user is not None and snapshot.device_count is None
            if self._cache is not None and not device_failed:
                await self._cache.put(customer, snapshot, with_devices=with_devices)
        user, device_count = snapshot.user, snapshot.device_count
        if user is None:
            return None
        now = self._clock.now()
        return AccessOverview(
            status=_effective_status(user, now),
            expires_at=user.expire_at,
            days_left=days_left(user.expire_at, now),
            used_bytes=user.used_traffic_bytes,
            limit_bytes=user.traffic_limit_bytes,
            device_count=device_count,
            device_limit=(
                await self.device_limits.effective(user.hwid_device_limit)
                if self.device_limits is not None
                else user.hwid_device_limit
            ),
            link=user.subscription_url,
            happ_link=user.happ_crypto_link,
        )

    async def _snapshot(self, customer: CustomerView, with_devices: bool) -> PanelSnapshot:
        user = await self._link.find(customer)
        device_count: int | None = None
        if user is not None and with_devices:
            try:
                device_count = len(await self._panel.list_devices(user.ref))
            except PanelError:
                device_count = None
        return PanelSnapshot(user, device_count)

    async def activate_trial(self, customer: CustomerView, *, description: str) -> TrialGranted:
        terms = self._trial
        if terms is None:
            raise TrialNotAvailable("trial-disabled")
        now = self._clock.now()
        async with self._db.session() as session:
            if not await CustomerRepository(session).claim_trial(customer.id, now):
                raise TrialNotAvailable("trial-already-used")
        try:
            user = await self._grant_trial(customer, terms, now, description)
        except BaseException:
            await self._release_trial(customer)
            raise
        expires = user.expire_at
        async with self._db.session() as session:
            subscriptions = SubscriptionRepository(session)
            await subscriptions.set_current(
                customer.id,
                kind="trial",
                tariff_code=None,
                expires_at=expires,
                traffic_limit_bytes=terms.traffic_limit_bytes,
                device_limit=terms.device_limit,
            )
        log.info("trial activated", extra={"customer_id": customer.id})
        if self._events is not None:
            self._events.trial_started(telegram_id=customer.telegram_id, days=terms.days)
        return TrialGranted(
            expires_at=expires,
            days=terms.days,
            traffic_limit_bytes=terms.traffic_limit_bytes,
            device_limit=terms.device_limit,
            link=user.subscription_url,
        )

    async def _grant_trial(
        self, customer: CustomerView, terms: TrialTerms, now: datetime, description: str
    ) -> PanelUser:
        existing = await self._link.find(customer)
        if existing is not None and existing.expire_at > now and existing.status in {"ACTIVE", "LIMITED"}:
            raise TrialNotAvailable("trial-has-access", expires=existing.expire_at)
        squads = list(terms.squads or self._paid_squads) or await self._all_squads()
        expires = terms.expires_at(now)

        def create(target: datetime) -> CreateUserRequest:
            return CreateUserRequest(
                username=self._link.username_for(customer.telegram_id),
                expire_at=target,
                telegram_id=customer.telegram_id,
                traffic_limit_bytes=terms.traffic_limit_bytes,
                traffic_limit_strategy=terms.traffic_strategy,
                hwid_device_limit=terms.device_limit or None,
                active_internal_squads=squads,
                external_squad_uuid=self._external_squad,
                description=description,
                tag=self._tag,
                status="ACTIVE",
            )

        # one grant per claim of the trial (an admin may give a customer the trial again)
        key = f"trial:{customer.id}:{int(now.timestamp())}"
        try:
            await self._access.reserve(
                customer.id,
                key=key,
                reason=PeriodKind.TRIAL.value,
                days=terms.days,
                starts_at=now,
                target=expires,
            )
            granted = await self._access.extend_to(
                customer,
                expires,
                PeriodKind.TRIAL.value,
                key=key,
                create=create,
                changes=UpdateUserRequest(
                    status="ACTIVE",
                    traffic_limit_bytes=terms.traffic_limit_bytes,
                    traffic_limit_strategy=terms.traffic_strategy,
                    hwid_device_limit=terms.device_limit or None,
                    active_internal_squads=squads,
                ),
                exact=True,
            )
            assert granted is not None  # created when missing
            user = granted.user
        except PanelUnavailable as exc:
            raise ServiceUnavailable() from exc
        except PanelConfigurationError as exc:
            if self.config_alerts is not None:
                await self.config_alerts.unknown_squads(squads, what="trial")
            raise ServiceUnavailable() from exc
        except PanelUsernameTaken as exc:
            log.error(
                "every panel username of the customer is taken: %s", exc, extra={"customer_id": customer.id}
            )
            raise PanelAccountConflict() from exc
        except PanelError as exc:
            log.error("panel refused the trial: %s", exc, extra={"customer_id": customer.id})
            raise ServiceUnavailable() from exc
        return user

    async def _all_squads(self) -> list[str]:
        try:
            return [uuid for uuid, _name in await self._panel.list_internal_squads()]
        except PanelUnavailable as exc:
            raise ServiceUnavailable() from exc

    async def _release_trial(self, customer: CustomerView) -> None:
        async with self._db.session() as session:
            await CustomerRepository(session).reset_trial(customer.id)


class PanelAccountConflict(DomainError):
    """The panel names the customer's account after another user; nothing was created."""

    text_key = "error-panel-account-conflict"


def _effective_status(user: PanelUser, now: datetime) -> str:
    """The panel flips ACTIVE to EXPIRED only on its next sweep; show the truth right away."""
    if user.status == "ACTIVE" and user.expire_at <= now:
        return "EXPIRED"
    return user.status if user.status in {"ACTIVE", "EXPIRED", "DISABLED", "LIMITED"} else "UNKNOWN"
