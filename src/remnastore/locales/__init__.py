"""Localised texts (Fluent files per language) and the translator that renders them.

Every interpolated argument is HTML-escaped unless it is wrapped in :class:`Raw`, because every text is
sent with parse_mode HTML and customer or panel data must never be able to break (or inject) markup.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax.ast import Junk

SUPPORTED_LANGUAGES: tuple[str, ...] = ("ru", "en")
_LOCALES_DIR = Path(__file__).parent
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Raw:
    """A value inserted into a text without HTML escaping (already safe markup)."""

    value: str


class Html(str):
    """A rendered text: already valid markup, so it is not escaped again when nested in another text."""

    __slots__ = ()


ArgValue = str | int | Decimal | Raw | None


#: Telegram languages whose speakers mostly read Russian too, so they are answered in Russian: those of
#: the other former Soviet republics where Russian is widely used (Ukrainian, Belarusian, Kazakh, Kyrgyz,
#: Uzbek, Tajik, Turkmen, Armenian, Azerbaijani, Georgian; not Romanian, also Romania's, nor the Baltic
#: languages) and languages of Russia's republics (Tatar, Bashkir, Chuvash, Yakut, Chechen, Ossetian,
#: Udmurt, Mari, Buryat, Kalmyk). Keep docs/ and the README in step with this list.
RUSSIAN_FAMILY: frozenset[str] = frozenset(
    {"uk", "be", "kk", "ky", "uz", "tg", "tk", "hy", "az", "ka"}
    | {"tt", "ba", "cv", "sah", "ce", "os", "udm", "chm", "mhr", "bua", "xal"}
)


def resolve_language(code: str | None, default: str) -> str:
    """Map a Telegram ``language_code`` to one of ours: ``ru`` and the Russian family (see
    :data:`RUSSIAN_FAMILY`) -> ``ru``; ``en`` -> ``en``; any other language, or none, -> ``default``
    (the seller's ``DEFAULT_LANGUAGE``, English unless set)."""
    if not code:
        return default
    base = code.lower().replace("_", "-").split("-")[0]
    if base in SUPPORTED_LANGUAGES:
        return base
    if base in RUSSIAN_FAMILY:
        return "ru"
    return default


class Translator:
    """Renders message ``key`` in ``language`` with CLDR plural rules.

    A text without arguments (a button label, a title) is rendered by Fluent once and then reused: the
    bundle is loaded from the files at start and never changes, and there are no per-shop overrides of
    these texts. Only keys of the bundle are kept (at most one entry per message), so the store is bounded.
    """

    def __init__(self, language: str, bundle: FluentBundle, fallback: Translator | None = None) -> None:
        self.language = language
        self._bundle = bundle
        self._fallback = fallback
        self._plain: dict[str, Html] = {}

    def has(self, key: str) -> bool:
        return self._bundle.has_message(key)

    def text(self, key: str, **args: ArgValue) -> Html:
        if not args:
            cached = self._plain.get(key)
            if cached is not None:
                return cached
        if not self._bundle.has_message(key):
            if self._fallback is not None:
                return self._fallback.text(key, **args)
            log.error("missing text", extra={"key": key, "language": self.language})
            return Html(html.escape(key))
        message = self._bundle.get_message(key)
        if message.value is None:
            return Html(html.escape(key))
        rendered, errors = self._bundle.format_pattern(message.value, _prepare(args))
        if errors:
            log.error("text render errors", extra={"key": key, "errors": [str(e) for e in errors]})
            return Html(rendered)
        result = Html(rendered)
        if not args:
            self._plain[key] = result
        return result

    __call__ = text


def _prepare(args: Mapping[str, ArgValue]) -> dict[str, object]:
    prepared: dict[str, object] = {}
    for name, value in args.items():
        if value is None:
            prepared[name] = ""
        elif isinstance(value, Raw):
            prepared[name] = value.value
        elif isinstance(value, Html):
            prepared[name] = str(value)
        elif isinstance(value, str):
            prepared[name] = html.escape(value, quote=False)
        else:
            prepared[name] = value
    return prepared


class Locales:
    """All loaded languages; ``get(lang)`` returns a translator falling back to the default language."""

    def __init__(self, default_language: str, directory: Path = _LOCALES_DIR) -> None:
        self.default_language = default_language
        bundles: dict[str, FluentBundle] = {}
        for language in SUPPORTED_LANGUAGES:
            bundle = FluentBundle([language], use_isolating=False)
            for path in sorted((directory / language).glob("*.ftl")):
                resource = FluentResource(path.read_text(encoding="utf-8"))
                junk = [entry for entry in resource.body if isinstance(entry, Junk)]
                if junk:
                    raise ValueError(f"{path}: cannot parse: {str(junk[0].content)[:80]!r}")
                bundle.add_resource(resource)
            bundles[language] = bundle
        default = Translator(default_language, bundles[default_language])
        self._translators = {
            lang: default if lang == default_language else Translator(lang, bundle, fallback=default)
            for lang, bundle in bundles.items()
        }

    def get(self, language: str | None) -> Translator:
        return self._translators.get(
            language or self.default_language, self._translators[self.default_language]
        )

    def keys(self, language: str) -> set[str]:
        bundle = self._translators[language]._bundle
        return set(bundle._messages.keys())


def format_datetime(value: datetime, language: str) -> str:
    """A date and time as customers read it (UTC, 24-hour)."""
    if language == "ru":
        return value.strftime("%d.%m.%Y %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M UTC")
