"""What admins and customers read instead of internal codes: payment providers, tariffs, subscription
kinds and languages by their display names (a code no longer known is shown as it is stored)."""

from __future__ import annotations

from remnastore.domain.catalogue import Catalogue
from remnastore.locales import Translator


def provider_name(code: str, t: Translator) -> str:
    """A payment provider (or the balance) as people know it: "Telegram Stars", "YooKassa"."""
    key = f"provider-name-{code}"
    return str(t(key)) if t.has(key) else code


def tariff_name(code: str | None, catalogue: Catalogue, t: Translator) -> str:
    """A tariff's name in the reader's language; a tariff removed from the catalogue keeps its code."""
    if not code:
        return "—"
    tariff = catalogue.tariff(code)
    return tariff.name(t.language) if tariff is not None else code


def subscription_kind(kind: str | None, t: Translator) -> str:
    """paid / trial / bonus / gift in the reader's language."""
    if not kind:
        return "—"
    key = f"subscription-kind-{kind}"
    return str(t(key)) if t.has(key) else kind


def language_name(code: str, t: Translator) -> str:
    key = f"language-name-{code}"
    return str(t(key)) if t.has(key) else code
