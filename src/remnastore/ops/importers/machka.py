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

The stages are modules of their own: ``machka_customers`` (customers, referrals), ``machka_promotions``
(campaigns, promo codes), ``machka_payments`` (paid history), ``machka_subscriptions`` (subscriptions,
saved cards); ``machka_run`` holds one import's state and ``machka_values`` the conversions they share.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from remnastore.db.models import Campaign, Customer, Order, PromoCode
from remnastore.db.repositories.promos import normalize_promo_code
from remnastore.db.session import Database
from remnastore.domain.catalogue import Catalogue, Tariff
from remnastore.domain.money import UnknownCurrency, currency
from remnastore.ops.importers.machka_customers import import_customers, import_referrals
from remnastore.ops.importers.machka_payments import count_imported_money, import_payments
from remnastore.ops.importers.machka_promotions import (
    import_attributions,
    import_campaigns,
    import_promo_activations,
    import_promo_codes,
)
from remnastore.ops.importers.machka_run import ImportOptions, ImportRun
from remnastore.ops.importers.machka_source import ImportRefused, describe, read_source
from remnastore.ops.importers.machka_subscriptions import import_saved_methods, import_subscriptions
from remnastore.ops.importers.machka_values import (
    CAMPAIGNS,
    CUSTOMERS,
    PAYMENTS,
    PROMO_CODES,
    few,
    payment_ref,
)
from remnastore.ops.importers.progress import Progress
from remnastore.ops.importers.report import ImportReport

log = logging.getLogger(__name__)

#: the stages in order (a later one reads what an earlier one mapped); keys are written after each
STAGES: tuple[Callable[[ImportRun], Awaitable[None]], ...] = (
    import_customers,
    import_campaigns,
    import_attributions,
    import_promo_codes,
    import_payments,
    import_promo_activations,
    import_referrals,
    import_subscriptions,
    import_saved_methods,
)


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
                await _execute(ImportRun(session, data, tariff, self._options, report, self._progress))
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


async def _execute(run: ImportRun) -> None:
    await run.load()
    await _refuse_conflicts(run)
    for stage in STAGES:
        await stage(run)
        await run.write_keys()
    await count_imported_money(run)


async def _refuse_conflicts(run: ImportRun) -> None:
    problems: list[str] = []
    imported_customers = {int(v) for v in run.keys.targets(CUSTOMERS).values()}
    source_ids = {int(u["user_id"]) for u in run.data.rows("users")}
    rows = (await run.s.execute(select(Customer.id, Customer.telegram_id, Customer.panel_uuid))).all()
    clash = sorted(tg for cid, tg, _ in rows if tg in source_ids and cid not in imported_customers)
    if clash:
        problems.append(f"{len(clash)} customers with the same Telegram id ({few(clash)})")
    source_links = {str(u["panel_user_uuid"]) for u in run.data.rows("users") if u["panel_user_uuid"]}
    held = sorted(
        str(link) for cid, _, link in rows if link and link in source_links and cid not in imported_customers
    )
    if held:
        problems.append(f"{len(held)} panel users already linked to other customers ({few(held)})")
    imported_promos = {int(v) for v in run.keys.targets(PROMO_CODES).values()}
    codes = {normalize_promo_code(str(p["code"])) for p in run.data.rows("promo_codes") if p["code"]}
    promo_rows = (await run.s.execute(select(PromoCode.id, PromoCode.code_normalized))).all()
    taken = sorted(c for pid, c in promo_rows if c in codes and pid not in imported_promos)
    if taken:
        problems.append(f"{len(taken)} promo codes with the same code ({few(taken)})")
    imported_campaigns = {int(v) for v in run.keys.targets(CAMPAIGNS).values()}
    params = {str(c["start_param"]).strip() for c in run.data.rows("ad_campaigns") if c["start_param"]}
    campaign_rows = (await run.s.execute(select(Campaign.id, Campaign.code))).all()
    used = sorted(c for cid, c in campaign_rows if c in params and cid not in imported_campaigns)
    if used:
        problems.append(f"{len(used)} ad campaigns with the same code ({few(used)})")
    imported_orders = set(run.keys.targets(PAYMENTS).values())
    wanted = {
        pid
        for p in run.data.rows("payments")
        if (pid := payment_ref(p)) is not None and str(p["status"]) == "succeeded"
    }
    if wanted:
        order_rows = (
            await run.s.execute(
                select(Order.id, Order.provider_payment_id).where(Order.provider_payment_id.is_not(None))
            )
        ).all()
        paid_twice = sorted(
            str(ref) for oid, ref in order_rows if ref in wanted and oid not in imported_orders
        )
        if paid_twice:
            problems.append(f"{len(paid_twice)} orders with the same payment id ({few(paid_twice)})")
    if problems:
        raise ImportRefused(
            "the target database already has rows that were not imported from this source: "
            + "; ".join(problems)
            + ". Import into a new database, or remove those rows first"
        )
