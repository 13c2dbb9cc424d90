"""Callback data factories. Buttons carry ids and actions only, never prices or amounts."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from pydantic import Field


class Screen(StrEnum):
    MAIN = "main"
    SUBSCRIPTION = "sub"
    TRIAL = "trial"
    DEVICES = "dev"
    LANGUAGE = "lang"
    QR = "qr"
    BUY = "buy"
    BALANCE = "bal"
    TOPUP_OTHER = "topup"
    REFERRALS = "ref"
    PROMO = "promo"
    AUTORENEW = "ar"
    CABINET = "cab"
    CABINET_CODE = "cabc"


class Nav(CallbackData, prefix="n"):
    """Open a screen."""

    screen: Screen


_NAV_DATA: dict[Screen, str] = {screen: Nav(screen=screen).pack() for screen in Screen}


def nav_data(screen: Screen) -> str:
    """``Nav(screen=screen).pack()``, packed once per screen at import."""
    return _NAV_DATA[screen]


class SetLanguage(CallbackData, prefix="l"):
    code: str = Field(pattern=r"^[a-z]{2}$")


class DisconnectDevice(CallbackData, prefix="dd"):
    token: str = Field(pattern=r"^[0-9a-f]{16}$")


class BuyTariff(CallbackData, prefix="bt"):
    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")


class BuyPeriod(CallbackData, prefix="bp"):
    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    period: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")


class BuyMethod(CallbackData, prefix="bm"):
    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    period: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class CheckOrder(CallbackData, prefix="co"):
    order: str = Field(pattern=r"^[0-9a-f-]{32,36}$")


class TopUpAmount(CallbackData, prefix="ta"):
    """A top-up amount, by its position in the configured list."""

    index: int = Field(ge=0, le=50)


class TopUpMethod(CallbackData, prefix="tm"):
    index: int = Field(ge=0, le=50)
    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class AdminCallback(CallbackData, prefix="a"):
    """The base of every admin button: its prefix marks the button as admin-only (see :func:`admin_prefixes`).

    Admin buttons pressed by somebody who is not an admin are refused before any handler sees them.
    """


def admin_prefixes() -> frozenset[str]:
    """The prefixes of every admin callback class (subclasses of :class:`AdminCallback`, at any depth)."""
    found: set[str] = set()
    pending: list[type[CallbackData]] = list(AdminCallback.__subclasses__())
    while pending:
        cls = pending.pop()
        found.add(cls.__prefix__)
        pending.extend(cls.__subclasses__())
    return frozenset(found)


class AdminOrders(AdminCallback, prefix="ao"):
    status: str = Field(pattern=r"^[a-z]{3,10}$")
    page: int = Field(ge=0, le=100_000)


class AdminOrder(AdminCallback, prefix="aoc"):
    order: str = Field(pattern=r"^[0-9a-f]{32}$")
    action: str = Field(default="view", pattern=r"^(view|refund|confirm)$")


class AdminOrdersCsv(AdminCallback, prefix="aox"):
    status: str = Field(pattern=r"^[a-z]{3,10}$")


class TopUpOtherMethod(CallbackData, prefix="to"):
    """Pay a top-up of the amount the customer typed (kept in the conversation state, not in the button)."""

    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class AddonKind(CallbackData, prefix="ak"):
    """The add-ons of one kind (more traffic, more devices)."""

    kind: str = Field(pattern=r"^(traffic|devices)$")


class AddonPick(CallbackData, prefix="ap"):
    addon: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")


class AddonMethod(CallbackData, prefix="am"):
    addon: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class AutoRenewAction(CallbackData, prefix="ara"):
    """Auto-renewal: turn it off (and delete the card) or on from the balance."""

    action: str = Field(pattern=r"^(off|balance)$")


class BuyAutoRenew(CallbackData, prefix="bar"):
    """Pay a period with a provider that keeps the card, and renew with it automatically."""

    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    period: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class BuyGift(CallbackData, prefix="bg"):
    """Buy this period as a gift: choose how to pay."""

    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    period: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")


class GiftMethod(CallbackData, prefix="gm"):
    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    period: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class AdminSection(StrEnum):
    """The sections of the admin menu. Each admin router module handles ``AdminNav`` for its own section."""

    STATS = "st"
    CUSTOMERS = "cu"
    ORDERS = "or"
    BROADCASTS = "bc"
    PROMOS = "pr"
    CAMPAIGNS = "cp"
    SYNC = "sy"
    SETTINGS = "se"
    MAINTENANCE = "mt"
    HEALTH = "he"
    BACKUPS = "bk"
    RECEIPTS = "rc"


class AdminNav(AdminCallback, prefix="an"):
    """Open an admin section (or the admin menu itself with ``section=None``)."""

    section: AdminSection | None = None


class AdminStatsRefresh(AdminCallback, prefix="asr"):
    """Recompute the statistics now instead of showing the briefly cached figures."""


class AdminCustomers(AdminCallback, prefix="acl"):
    """A page of customers, newest first."""

    page: int = Field(default=0, ge=0, le=1_000_000)


class AdminCustomerSearch(AdminCallback, prefix="acs"):
    """Ask for a search query (Telegram id, @username or panel username)."""


class CustomerAction(StrEnum):
    VIEW = "view"
    BAN = "ban"
    UNBAN = "unban"
    EXTEND = "ext"
    EXPIRY = "exp"
    DEVICES = "dev"
    TRAFFIC = "trf"
    REVOKE = "rvk"
    TRIAL = "trl"
    MESSAGE = "msg"
    REFUND = "rfd"
    DELETE = "del"


class AdminCustomer(AdminCallback, prefix="acu"):
    """A customer's card (``action=view``) or one action on the customer."""

    customer: int = Field(ge=1, le=2**62)
    action: CustomerAction = CustomerAction.VIEW


