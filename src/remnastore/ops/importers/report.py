"""What an import did: counts per table, skipped rows with the reason, money before and after."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from remnastore.domain.money import Money, currency

SKIPPED_SHOWN = 10  # skipped rows listed per reason on the terminal (the file lists all)


@dataclass
class TableCount:
    source: int = 0  # rows read
    created: int = 0  # new rows written here
    updated: int = 0  # imported before, changed in the source since: brought up to date
    unchanged: int = 0  # imported before, nothing changed
    skipped: int = 0


@dataclass(frozen=True)
class Skipped:
    table: str
    key: str
    reason: str


@dataclass(frozen=True)
class Mismatch:
    telegram_id: int
    link: str | None
    problem: str


@dataclass
class PanelCheckResult:
    checked: int = 0
    confirmed: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    tables: dict[str, TableCount] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: exact sums of the paid payments in the source (floats read as their shortest repr), per currency
    money_before: dict[str, Decimal] = field(default_factory=dict)
    #: sums of the imported paid orders here, per currency
    money_after: dict[str, Money] = field(default_factory=dict)
    seconds: float = 0.0
    panel: PanelCheckResult | None = None

    def table(self, name: str) -> TableCount:
        return self.tables.setdefault(name, TableCount())

    def skip(self, table: str, key: object, reason: str) -> None:
        self.table(table).skipped += 1
        self.skipped.append(Skipped(table, str(key), reason))

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.tables.values())

    def render(self, *, full: bool) -> str:
        """The report as text; ``full`` lists every skipped row (for the file)."""
        lines = [
            f"Import from {self.source}" + (" (dry run: nothing was written)" if self.dry_run else ""),
            "",
            f"{'table':<24}{'source':>9}{'created':>9}{'updated':>9}{'unchanged':>11}{'skipped':>9}",
        ]
        for name, c in self.tables.items():
            lines.append(
                f"{name:<24}{c.source:>9}{c.created:>9}{c.updated:>9}{c.unchanged:>11}{c.skipped:>9}"
            )
        lines += ["", "Money of paid payments (source as stored -> imported orders, per currency):"]
        codes = sorted(set(self.money_before) | set(self.money_after))
        if not codes:
            lines.append("  none")
        for code in codes:
            before = self.money_before.get(code, Decimal(0))
            after = self.money_after.get(code, Money.zero(code))
            diff = after.to_decimal() - before
            sign = "-" if diff < 0 else "+"
            lines.append(
                f"  {code}: {_plain(before, code)} -> {_plain(after.to_decimal(), code)}"
                f" (difference {sign}{_plain(abs(diff), code)} from rounding and skipped rows)"
            )
        if self.notes:
            lines += ["", "Notes:"]
            lines += [f"  - {note}" for note in self.notes]
        lines += ["", f"Skipped rows: {len(self.skipped)}"]
        by_reason: dict[tuple[str, str], list[str]] = {}
        for row in self.skipped:
            by_reason.setdefault((row.table, row.reason), []).append(row.key)
        for (table, reason), keys in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
            shown = keys if full else keys[:SKIPPED_SHOWN]
            more = "" if len(shown) == len(keys) else f" ... and {len(keys) - len(shown)} more"
            lines.append(f"  {table}: {reason} ({len(keys)}): {', '.join(shown)}{more}")
        if self.panel is not None:
            lines += ["", _render_panel(self.panel, full=full)]
        lines += ["", f"Took {self.seconds:.1f} s."]
        return "\n".join(lines) + "\n"

    def counts(self) -> Counter[str]:
        """Skipped rows per reason (for tests and summaries)."""
        return Counter(row.reason for row in self.skipped)


def _plain(amount: Decimal, code: str) -> str:
    try:
        places = currency(code).exponent
    except ValueError:
        return str(amount)
    return f"{amount:.{places}f}" if amount == amount.quantize(Decimal(1).scaleb(-places)) else str(amount)


def _render_panel(result: PanelCheckResult, *, full: bool) -> str:
    if result.error is not None:
        return f"Panel check: not done ({result.error})"
    lines = [
        f"Panel check (read-only): {result.checked} links checked, {result.confirmed} confirmed,"
        f" {len(result.mismatches)} mismatches"
    ]
    shown = result.mismatches if full else result.mismatches[:50]
    for m in shown:
        lines.append(f"  Telegram id {m.telegram_id} (panel user {m.link or '-'}): {m.problem}")
    if len(shown) < len(result.mismatches):
        lines.append(f"  ... and {len(result.mismatches) - len(shown)} more (see the report file)")
    return "\n".join(lines)
