"""Import from machka-pasla/remnawave-tg-shop: customers, referrals, subscriptions, paid history, saved
cards, promo codes and ad campaigns, written as this shop's own rows.

Rules (docs/migration.md explains them to sellers):

* **One transaction.** Everything is written in one unit of work; ``dry_run`` runs the same work and
  rolls it back, so its report is exactly what a real run would do.
* **Idempotent.** Every imported row is remembered in ``import_keys`` by its key in the source with a
  digest of what was read. A second run changes nothing; a run after new activity in the old bot
  creates what is new and updates what changed (customers' names, language, ban and panel link;
  subscriptions, taking the later expiry; promo counters; campaigns; saved cards).
* **History, not events.** Paid payments become orders that are already ``fulfilled``: no settlement,
  fulfilment, referral reward or notification runs, and nothing is sent to customers or the panel.
* **Exact money.** The source keeps money in ``double precision``. An amount is read as the shortest
  decimal that the float stands for (``Decimal(repr(x))``: 199.99000000000001 -> 199.99) and rounded
  half up to the currency's minor unit (kopecks; whole Stars). The report compares the totals.
* **Refusals.** A source that is not that schema, or a target that already holds conflicting rows that
  were not imported from it (the same Telegram id, promo code, campaign code, payment or panel user),
  stops the import before anything is written.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import (
    AutoRenewal,
    Campaign,
    CampaignAttribution,
    Customer,
    ImportKey,
    Order,
    OrderKind,
    OrderStatus,
    PromoActivation,
    PromoActivationStatus,
    PromoCode,
    PromoKind,
    Referral,
    Subscription,
    SubscriptionKind,
    new_order_id,
    new_referral_code,
    utcnow,
)
from remnastore.db.repositories.autorenewals import AutoRenewalRepository
from remnastore.db.repositories.promos import normalize_promo_code
from remnastore.db.session import Database
from remnastore.domain.catalogue import Catalogue, Period, Tariff
from remnastore.domain.money import Money, UnknownCurrency, currency
from remnastore.locales import SUPPORTED_LANGUAGES
from remnastore.ops.importers.machka_source import ImportRefused, Row, SourceData, describe, read_source
from remnastore.ops.importers.progress import Progress
from remnastore.ops.importers.report import ImportReport

log = logging.getLogger(__name__)

SOURCE = "machka"
CHUNK = 1000
KEY_PREFIX = "import-machka-"  # orders' idempotency keys: import-machka-<payment_id>

# the predecessor's provider names -> ours
PROVIDERS: dict[str, str] = {
    "yookassa": "yookassa",
    "freekassa": "freekassa",
    "platega": "platega",
    "severpay": "severpay",
    "cryptopay": "cryptobot",
    "telegram_stars": "stars",
    "stars": "stars",
    "tribute": "tribute",
}
# currency spellings seen in DEFAULT_CURRENCY_SYMBOL -> ISO-like codes we count
CURRENCY_ALIASES: dict[str, str] = {"₽": "RUB", "RUR": "RUB", "РУБ": "RUB", "STARS": "XTR", "⭐": "XTR"}
REFERRAL_PREFIX = "U"  # old links are ref_u<CODE>; our parser upper-cases to U<CODE>
_REFERRAL_CODE = re.compile(r"^[A-Z0-9]{1,15}$")
_CAMPAIGN_CODE = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
_MAX_KEY = 128

# entities of import_keys (also the report's table names)
CUSTOMERS = "customers"
REFERRALS = "referrals"
SUBSCRIPTIONS = "subscriptions"
PAYMENTS = "payments"
SAVED_METHODS = "saved_methods"
PROMO_CODES = "promo_codes"
PROMO_ACTIVATIONS = "promo_activations"
CAMPAIGNS = "ad_campaigns"
ATTRIBUTIONS = "ad_attributions"

T = TypeVar("T")


# -- money ------------------------------------------------------------------------------------------


def source_decimal(value: Any) -> Decimal:
    """The exact decimal a source amount stands for: a float as its shortest round-trip repr."""
    if isinstance(value, bool) or value is None:
        raise ValueError("no amount")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def currency_code(raw: Any) -> str:
    """Our code for a source currency; raises :class:`UnknownCurrency`."""
    text = str(raw or "").strip().upper()
    return currency(CURRENCY_ALIASES.get(text, text)).code


def exact_money(value: Any, code: str) -> Money:
    """``value`` (a float column) in ``code``'s minor units, rounded half up."""
    info = currency(code)
    try:
        amount = source_decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    minor = amount.scaleb(info.exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(int(minor), info.code)


# -- small helpers ----------------------------------------------------------------------------------


def fingerprint(*values: Any) -> str:
    return hashlib.sha1(repr(values).encode(), usedforsecurity=False).hexdigest()


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class ImportOptions:
    #: the tariff imported subscriptions and orders belong to (None: the catalogue's first)
    tariff_code: str | None = None
    #: device limit of imported subscriptions (the old bot's USER_HWID_DEVICE_LIMIT; None: the panel's)
    device_limit: int | None = None
    #: currency of ad campaign costs (the old bot's DEFAULT_CURRENCY_SYMBOL)
    campaign_currency: str = "RUB"


@dataclass
class _Key:
    id: int
    target: str
    fingerprint: str


class _Keys:
    """The ``import_keys`` of this source, and the ones to write at the end."""

    def __init__(self, rows: Iterable[tuple[int, str, str, str, str]]) -> None:
        """``rows``: (id, entity, source key, target key, fingerprint) of the stored keys."""
        self._rows: dict[tuple[str, str], _Key] = {
            (entity, key): _Key(row_id, target, digest) for row_id, entity, key, target, digest in rows
        }
        self.new: list[dict[str, Any]] = []
        self.changed: list[dict[str, Any]] = []

    def get(self, entity: str, key: object) -> _Key | None:
        return self._rows.get((entity, str(key)))

    def targets(self, entity: str) -> dict[str, str]:
        return {key: row.target for (kind, key), row in self._rows.items() if kind == entity}

    def add(self, entity: str, key: object, target: object, digest: str) -> None:
        now = utcnow()
        self._rows[(entity, str(key))] = _Key(0, str(target), digest)
        self.new.append(
            {
                "source": SOURCE,
                "entity": entity,
                "source_key": str(key),
                "target_key": str(target),
                "fingerprint": digest,
                "imported_at": now,
                "updated_at": now,
            }
        )

    def touch(self, entity: str, key: object, digest: str) -> None:
        row = self._rows[(entity, str(key))]
        row.fingerprint = digest
        if row.id:
            self.changed.append({"id": row.id, "fingerprint": digest, "updated_at": utcnow()})


class MachkaImporter:
    def __init__(
        self,
        db: Database,
        catalogue: Catalogue,
        options: ImportOptions | None = None,
        *,
        progress: Progress | None = None,
    ) -> None:
        self._db = db
        self._catalogue = catalogue
        self._options = options or ImportOptions()
        self._progress = progress or Progress(interactive=False)

    def _tariff(self) -> Tariff:
        code = self._options.tariff_code
        tariff = self._catalogue.tariff(code) if code else next(iter(self._catalogue.tariffs), None)
        if tariff is None:
            known = ", ".join(t.code for t in self._catalogue.tariffs) or "none"
            raise ImportRefused(f"tariff {code!r} is not in the catalogue (tariffs: {known})")
        return tariff

    async def run(self, source_url: str, *, dry_run: bool = False) -> ImportReport:
        """Import everything; returns the report. Raises :class:`ImportRefused` before writing anything."""
        started = time.monotonic()
        tariff = self._tariff()
        try:
            currency(self._options.campaign_currency)
        except UnknownCurrency:
            raise ImportRefused(f"unknown currency {self._options.campaign_currency!r}") from None
        data = await read_source(source_url)
        report = ImportReport(describe(source_url), dry_run)
        for table in data.missing:
            report.notes.append(f"the source has no table {table} (an older release): nothing to import")
        async with self._db.sessionmaker() as session:
            try:
                run = _Run(session, data, tariff, self._options, report, self._progress)
                await run.execute()
                if dry_run:
                    await session.rollback()
                else:
                    await session.commit()
            except IntegrityError as exc:
                await session.rollback()
                log.warning("import rolled back: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
                raise ImportRefused(
                    "this shop's database changed while importing (another import, or the running shop"
                    " wrote the same rows); nothing was written: run the import again"
                ) from None
            except BaseException:
                await session.rollback()
                raise
        report.seconds = time.monotonic() - started
        return report


class _Run:
    """One import: the source data, the target session and what has been mapped so far."""

    def __init__(
        self,
        session: AsyncSession,
        data: SourceData,
        tariff: Tariff,
        options: ImportOptions,
        report: ImportReport,
        progress: Progress,
    ) -> None:
        self.s = session
        self.data = data
        self.tariff = tariff
        self.options = options
        self.report = report
        self.progress = progress
        self.now = utcnow()
        self.keys = _Keys(())
        self.customer_of: dict[int, int] = {}  # source user_id -> customers.id (imported ones)
        self.subs_of: dict[int, list[Row]] = defaultdict(list)
        self.current_sub: dict[int, Row] = {}
        self.order_of: dict[int, str] = {}  # source payment_id -> orders.id
        self.paid_users: set[int] = set()

    # -- driver --------------------------------------------------------------------------------------
    async def execute(self) -> None:
        columns = (
            ImportKey.id,
            ImportKey.entity,
            ImportKey.source_key,
            ImportKey.target_key,
            ImportKey.fingerprint,
        )
        rows = await self.s.execute(select(*columns).where(ImportKey.source == SOURCE))
        self.keys = _Keys((int(i), str(e), str(k), str(t), str(f)) for i, e, k, t, f in rows)
        for sub in self.data.rows("subscriptions"):
            self.subs_of[int(sub["user_id"])].append(sub)
        for user_id, subs in self.subs_of.items():
            with_end = [s for s in subs if s["end_date"] is not None]
            if with_end:
                self.current_sub[user_id] = max(
                    with_end, key=lambda s: (bool(s["is_active"]), s["end_date"], s["subscription_id"])
                )
        self.paid_users = {
            int(p["user_id"]) for p in self.data.rows("payments") if str(p["status"]) == "succeeded"
        }
        await self._refuse_conflicts()
        for stage in (
            self._customers,
            self._campaigns,
            self._attributions,
            self._promo_codes,
            self._payments,
            self._promo_activations,
            self._referrals,
            self._subscriptions,
            self._saved_methods,
        ):
            await stage()
            await self._write_keys()
        await self._money()

    async def _write_keys(self) -> None:
        for chunk in chunks(self.keys.new):
            await self.s.execute(_table(ImportKey).insert(), list(chunk))
        for chunk in chunks(self.keys.changed):
            table = _table(ImportKey)
            statement = (
                table.update()
                .where(table.c.id == bindparam("key_id"))
                .values(fingerprint=bindparam("new_fingerprint"), updated_at=bindparam("moment"))
            )
            rows = [
                {"key_id": r["id"], "new_fingerprint": r["fingerprint"], "moment": r["updated_at"]}
                for r in chunk
            ]
            await self.s.execute(statement, rows)
        self.keys.new.clear()
        self.keys.changed.clear()

    # -- conflicts -----------------------------------------------------------------------------------
    async def _refuse_conflicts(self) -> None:
        problems: list[str] = []
        imported_customers = {int(v) for v in self.keys.targets(CUSTOMERS).values()}
        source_ids = {int(u["user_id"]) for u in self.data.rows("users")}
        rows = (await self.s.execute(select(Customer.id, Customer.telegram_id, Customer.panel_uuid))).all()
        clash = sorted(tg for cid, tg, _ in rows if tg in source_ids and cid not in imported_customers)
        if clash:
            problems.append(f"{len(clash)} customers with the same Telegram id ({_few(clash)})")
        source_links = {str(u["panel_user_uuid"]) for u in self.data.rows("users") if u["panel_user_uuid"]}
        held = sorted(
            str(link)
            for cid, _, link in rows
            if link and link in source_links and cid not in imported_customers
        )
        if held:
            problems.append(f"{len(held)} panel users already linked to other customers ({_few(held)})")
        imported_promos = {int(v) for v in self.keys.targets(PROMO_CODES).values()}
        codes = {normalize_promo_code(str(p["code"])) for p in self.data.rows("promo_codes") if p["code"]}
        promo_rows = (await self.s.execute(select(PromoCode.id, PromoCode.code_normalized))).all()
        taken = sorted(c for pid, c in promo_rows if c in codes and pid not in imported_promos)
        if taken:
            problems.append(f"{len(taken)} promo codes with the same code ({_few(taken)})")
        imported_campaigns = {int(v) for v in self.keys.targets(CAMPAIGNS).values()}
        params = {str(c["start_param"]).strip() for c in self.data.rows("ad_campaigns") if c["start_param"]}
        campaign_rows = (await self.s.execute(select(Campaign.id, Campaign.code))).all()
        used = sorted(c for cid, c in campaign_rows if c in params and cid not in imported_campaigns)
        if used:
            problems.append(f"{len(used)} ad campaigns with the same code ({_few(used)})")
        imported_orders = set(self.keys.targets(PAYMENTS).values())
        wanted = {
            pid
            for p in self.data.rows("payments")
            if (pid := _payment_ref(p)) is not None and str(p["status"]) == "succeeded"
        }
        if wanted:
            order_rows = (
                await self.s.execute(
                    select(Order.id, Order.provider_payment_id).where(Order.provider_payment_id.is_not(None))
                )
            ).all()
            paid_twice = sorted(
                str(ref) for oid, ref in order_rows if ref in wanted and oid not in imported_orders
            )
            if paid_twice:
                problems.append(f"{len(paid_twice)} orders with the same payment id ({_few(paid_twice)})")
        if problems:
            raise ImportRefused(
                "the target database already has rows that were not imported from this source: "
                + "; ".join(problems)
                + ". Import into a new database, or remove those rows first"
            )

    # -- customers -----------------------------------------------------------------------------------
    async def _customers(self) -> None:
        users = self.data.rows("users")
        count = self.report.table(CUSTOMERS)
        count.source = len(users)
        self.progress.stage("customers", len(users))
        existing = (
            await self.s.execute(select(Customer.id, Customer.referral_code, Customer.panel_uuid))
        ).all()
        codes = {str(code) for _, code, _ in existing}
        imported = {int(v) for v in self.keys.targets(CUSTOMERS).values()}
        foreign_links = {str(link) for cid, _, link in existing if link and cid not in imported}
        links = self._panel_links(foreign_links)
        regenerated = 0
        fresh: list[tuple[Row, dict[str, Any], str]] = []
        for user in users:
            user_id = int(user["user_id"])
            values = self._customer_values(user, links.get(user_id))
            digest = fingerprint(*(values[k] for k in _CUSTOMER_FIELDS))
            key = self.keys.get(CUSTOMERS, user_id)
            if key is not None:
                self.customer_of[user_id] = int(key.target)
                if key.fingerprint == digest:
                    count.unchanged += 1
                else:
                    await self.s.execute(
                        update(Customer)
                        .where(Customer.id == int(key.target))
                        .values(**{k: values[k] for k in _CUSTOMER_FIELDS}, updated_at=self.now)
                    )
                    self.keys.touch(CUSTOMERS, user_id, digest)
                    count.updated += 1
                continue
            code = _referral_code(user["referral_code"])
            if code is None or code in codes:
                regenerated += 1
                code = new_referral_code()
                while code in codes:
                    code = new_referral_code()
            codes.add(code)
            values["referral_code"] = code
            fresh.append((user, values, digest))
        for chunk in chunks(fresh):
            table = _table(Customer)
            statement = table.insert().returning(table.c.id, table.c.telegram_id)
            result = await self.s.execute(statement, [values for _, values, _ in chunk])
            ids = {int(tg): int(cid) for cid, tg in result.all()}
            for user, _, digest in chunk:
                user_id = int(user["user_id"])
                self.customer_of[user_id] = ids[user_id]
                self.keys.add(CUSTOMERS, user_id, ids[user_id], digest)
            count.created += len(chunk)
            self.progress.advance(len(chunk))
        self.progress.finish()
        if regenerated:
            self.report.notes.append(
                f"{regenerated} customers had no usable referral code in the source and got a new one"
            )

    def _panel_links(self, foreign: set[str]) -> dict[int, str]:
        """Each user's panel user: ``users.panel_user_uuid``, or, where the old bot lost it, the one of
        their current subscription (if no other user, here or there, holds it)."""
        links: dict[int, str] = {}
        held: set[str] = set(foreign)
        for user in self.data.rows("users"):
            link = _text(user["panel_user_uuid"], 64)
            if link is not None:
                if len(link) > 36:
                    self.report.notes.append(f"user {user['user_id']}: panel link {link!r} is not a uuid")
                    continue
                links[int(user["user_id"])] = link
                held.add(link)
        restored = 0
        for user in self.data.rows("users"):
            user_id = int(user["user_id"])
            sub = self.current_sub.get(user_id)
            if user_id in links or sub is None:
                continue
            link = _text(sub["panel_user_uuid"], 64)
            if link is not None and len(link) <= 36 and link not in held:
                links[user_id] = link
                held.add(link)
                restored += 1
        if restored:
            self.report.notes.append(
                f"{restored} customers had lost their panel link in the old bot; it was restored from"
                " their subscription (the panel check below confirms it)"
            )
        return links

    def _customer_values(self, user: Row, link: str | None) -> dict[str, Any]:
        user_id = int(user["user_id"])
        registered = _aware(user["registration_date"]) or self.now
        subs = self.subs_of.get(user_id, [])
        starts = [m for s in subs if (m := _aware(s.get("start_date")) or _aware(s["end_date"]))]
        language = str(user["language_code"] or "").strip().lower().split("-")[0]
        return {
            "telegram_id": user_id,
            "username": _text(user["username"], 64),
            "first_name": _text(user["first_name"], 128),
            "last_name": _text(user["last_name"], 128),
            "language": language if language in SUPPORTED_LANGUAGES else "ru",
            "is_banned": bool(user["is_banned"]),
            "panel_uuid": link,
            "trial_used_at": min(starts) if starts else None,
            "created_at": registered,
            "updated_at": self.now,
            "last_seen_at": registered,
            "balance_minor": 0,
        }

    # -- ad campaigns --------------------------------------------------------------------------------
    async def _campaigns(self) -> None:
        campaigns = self.data.rows("ad_campaigns")
        count = self.report.table(CAMPAIGNS)
        count.source = len(campaigns)
        self.progress.stage("ad campaigns", len(campaigns))
        for row in campaigns:
            source_id = int(row["ad_campaign_id"])
            code = str(row["start_param"] or "").strip()
            if not _CAMPAIGN_CODE.match(code):
                self.report.skip(CAMPAIGNS, source_id, "start parameter is not a valid deep-link code")
                continue
            try:
                cost = exact_money(row["cost"] or 0, self.options.campaign_currency)
            except ValueError:
                self.report.skip(CAMPAIGNS, source_id, "cost is not a number")
                continue
            values = {
                "code": code,
                "title": _text(row["source"], 128) or code,
                "cost_minor": max(cost.minor, 0),
                "cost_currency": cost.currency,
                "is_active": True if row["is_active"] is None else bool(row["is_active"]),
            }
            digest = fingerprint(*values.values())
            key = self.keys.get(CAMPAIGNS, source_id)
            if key is not None:
                if key.fingerprint == digest:
                    count.unchanged += 1
                else:
                    await self.s.execute(
                        update(Campaign).where(Campaign.id == int(key.target)).values(values)
                    )
                    self.keys.touch(CAMPAIGNS, source_id, digest)
                    count.updated += 1
                continue
            created = _aware(row["created_at"]) or self.now
            new_id = await self.s.scalar(
                insert(Campaign).values(**values, created_at=created).returning(Campaign.id)
            )
            self.keys.add(CAMPAIGNS, source_id, int(new_id or 0), digest)
            count.created += 1
            self.progress.advance()
        self.progress.finish()

    async def _attributions(self) -> None:
        rows = self.data.rows("ad_attributions")
        count = self.report.table(ATTRIBUTIONS)
        count.source = len(rows)
        self.progress.stage("ad attributions", len(rows))
        campaigns = self.keys.targets(CAMPAIGNS)
        already = set((await self.s.execute(select(CampaignAttribution.customer_id))).scalars().all())
        fresh: list[dict[str, Any]] = []
        for row in rows:
            user_id = int(row["user_id"])
            if self.keys.get(ATTRIBUTIONS, user_id) is not None:
                count.unchanged += 1
                continue
            customer_id = self.customer_of.get(user_id)
            campaign_id = campaigns.get(str(row["ad_campaign_id"]))
            if customer_id is None:
                self.report.skip(ATTRIBUTIONS, user_id, "customer not imported")
            elif campaign_id is None:
                self.report.skip(ATTRIBUTIONS, user_id, "campaign not imported")
            elif customer_id in already:
                self.report.skip(ATTRIBUTIONS, user_id, "customer already attributed in this shop")
            else:
                started = _aware(row["first_start_at"]) or self.now
                fresh.append(
                    {"campaign_id": int(campaign_id), "customer_id": customer_id, "created_at": started}
                )
                self.keys.add(ATTRIBUTIONS, user_id, customer_id, fingerprint(campaign_id))
        for chunk in chunks(fresh):
            await self.s.execute(_table(CampaignAttribution).insert(), list(chunk))
            count.created += len(chunk)
            self.progress.advance(len(chunk))
        self.progress.finish()

    # -- promo codes ---------------------------------------------------------------------------------
    async def _promo_codes(self) -> None:
        promos = self.data.rows("promo_codes")
        count = self.report.table(PROMO_CODES)
        count.source = len(promos)
        self.progress.stage("promo codes", len(promos))
        used: dict[int, int] = defaultdict(int)
        for activation in self.data.rows("promo_code_activations"):
            used[int(activation["promo_code_id"])] += 1
        seen: dict[str, int] = {}
        for row in promos:
            source_id = int(row["promo_code_id"])
            code = str(row["code"] or "").strip()
            normalized = normalize_promo_code(code)
            if not normalized or len(normalized) > 64:
                self.report.skip(PROMO_CODES, source_id, "empty or too long code")
                continue
            if normalized in seen:
                self.report.skip(
                    PROMO_CODES, source_id, f"duplicate code (same as promo code {seen[normalized]})"
                )
                continue
            seen[normalized] = source_id
            days = int(row["bonus_days"] or 0)
            if days <= 0:
                self.report.skip(PROMO_CODES, source_id, "bonus days are not positive")
                continue
            maximum = int(row["max_activations"] or 0)
            values: dict[str, Any] = {
                "max_activations": max(maximum, 0),
                "activations_count": max(int(row["current_activations"] or 0), used[source_id]),
                "valid_until": _aware(row["valid_until"]),
                "is_active": True if row["is_active"] is None else bool(row["is_active"]),
                "value": days,
            }
            digest = fingerprint(*values.values())
            key = self.keys.get(PROMO_CODES, source_id)
            if key is not None:
                if key.fingerprint == digest:
                    count.unchanged += 1
                else:
                    target = await self.s.get(PromoCode, int(key.target))
                    if target is not None:
                        values["activations_count"] = max(
                            values["activations_count"], target.activations_count
                        )
                    await self.s.execute(
                        update(PromoCode).where(PromoCode.id == int(key.target)).values(values)
                    )
                    self.keys.touch(PROMO_CODES, source_id, digest)
                    count.updated += 1
                continue
            new_id = await self.s.scalar(
                insert(PromoCode)
                .values(
                    code=code[:64],
                    code_normalized=normalized,
                    kind=PromoKind.DAYS.value,
                    currency=None,
                    first_purchase_only=False,
                    created_by=row["created_by_admin_id"],
                    created_at=_aware(row["created_at"]) or self.now,
                    **values,
                )
                .returning(PromoCode.id)
            )
            self.keys.add(PROMO_CODES, source_id, int(new_id or 0), digest)
            count.created += 1
            self.progress.advance()
        self.progress.finish()

    async def _promo_activations(self) -> None:
        rows = self.data.rows("promo_code_activations")
        count = self.report.table(PROMO_ACTIVATIONS)
        count.source = len(rows)
        self.progress.stage("promo activations", len(rows))
        promos = self.keys.targets(PROMO_CODES)
        pairs = (await self.s.execute(select(PromoActivation.promo_id, PromoActivation.customer_id))).all()
        existing: set[tuple[int, int]] = {(int(p), int(c)) for p, c in pairs}
        fresh: list[dict[str, Any]] = []
        for row in rows:
            source_id = int(row["activation_id"])
            if self.keys.get(PROMO_ACTIVATIONS, source_id) is not None:
                count.unchanged += 1
                continue
            customer_id = self.customer_of.get(int(row["user_id"]))
            promo_id = promos.get(str(row["promo_code_id"]))
            if customer_id is None:
                self.report.skip(PROMO_ACTIVATIONS, source_id, "customer not imported")
                continue
            if promo_id is None:
                self.report.skip(PROMO_ACTIVATIONS, source_id, "promo code not imported")
                continue
            pair = (int(promo_id), customer_id)
            if pair in existing:
                self.report.skip(PROMO_ACTIVATIONS, source_id, "customer already used this code")
                continue
            existing.add(pair)
            at = _aware(row["activated_at"]) or self.now
            order_id = self.order_of.get(int(row["payment_id"])) if row["payment_id"] is not None else None
            fresh.append(
                {
                    "promo_id": int(promo_id),
                    "customer_id": customer_id,
                    "order_id": order_id,
                    "status": PromoActivationStatus.APPLIED.value,
                    "created_at": at,
                    "consumed_at": at,
                }
            )
            self.keys.add(PROMO_ACTIVATIONS, source_id, f"{promo_id}:{customer_id}", fingerprint(pair))
        for chunk in chunks(fresh):
            await self.s.execute(_table(PromoActivation).insert(), list(chunk))
            count.created += len(chunk)
            self.progress.advance(len(chunk))
        self.progress.finish()

    # -- payments ------------------------------------------------------------------------------------
    def _period(self, months: Any) -> Period | None:
        if not isinstance(months, int) or months <= 0:
            return None
        return next((p for p in self.tariff.periods if p.months == months and not p.days), None)

    async def _payments(self) -> None:
        payments = self.data.rows("payments")
        count = self.report.table(PAYMENTS)
        count.source = len(payments)
        self.progress.stage("payments", len(payments))
        for known, target in self.keys.targets(PAYMENTS).items():
            self.order_of[int(known)] = target
        seen: dict[tuple[str, str], int] = {}
        fresh: list[dict[str, Any]] = []
        for row in payments:
            source_id = int(row["payment_id"])
            status = str(row["status"] or "")
            if status != "succeeded":
                self.report.skip(PAYMENTS, source_id, f"not paid (status {status or 'empty'})")
                continue
            try:
                code = currency_code(row["currency"])
            except UnknownCurrency:
                self.report.skip(PAYMENTS, source_id, f"unknown currency {row['currency']!r}")
                continue
            before = source_decimal(row["amount"]) if row["amount"] is not None else None
            if before is not None:
                self.report.money_before[code] = self.report.money_before.get(code, Decimal(0)) + before
            provider = PROVIDERS.get(str(row["provider"] or "").strip().lower())
            ref = _payment_ref(row)
            if ref is not None and provider is not None:
                if (provider, ref) in seen:
                    other = seen[(provider, ref)]
                    self.report.skip(PAYMENTS, source_id, f"duplicate of payment {other} (same payment id)")
                    continue
                seen[(provider, ref)] = source_id
            if self.keys.get(PAYMENTS, source_id) is not None:
                count.unchanged += 1
                continue
            customer_id = self.customer_of.get(int(row["user_id"]))
            if customer_id is None:
                self.report.skip(PAYMENTS, source_id, "customer not imported")
                continue
            if provider is None:
                self.report.skip(PAYMENTS, source_id, f"unknown provider {row['provider']!r}")
                continue
            try:
                amount = exact_money(row["amount"], code)
            except (ValueError, InvalidOperation):
                self.report.skip(PAYMENTS, source_id, "amount is not a number")
                continue
            if amount.minor <= 0:
                self.report.skip(PAYMENTS, source_id, "amount is not positive")
                continue
            months = row["subscription_duration_months"]
            period = self._period(months)
            created = _aware(row["created_at"]) or self.now
            paid = _aware(row["updated_at"]) or created
            order_id = new_order_id()
            meta: dict[str, Any] = {
                "imported_from": SOURCE,
                "source_payment_id": source_id,
                "source_amount": str(before),
            }
            if row["description"]:
                meta["description"] = str(row["description"])[:256]
            if isinstance(months, int):
                meta["months"] = months
            fresh.append(
                {
                    "id": order_id,
                    "customer_id": customer_id,
                    "kind": OrderKind.SUBSCRIPTION.value,
                    "tariff_code": self.tariff.code,
                    "period_code": period.code if period is not None else None,
                    "days": period.approx_days if period is not None else None,
                    "amount_minor": amount.minor,
                    "currency": amount.currency,
                    "discount_minor": 0,
                    "provider": provider,
                    "status": OrderStatus.FULFILLED.value,
                    "idempotency_key": f"{KEY_PREFIX}{source_id}",
                    "provider_payment_id": ref,
                    "created_at": created,
                    "updated_at": paid,
                    "paid_at": paid,
                    "fulfilled_at": paid,
                    "fulfilment_attempts": 0,
                    "meta": meta,
                }
            )
            self.order_of[source_id] = order_id
            self.keys.add(PAYMENTS, source_id, order_id, fingerprint(amount.minor, amount.currency, ref))
        for chunk in chunks(fresh):
            await self.s.execute(_table(Order).insert(), list(chunk))
            count.created += len(chunk)
            self.progress.advance(len(chunk))
        self.progress.finish()

    async def _money(self) -> None:
        query = (
            select(Order.currency, func.sum(Order.amount_minor))
            .join(ImportKey, ImportKey.target_key == Order.id)
            .where(ImportKey.source == SOURCE, ImportKey.entity == PAYMENTS)
            .group_by(Order.currency)
        )
        for code, total in (await self.s.execute(query)).all():
            self.report.money_after[str(code)] = Money(int(total or 0), str(code))

    # -- referrals -----------------------------------------------------------------------------------
    async def _referrals(self) -> None:
        users = [u for u in self.data.rows("users") if u["referred_by_id"] is not None]
        count = self.report.table(REFERRALS)
        count.source = len(users)
        self.progress.stage("referrals", len(users))
        inviter_of: dict[int, int] = {
            int(invitee): int(referrer)
            for invitee, referrer in (
                await self.s.execute(select(Referral.invitee_id, Referral.referrer_id))
            ).all()
        }
        first_order = await self._first_orders()
        users.sort(key=lambda u: (_aware(u["registration_date"]) or self.now, int(u["user_id"])))
        fresh: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for user in users:
            user_id = int(user["user_id"])
            invitee = self.customer_of.get(user_id)
            key = self.keys.get(REFERRALS, user_id)
            if key is not None:
                order = first_order.get(invitee) if invitee is not None else None
                if order is not None and key.fingerprint != fingerprint(order):
                    await self.s.execute(
                        update(Referral)
                        .where(Referral.id == int(key.target), Referral.first_paid_order_id.is_(None))
                        .values(first_paid_order_id=order)
                    )
                    self.keys.touch(REFERRALS, user_id, fingerprint(order))
                    count.updated += 1
                else:
                    count.unchanged += 1
                continue
            referrer_source = int(user["referred_by_id"])
            referrer = self.customer_of.get(referrer_source)
            if referrer_source == user_id:
                self.report.skip(REFERRALS, user_id, "invited by themselves")
            elif invitee is None or referrer is None:
                self.report.skip(REFERRALS, user_id, "customer or inviter not imported")
            elif invitee in inviter_of:
                self.report.skip(REFERRALS, user_id, "already has an inviter in this shop")
            elif _leads_to(inviter_of, referrer, invitee):
                self.report.skip(REFERRALS, user_id, "referral cycle (the inviter was invited by them)")
            else:
                inviter_of[invitee] = referrer
                order = first_order.get(invitee)
                fresh.append(
                    {
                        "referrer_id": referrer,
                        "invitee_id": invitee,
                        "created_at": _aware(user["registration_date"]) or self.now,
                        "first_paid_order_id": order,
                        "_user_id": user_id,
                        "_digest": fingerprint(order),
                    }
                )
                links.append({"id": invitee, "referred_by_id": referrer})
        for chunk in chunks(fresh):
            table = _table(Referral)
            statement = table.insert().returning(table.c.id, table.c.invitee_id)
            values = [{k: v for k, v in row.items() if not k.startswith("_")} for row in chunk]
            ids = {int(invitee): int(rid) for rid, invitee in (await self.s.execute(statement, values)).all()}
            for row in chunk:
                self.keys.add(REFERRALS, row["_user_id"], ids[row["invitee_id"]], row["_digest"])
            count.created += len(chunk)
            self.progress.advance(len(chunk))
        for chunk in chunks(links):
            customers = _table(Customer)
            link = (
                customers.update()
                .where(customers.c.id == bindparam("customer_id"))
                .values(referred_by_id=bindparam("referrer_id"))
            )
            await self.s.execute(
                link, [{"customer_id": r["id"], "referrer_id": r["referred_by_id"]} for r in chunk]
            )
        self.progress.finish()

    async def _first_orders(self) -> dict[int, str]:
        """Each imported customer's first paid order (so that their first purchase here is not taken
        for a first purchase: referral rewards for "the first payment" were given by the old bot)."""
        query = (
            select(Order.customer_id, Order.id)
            .join(ImportKey, ImportKey.target_key == Order.id)
            .where(ImportKey.source == SOURCE, ImportKey.entity == PAYMENTS)
            .order_by(Order.customer_id, Order.created_at.desc(), Order.id.desc())
        )
        # newest first, so the last value kept per customer is the earliest order
        return {int(cid): str(oid) for cid, oid in (await self.s.execute(query)).all()}

    # -- subscriptions -------------------------------------------------------------------------------
    def _subscription_values(self, user_id: int, sub: Row) -> dict[str, Any]:
        status = str(sub["status_from_panel"] or "").upper()
        if sub["provider"] or user_id in self.paid_users:
            kind = SubscriptionKind.PAID.value
        elif status.startswith("TRIAL"):
            kind = SubscriptionKind.TRIAL.value
        else:
            kind = SubscriptionKind.BONUS.value
        return {
            "kind": kind,
            "tariff_code": self.tariff.code,
            "expires_at": _aware(sub["end_date"]),
            "traffic_limit_bytes": max(int(sub["traffic_limit_bytes"] or 0), 0),
            "device_limit": self.options.device_limit,
        }

    async def _subscriptions(self) -> None:
        count = self.report.table(SUBSCRIPTIONS)
        count.source = sum(len(subs) for subs in self.subs_of.values())
        self.progress.stage("subscriptions", count.source)
        existing = {
            int(cid): expires
            for cid, expires in (
                await self.s.execute(select(Subscription.customer_id, Subscription.expires_at))
            ).all()
        }
        fresh: list[dict[str, Any]] = []
        for user_id, subs in self.subs_of.items():
            current = self.current_sub.get(user_id)
            for sub in subs:
                if sub is not current:
                    reason = (
                        "no end date" if sub["end_date"] is None else "older row (one subscription is kept)"
                    )
                    self.report.skip(SUBSCRIPTIONS, sub["subscription_id"], reason)
            if current is None:
                continue
            customer_id = self.customer_of.get(user_id)
            if customer_id is None:
                self.report.skip(SUBSCRIPTIONS, current["subscription_id"], "customer not imported")
                continue
            values = self._subscription_values(user_id, current)
            digest = fingerprint(*values.values())
            key = self.keys.get(SUBSCRIPTIONS, user_id)
            if key is not None and key.fingerprint == digest:
                count.unchanged += 1
                continue
            here = existing.get(customer_id)
            if here is not None:
                # the customer's subscription here may have moved on (bought in this shop): keep the later
                values["expires_at"] = max(here, values["expires_at"])
                await self.s.execute(
                    update(Subscription)
                    .where(Subscription.customer_id == customer_id)
                    .values(**values, updated_at=self.now)
                )
                if key is None:
                    self.keys.add(SUBSCRIPTIONS, user_id, customer_id, digest)
                    count.created += 1
                else:
                    self.keys.touch(SUBSCRIPTIONS, user_id, digest)
                    count.updated += 1
                continue
            started = _aware(current["start_date"]) or self.now
            fresh.append(
                {"customer_id": customer_id, "created_at": started, "updated_at": self.now, **values}
            )
            self.keys.add(SUBSCRIPTIONS, user_id, customer_id, digest)
        for chunk in chunks(fresh):
            await self.s.execute(_table(Subscription).insert(), list(chunk))
            count.created += len(chunk)
            self.progress.advance(len(chunk))
        self.progress.finish()

    # -- saved cards (auto-renewal) ------------------------------------------------------------------
    def _cards(self) -> dict[int, list[tuple[str, str | None, bool, datetime | None]]]:
        """Each user's saved YooKassa methods, default first: (method id, title, default, saved at)."""
        cards: dict[int, dict[str, tuple[str, str | None, bool, datetime | None]]] = defaultdict(dict)
        for row in self.data.rows("user_payment_methods"):
            if (
                str(row["provider"] or "yookassa").lower() != "yookassa"
                or not row["provider_payment_method_id"]
            ):
                continue
            method = str(row["provider_payment_method_id"])[:64]
            at = _aware(row["updated_at"]) or _aware(row["created_at"])
            cards[int(row["user_id"])][method] = (method, _card_title(row), bool(row["is_default"]), at)
        for row in self.data.rows("user_billing"):  # the legacy single card (often the same method again)
            method = str(row["yookassa_payment_method_id"] or "")[:64]
            if method and method not in cards[int(row["user_id"])]:
                at = _aware(row["updated_at"]) or _aware(row["created_at"])
                cards[int(row["user_id"])][method] = (method, _card_title(row), False, at)
        epoch = datetime.min.replace(tzinfo=self.now.tzinfo)
        return {
            user: sorted(found.values(), key=lambda c: (c[2], c[3] or epoch), reverse=True)
            for user, found in cards.items()
            if found
        }

    async def _saved_methods(self) -> None:
        cards = self._cards()
        count = self.report.table(SAVED_METHODS)
        count.source = len(cards)
        self.progress.stage("saved cards", len(cards))
        renewals = AutoRenewalRepository(self.s)
        existing = set((await self.s.execute(select(AutoRenewal.customer_id))).scalars().all())
        fresh: list[dict[str, Any]] = []
        for user_id, methods in cards.items():
            method_id, title, _, _ = methods[0]
            customer_id = self.customer_of.get(user_id)
            sub = self.current_sub.get(user_id)
            period = self._period(sub["duration_months"]) if sub is not None else None
            period = period or (self.tariff.periods[0] if self.tariff.periods else None)
            on = (
                sub is not None
                and str(sub["provider"] or "").lower() == "yookassa"
                and bool(sub["auto_renew_enabled"])
                and period is not None
            )
            digest = fingerprint(method_id, title, on, period.code if period else None)
            key = self.keys.get(SAVED_METHODS, user_id)
            if key is not None:
                if key.fingerprint == digest:
                    count.unchanged += 1
                    continue
                if customer_id is not None and on and period is not None:
                    await renewals.enable(
                        customer_id,
                        method="yookassa",
                        tariff_code=self.tariff.code,
                        period_code=period.code,
                        saved_method_id=method_id,
                        saved_method_title=title,
                    )
                elif customer_id is not None:
                    await renewals.disable(customer_id)
                self.keys.touch(SAVED_METHODS, user_id, digest)
                count.updated += 1
                continue
            if customer_id is None:
                self.report.skip(SAVED_METHODS, user_id, "customer not imported")
            elif not on or period is None:
                self.report.skip(
                    SAVED_METHODS,
                    user_id,
                    "auto-renewal was off in the old bot (a card is kept here only for auto-renewal)",
                )
            elif customer_id in existing:
                self.report.skip(SAVED_METHODS, user_id, "auto-renewal already set up in this shop")
            else:
                fresh.append(
                    {
                        "customer_id": customer_id,
                        "enabled": True,
                        "method": "yookassa",
                        "saved_method_id": method_id,
                        "saved_method_title": title,
                        "tariff_code": self.tariff.code,
                        "period_code": period.code,
                        "attempts": 0,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                self.keys.add(SAVED_METHODS, user_id, customer_id, digest)
        for chunk in chunks(fresh):
            await self.s.execute(_table(AutoRenewal).insert(), list(chunk))
            count.created += len(chunk)
            self.progress.advance(len(chunk))
        self.progress.finish()


_CUSTOMER_FIELDS = ("username", "first_name", "last_name", "language", "is_banned", "panel_uuid")


def _table(model: type[Any]) -> Table:
    """The Core table of a model: bulk writes skip the ORM's per-row bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _few(items: Sequence[object], shown: int = 5) -> str:
    text = ", ".join(str(i) for i in items[:shown])
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")


def _referral_code(raw: Any) -> str | None:
    code = str(raw or "").strip().upper()
    return REFERRAL_PREFIX + code if _REFERRAL_CODE.match(code) else None


def _payment_ref(row: Row) -> str | None:
    for column in ("provider_payment_id", "yookassa_payment_id"):
        value = _text(row.get(column), _MAX_KEY)
        if value is not None:
            return value
    return None


def _card_title(row: Row) -> str:
    network = _text(row.get("card_network"), 40) or "Bank card"
    last4 = _text(row.get("card_last4"), 4)
    return f"{network} *{last4}" if last4 else network


def _leads_to(inviter_of: dict[int, int], start: int, target: int) -> bool:
    """Whether following inviters up from ``start`` reaches ``target`` (linking would close a cycle)."""
    seen: set[int] = set()
    current: int | None = start
    while current is not None and current not in seen:
        if current == target:
            return True
        seen.add(current)
        current = inviter_of.get(current)
    return False


__all__ = [
    "ImportOptions",
    "ImportRefused",
    "MachkaImporter",
    "currency_code",
    "exact_money",
    "source_decimal",
]
