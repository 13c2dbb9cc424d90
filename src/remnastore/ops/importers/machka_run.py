"""One import's state: its options, the source data, the target session, the ``import_keys`` read and to
be written, and what has been mapped so far (source ids -> this shop's ids). The stages that fill it are
the ``machka_*`` modules; ``machka.py`` runs them in order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import ImportKey, utcnow
from remnastore.domain.catalogue import Period, Tariff
from remnastore.ops.importers.machka_source import Row, SourceData
from remnastore.ops.importers.machka_values import SOURCE, chunks, core_table
from remnastore.ops.importers.progress import Progress
from remnastore.ops.importers.report import ImportReport


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


class ImportKeys:
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


class ImportRun:
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
        self.keys = ImportKeys(())
        self.customer_of: dict[int, int] = {}  # source user_id -> customers.id (imported ones)
        self.subs_of: dict[int, list[Row]] = defaultdict(list)
        self.current_sub: dict[int, Row] = {}
        self.order_of: dict[int, str] = {}  # source payment_id -> orders.id
        self.paid_users: set[int] = set()

    async def load(self) -> None:
        """Read the stored keys of this source and index the source's subscriptions and payers."""
        columns = (
            ImportKey.id,
            ImportKey.entity,
            ImportKey.source_key,
            ImportKey.target_key,
            ImportKey.fingerprint,
        )
        rows = await self.s.execute(select(*columns).where(ImportKey.source == SOURCE))
        self.keys = ImportKeys((int(i), str(e), str(k), str(t), str(f)) for i, e, k, t, f in rows)
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

    async def write_keys(self) -> None:
        for chunk in chunks(self.keys.new):
            await self.s.execute(core_table(ImportKey).insert(), list(chunk))
        for chunk in chunks(self.keys.changed):
            table = core_table(ImportKey)
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

    def period(self, months: Any) -> Period | None:
        if not isinstance(months, int) or months <= 0:
            return None
        return next((p for p in self.tariff.periods if p.months == months and not p.days), None)
