"""Reading a machka-pasla/remnawave-tg-shop database (PostgreSQL), read-only.

The schema is the predecessor's ``db/models.py`` (tables created by ``create_all`` plus its own three
migrations). Older releases lack some columns; those are read as NULL. A database without the core
tables and columns is refused before anything is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from remnastore.db.session import build_engine, normalize_url


class ImportRefused(Exception):
    """The import cannot go ahead; the message is one line for the seller."""


# table -> columns that must exist (the predecessor has had them since its first releases)
REQUIRED: dict[str, tuple[str, ...]] = {
    "users": (
        "user_id",
        "username",
        "first_name",
        "last_name",
        "language_code",
        "registration_date",
        "is_banned",
        "panel_user_uuid",
        "referred_by_id",
    ),
    "subscriptions": (
        "subscription_id",
        "user_id",
        "panel_user_uuid",
        "end_date",
        "is_active",
    ),
    "payments": ("payment_id", "user_id", "provider", "amount", "currency", "status", "created_at"),
}
# columns read when present (NULL otherwise), including whole tables of later releases
OPTIONAL: dict[str, tuple[str, ...]] = {
    "users": ("referral_code",),
    "subscriptions": (
        "start_date",
        "duration_months",
        "status_from_panel",
        "traffic_limit_bytes",
        "provider",
        "auto_renew_enabled",
    ),
    "payments": (
        "yookassa_payment_id",
        "provider_payment_id",
        "description",
        "subscription_duration_months",
        "updated_at",
    ),
    "user_payment_methods": (
        "method_id",
        "user_id",
        "provider",
        "provider_payment_method_id",
        "card_last4",
        "card_network",
        "is_default",
        "created_at",
        "updated_at",
    ),
    "user_billing": (
        "user_id",
        "yookassa_payment_method_id",
        "card_last4",
        "card_network",
        "created_at",
        "updated_at",
    ),
    "promo_codes": (
        "promo_code_id",
        "code",
        "bonus_days",
        "max_activations",
        "current_activations",
        "is_active",
        "created_by_admin_id",
        "created_at",
        "valid_until",
    ),
    "promo_code_activations": ("activation_id", "promo_code_id", "user_id", "activated_at", "payment_id"),
    "ad_campaigns": ("ad_campaign_id", "source", "start_param", "cost", "is_active", "created_at"),
    "ad_attributions": ("user_id", "ad_campaign_id", "first_start_at", "trial_activated_at"),
}
# the key columns an optional table must have to be read at all
OPTIONAL_TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "user_payment_methods": ("user_id", "provider_payment_method_id"),
    "user_billing": ("user_id", "yookassa_payment_method_id"),
    "promo_codes": ("promo_code_id", "code", "bonus_days", "max_activations"),
    "promo_code_activations": ("activation_id", "promo_code_id", "user_id"),
    "ad_campaigns": ("ad_campaign_id", "start_param"),
    "ad_attributions": ("user_id", "ad_campaign_id"),
}
ORDER_BY: dict[str, str] = {
    "users": "user_id",
    "subscriptions": "subscription_id",
    "payments": "payment_id",
    "user_payment_methods": "user_id",
    "user_billing": "user_id",
    "promo_codes": "promo_code_id",
    "promo_code_activations": "activation_id",
    "ad_campaigns": "ad_campaign_id",
    "ad_attributions": "user_id",
}

Row = Mapping[str, Any]


@dataclass
class SourceData:
    """Every row the import needs, by table; ``missing`` lists optional tables the source lacks."""

    tables: dict[str, list[Row]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def rows(self, table: str) -> list[Row]:
        return self.tables.get(table, [])


def describe(url: str) -> str:
    """The source URL without its password, for messages."""
    try:
        return make_url(normalize_url(url)).render_as_string(hide_password=True)
    except Exception:
        return "the source database"


async def _columns(connection: AsyncConnection) -> dict[str, set[str]]:
    query = text(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
    )
    found: dict[str, set[str]] = {}
    for table, column in (await connection.execute(query)).all():
        found.setdefault(str(table), set()).add(str(column))
    return found


def check_schema(found: Mapping[str, set[str]]) -> list[str]:
    """Why ``found`` (table -> columns) is not a remnawave-tg-shop schema; empty when it is one."""
    problems: list[str] = []
    for table, columns in REQUIRED.items():
        if table not in found:
            problems.append(f"table {table} is missing")
            continue
        absent = [c for c in columns if c not in found[table]]
        if absent:
            problems.append(f"table {table} lacks {', '.join(absent)}")
    return problems


def _select(table: str, present: set[str]) -> str:
    wanted = [*REQUIRED.get(table, ()), *OPTIONAL.get(table, ())]
    parts = [f'"{c}"' if c in present else f'NULL AS "{c}"' for c in dict.fromkeys(wanted)]
    return f'SELECT {", ".join(parts)} FROM "{table}" ORDER BY "{ORDER_BY[table]}"'  # noqa: S608


async def read_source(url: str) -> SourceData:
    """Check the schema and read every table the import uses; raises :class:`ImportRefused`."""
    try:
        engine = build_engine(url, pooled=False)
    except ValueError as exc:
        raise ImportRefused(f"--from must be a postgresql:// URL ({exc})") from None
    if engine.dialect.name != "postgresql":
        await engine.dispose()
        raise ImportRefused("--from must be a postgresql:// URL of the old bot's database")
    data = SourceData()
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            found = await _columns(connection)
            problems = check_schema(found)
            if problems:
                raise ImportRefused(
                    f"{describe(url)} is not a remnawave-tg-shop database: {'; '.join(problems)}"
                )
            tables: Sequence[str] = [*REQUIRED, *OPTIONAL_TABLE_KEYS]
            for table in tables:
                keys = OPTIONAL_TABLE_KEYS.get(table, ())
                if table not in found or any(k not in found[table] for k in keys):
                    data.missing.append(table)
                    continue
                result = await connection.execute(text(_select(table, found[table])))
                data.tables[table] = [dict(row) for row in result.mappings()]
    except ImportRefused:
        raise
    except (OSError, TimeoutError) as exc:
        raise ImportRefused(f"cannot connect to {describe(url)}: {exc}") from None
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImportRefused(f"cannot read {describe(url)}: {message}") from None
    finally:
        await engine.dispose()
    return data
