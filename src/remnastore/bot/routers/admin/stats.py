"""Admin: the statistics screen with a refresh button."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminNav, AdminSection, AdminStatsRefresh
from remnastore.bot.display_names import provider_name, tariff_name
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.routing import Router
from remnastore.domain.catalogue import Catalogue
from remnastore.domain.money import Money
from remnastore.locales import Translator
from remnastore.services.effective_settings import EffectiveSettings
from remnastore.services.statistics import ShopStatistics, Statistics


def render(stats: ShopStatistics, t: Translator, renderer: Renderer, catalogue: Catalogue) -> str:
    c = stats.customers
    parts = [
        t(
            "admin-stats",
            at=renderer.when(stats.at, t),
            total=c.total,
            day=c.new_day,
            week=c.new_week,
            month=c.new_month,
            paid=c.active_paid,
            trials=c.active_trials,
            trials_taken=c.trials_taken,
            converted=c.converted,
            conversion=str(stats.conversion_percent),
            banned=c.banned,
        ),
        "",
        t("admin-stats-revenue-title"),
    ]
    for row in stats.revenue:

        def amount(minor: int, currency: str = row.currency) -> str:
            return renderer.money(Money(minor, currency), t)

        parts.append(
            t(
                "admin-stats-revenue-line",
                provider=provider_name(row.provider, t),
                today=amount(row.today),
                week=amount(row.week),
                month=amount(row.month),
                total=amount(row.total),
            )
        )
    if not stats.revenue:
        parts.append(t("admin-stats-revenue-none"))
    parts += ["", t("admin-stats-tariffs-title")]
    parts += [
        t("admin-stats-tariff-line", tariff=tariff_name(code, catalogue, t), count=count)
        for code, count in stats.top_tariffs
    ]
    if not stats.top_tariffs:
        parts.append(t("admin-stats-tariffs-none"))
    parts.append("")
    panel = stats.panel
    if panel is None:
        parts.append(t("admin-stats-panel-down"))
    else:
        parts.append(
            t(
                "admin-stats-panel",
                users=panel.users,
                online=panel.online_now,
                nodes=panel.nodes_online,
                traffic=renderer.size(panel.lifetime_bytes, t) if panel.lifetime_bytes is not None else "—",
            )
        )
    return "\n".join(parts)


async def show_stats(
    query: CallbackQuery,
    t: Translator,
    statistics: Statistics,
    renderer: Renderer,
    effective_settings: EffectiveSettings,
    callback_data: AdminNav | AdminStatsRefresh,
) -> None:
    refresh = isinstance(callback_data, AdminStatsRefresh)
    stats = await statistics.get(refresh=refresh)
    kb = InlineKeyboardBuilder()
    kb.button(text=t("btn-refresh"), callback_data=AdminStatsRefresh())
    kb.row(back_to_menu(t))
    await show(
        query,
        render(stats, t, renderer, effective_settings.current.catalogue),
        kb.as_markup(),
        notice=t("admin-stats-refreshed") if refresh else None,
    )


def build() -> Router:
    router = Router(name="admin-stats")
    router.callback_query.register(show_stats, AdminNav.filter(F.section == AdminSection.STATS))
    router.callback_query.register(show_stats, AdminStatsRefresh.filter())
    return router
