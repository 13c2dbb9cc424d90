"""The `import` command: ``remnastore import machka --from postgresql://... [--dry-run] [--report FILE]``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from remnastore.ops.importers.machka_source import ImportRefused
from remnastore.ops.importers.progress import Progress

if TYPE_CHECKING:
    from remnastore.config import Settings

COMMANDS = ("import",)


def add_commands(subparsers: Any) -> None:
    """Register `import` (with one sub-command per predecessor) on the main parser's subparsers."""
    command = subparsers.add_parser(
        "import", help="bring customers, subscriptions and history over from another shop bot's database"
    )
    kinds = command.add_subparsers(dest="import_source", required=True)
    machka = kinds.add_parser(
        "machka",
        help="from machka-pasla/remnawave-tg-shop (its PostgreSQL database); see docs/migration.md",
    )
    machka.add_argument(
        "--from", dest="source_url", required=True, metavar="URL", help="postgresql://user:pass@host/db"
    )
    machka.add_argument("--dry-run", action="store_true", help="do everything, then write nothing")
    machka.add_argument(
        "--report", type=Path, default=None, help="write the report here (default: import-machka-<time>.txt)"
    )
    machka.add_argument(
        "--tariff", default=None, help="tariff code of imported subscriptions (default: the first tariff)"
    )
    machka.add_argument(
        "--device-limit",
        type=int,
        default=None,
        help="device limit of imported subscriptions (the old USER_HWID_DEVICE_LIMIT; default: the panel's)",
    )
    machka.add_argument(
        "--campaign-currency", default="RUB", help="currency of ad campaign costs (default RUB)"
    )
    machka.add_argument(
        "--no-panel-check", action="store_true", help="do not read the panel to confirm imported links"
    )


async def run_command(
    args: argparse.Namespace,
    settings: Settings,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the import; returns the exit code (1 when refused, with one line on stderr)."""
    from remnastore.db import migrate
    from remnastore.db.session import Database
    from remnastore.domain.catalogue import CatalogueError, load_catalogue
    from remnastore.ops.importers.machka import MachkaImporter
    from remnastore.ops.importers.machka_run import ImportOptions

    out = out or sys.stdout
    err = err or sys.stderr
    if not await migrate.is_up_to_date(settings.database.url):
        if args.dry_run or not settings.database.auto_migrate:
            print("import refused: the database schema is not up to date; run `remnastore migrate`", file=err)
            return 1
        await migrate.upgrade(settings.database.url)
    try:
        catalogue = load_catalogue(settings.sales.catalogue_file)
    except (CatalogueError, OSError) as exc:
        print(f"import refused: the catalogue cannot be read: {exc}", file=err)
        return 1
    options = ImportOptions(
        tariff_code=args.tariff, device_limit=args.device_limit, campaign_currency=args.campaign_currency
    )
    progress = Progress(err)
    db = Database(settings.database.url, pool_size=2)
    try:
        try:
            report = await MachkaImporter(db, catalogue, options, progress=progress).run(
                args.source_url, dry_run=args.dry_run
            )
        except ImportRefused as exc:
            print(f"import refused: {exc}", file=err)
            return 1
        if not args.dry_run and not args.no_panel_check:
            report.panel = await _panel_check(db, settings, progress)
    finally:
        await db.dispose()
    path = args.report or Path(f"import-machka-{datetime.now(UTC):%Y%m%d-%H%M%S}.txt")
    path.write_text(report.render(full=True), encoding="utf-8")
    out.write(report.render(full=False))
    out.write(f"\nThe full report is in {path}\n")
    if args.dry_run:
        out.write("Dry run: nothing was written. Run again without --dry-run to import.\n")
    else:
        out.write(
            "Nothing was sent to customers or to the panel. Next: run the panel sync (admin menu ->"
            " Panel sync, or /sync) so that every customer's expiry follows the panel.\n"
        )
        if args.no_panel_check:
            out.write(
                "Panel links were not checked: a customer linked by an old panel uuid is found by their"
                " Telegram id when they first use the bot (a 3.x panel has no lookup by uuid).\n"
            )
    out.flush()
    return 0


async def _panel_check(db: Any, settings: Settings, progress: Progress) -> Any:
    from remnastore.ops.importers.panel_check import check_panel_links
    from remnastore.ops.importers.report import PanelCheckResult
    from remnastore.panel.client import RemnawaveClient

    panel = settings.panel
    client = RemnawaveClient(
        panel.url,
        panel.token.get_secret_value(),
        api_version=panel.api_version,
        extra_headers=panel.extra_headers,
        cookies=panel.cookies,
        timeout=panel.timeout,
        retries=panel.retries,
    )
    try:
        return await check_panel_links(db, client, username_prefix=panel.username_prefix, progress=progress)
    except Exception as exc:  # the import is committed; a failed check only goes into the report
        return PanelCheckResult(error=f"{type(exc).__name__}: {exc}")
    finally:
        await client.close()
