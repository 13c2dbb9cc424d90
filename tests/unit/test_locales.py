import re
from pathlib import Path

import pytest

from remnastore.config import ShopSettings
from remnastore.locales import RUSSIAN_FAMILY, SUPPORTED_LANGUAGES, Locales, Raw, resolve_language

SRC = Path(__file__).resolve().parents[2] / "src" / "remnastore"


def test_every_language_has_the_same_texts() -> None:
    locales = Locales("ru")
    assert locales.keys("ru") == locales.keys("en")
    assert len(locales.keys("ru")) > 40


def test_every_text_key_used_in_the_code_exists() -> None:
    locales = Locales("en")
    keys = locales.keys("en")
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        used.update(re.findall(r"""\bt\(\s*["']([a-z0-9-]+)["']""", path.read_text()))
        used.update(re.findall(r"""DomainError\(\s*["']([a-z0-9-]+)["']""", path.read_text()))
        used.update(re.findall(r"""NotAvailable\(\s*["']([a-z0-9-]+)["']""", path.read_text()))
        used.update(re.findall(r'''text_key = "([a-z0-9-]+)"''', path.read_text()))
    assert used, "the scan found no text keys"
    assert used - keys == set()


@pytest.mark.parametrize(
    ("language", "days", "expected"),
    [("ru", 1, "1 день"), ("ru", 3, "3 дня"), ("ru", 5, "5 дней"), ("ru", 21, "21 день"), ("en", 1, "1 day")],
)
def test_plural_forms(language: str, days: int, expected: str) -> None:
    text = Locales("ru").get(language)(
        "trial-activated", expires="x", days=days, traffic="1", devices=1, link="l"
    )
    assert expected in text


def test_interpolated_values_are_html_escaped_unless_marked_raw() -> None:
    t = Locales("en").get("en")
    assert "&lt;b&gt;Eve&amp;Co&lt;/b&gt;" in t("welcome-new", name="<b>Eve&Co</b>")
    assert "<i>ok</i>" in t("welcome-new", name=Raw("<i>ok</i>"))


def test_telegram_languages_map_to_supported_ones() -> None:
    assert resolve_language("en-GB", "ru") == "en"
    assert resolve_language("uk", "en") == "ru"
    assert resolve_language("kk-KZ", "en") == "ru"
    assert resolve_language(None, "en") == "en"
    assert resolve_language("de", "ru") == "ru"
    assert set(SUPPORTED_LANGUAGES) == {"ru", "en"}


def test_other_languages_get_english_unless_the_seller_sets_another_default() -> None:
    default = ShopSettings(_env_file=None).default_language
    assert default == "en"
    for code in ("de", "fr", "es", "tr", "zh-hans", "pt-br", "lv", "pl"):
        assert resolve_language(code, default) == "en", code
        assert resolve_language(code, "ru") == "ru", code  # DEFAULT_LANGUAGE=ru
    for code in ("ru", "uk", "be", "kk"):
        assert resolve_language(code, default) == "ru", code


def test_the_readme_lists_the_russian_family_the_code_uses() -> None:
    readme = (SRC.parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("- Language follows Telegram")
    bullet = readme[start : readme.index("\n- ", start + 1)]
    family = bullet[bullet.index("Russian family") : bullet.index(")")]
    assert set(re.findall(r"`([a-z]+)`", family)) == RUSSIAN_FAMILY
    assert "English for `en` and every other language" in bullet and "DEFAULT_LANGUAGE=ru" in bullet


def test_every_customer_panel_event_has_a_text_in_both_languages() -> None:
    from remnastore.bot.panel_event_messages import EVENT_TEXTS
    from remnastore.config.panel_sync import CUSTOMER_EVENTS

    locales = Locales("en")
    assert set(EVENT_TEXTS) == set(CUSTOMER_EVENTS)
    for language in ("ru", "en"):
        assert set(EVENT_TEXTS.values()) <= locales.keys(language)


def test_a_reused_text_is_the_fresh_fluent_rendering_for_every_key_and_language() -> None:
    reused, other = Locales("en"), Locales("en")
    for language in SUPPORTED_LANGUAGES:
        t = reused.get(language)
        for key in sorted(reused.keys(language)):
            fresh = other.get(language)(key)  # the first time this key is asked: rendered by Fluent
            assert t(key) == fresh, key
            assert t(key) == fresh, key  # the second time from the store


def test_texts_with_arguments_are_rendered_every_time() -> None:
    t = Locales("en").get("en")
    assert "Ann" in t("welcome-new", name="Ann")
    assert "Bob" in t("welcome-new", name="Bob")
    assert "Ann" not in t("welcome-new", name="Bob")


def test_the_store_of_reused_texts_holds_only_the_bundles_messages(caplog: pytest.LogCaptureFixture) -> None:
    locales = Locales("ru")
    for language in SUPPORTED_LANGUAGES:
        t = locales.get(language)
        for i in range(500):
            assert t(f"no-such-key-{i}") == f"no-such-key-{i}"
        for key in locales.keys(language):
            t(key)
        assert len(t._plain) <= len(locales.keys(language))
    # a text that needs arguments and got none is not stored: its render error is logged every time
    caplog.clear()
    t = locales.get("en")
    t("welcome-new")
    t("welcome-new")
    assert [r.getMessage() for r in caplog.records].count("text render errors") == 2


def test_a_text_missing_in_one_language_comes_from_the_default_one_every_time(tmp_path: Path) -> None:
    for language, body in (("ru", "hello = Привет\nonly-ru = Только\n"), ("en", "hello = Hello\n")):
        (tmp_path / language).mkdir()
        (tmp_path / language / "main.ftl").write_text(body, encoding="utf-8")
    locales = Locales("ru", directory=tmp_path)
    en = locales.get("en")
    assert [en("hello"), en("hello"), en("only-ru"), en("only-ru")] == ["Hello", "Hello", "Только", "Только"]
    assert locales.get("ru")("hello") == "Привет"