class SettingAction(StrEnum):
    HOME = "h"
    TARIFFS = "ts"
    TARIFF = "t"
    TARIFF_TOGGLE = "tt"
    PERIOD = "p"
    PERIOD_TOGGLE = "pt"
    PRICE = "pr"
    TRIAL = "tr"
    TRIAL_TOGGLE = "trt"
    TRIAL_EDIT = "tre"
    METHODS = "ms"
    METHOD_TOGGLE = "mt"
    METHOD_UP = "mu"
    METHOD_DOWN = "md"
    LINKS = "ls"
    LINK_EDIT = "le"
    LINK_REMOVE = "lr"


class AdminSetting(AdminCallback, prefix="as"):
    """A settings screen or change: the action and the ids it concerns (never a price or a link)."""

    action: SettingAction
    tariff: str = Field(default="", pattern=r"^[a-z0-9_-]{0,16}$")
    period: str = Field(default="", pattern=r"^[a-z0-9_-]{0,16}$")
    item: str = Field(default="", pattern=r"^[A-Za-z0-9_]{0,16}$")


class AdminMaintenance(AdminCallback, prefix="amt"):
    action: str = Field(pattern=r"^(on|off|message|clear)$")


class AdminReceiptRetry(AdminCallback, prefix="arr"):
    """Send a failed tax receipt (or its cancellation) again."""

    receipt: int = Field(ge=1)


class AdminBackup(AdminCallback, prefix="abk"):
    action: str = Field(pattern=r"^(create|send)$")
    name: str = Field(default="", pattern=r"^(remnastore-\d{8}-\d{6}Z(-\d{1,4})?\.tar\.gz)?$")


class AdminPromoList(AdminCallback, prefix="apl"):
    page: int = Field(ge=0, le=100_000)


class AdminPromoCard(AdminCallback, prefix="apc"):
    promo: int = Field(ge=1, le=2**62)
    action: str = Field(default="view", pattern=r"^(view|off|on|limit|until)$")


class AdminPromoActs(AdminCallback, prefix="apa"):
    promo: int = Field(ge=1, le=2**62)
    page: int = Field(default=0, ge=0, le=100_000)


class AdminPromoWizard(AdminCallback, prefix="apw"):
    """A button of the promo code wizard (the answers so far are kept in the conversation state)."""

    step: str = Field(pattern=r"^(new|bulk|gen|kind|nolimit|nodate|first|tariff|create|cancel)$")
    value: str = Field(default="", pattern=r"^[a-z0-9_-]{0,16}$")


class AdminCampaignList(AdminCallback, prefix="apcl"):
    page: int = Field(ge=0, le=100_000)


class AdminCampaignCard(AdminCallback, prefix="apcc"):
    campaign: int = Field(ge=1, le=2**62)


class AdminCampaignNew(AdminCallback, prefix="apcn"):
    """A button of the campaign wizard."""

    step: str = Field(pattern=r"^(new|gen|free)$")


class AdminBroadcastDraft(AdminCallback, prefix="abd"):
    """A step of drafting a broadcast (the draft itself is kept in the conversation state)."""

    action: str = Field(pattern=r"^(new|skip|aud|send|drop)$")
    audience: str = Field(default="", pattern=r"^(|all|active|expired|trial|unpaid|lang-[a-z]{2})$")


class AdminBroadcast(AdminCallback, prefix="abc"):
    """A broadcast's card and what an admin does with it."""

    id: int = Field(ge=1, le=2**53)
    action: str = Field(default="view", pattern=r"^(view|pause|resume|cancel)$")


class AdminSync(AdminCallback, prefix="asy"):
    """Run the panel sync now."""

    action: str = Field(default="run", pattern=r"^run$")
