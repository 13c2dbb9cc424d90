"""The shipped `.env.example`, with only the required settings filled in, is a valid configuration: through
the settings file `remnastore run` reads, and through the process environment (how compose's `env_file`
passes it, every `NAME=` as an empty variable). An empty value means "not set"."""

import re
from pathlib import Path

import pytest

from remnastore.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
FILLED = {
    "BOT_TOKEN": "123456789:AAFakeTokenForTestsOnly_abcdefghijk",
    "PANEL_URL": "https://panel.example.com",
    "PANEL_TOKEN": "panel-token",
    "ADMIN_IDS": "111",
}


def _example_filled() -> str:
    text = (ROOT / ".env.example").read_text()
    for name, value in FILLED.items():
        text, count = re.subn(rf"^{name}=$", f"{name}={value}", text, flags=re.M)
        assert count == 1, f"{name}= is not an empty line of .env.example"
    return text


def _pairs(text: str) -> dict[str, str]:
    """`NAME=value` lines as compose's env_file reads them (comments and blank lines skipped)."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value
    return pairs


def _assert_defaults(settings_: object) -> None:
    from remnastore.config import Settings

    assert isinstance(settings_, Settings)
    assert settings_.panel.user_tag is None
    assert settings_.payments["yookassa"].tax_system_code is None  # type: ignore[attr-defined]
    # empty lists and addresses fall back to their defaults instead of meaning "none"
    assert settings_.payments["yookassa"].allowed_ips  # type: ignore[attr-defined]
    assert settings_.web.port == 8080
    assert settings_.telegram.webhook_base_url is None
    assert settings_.redis.url is None


def test_the_example_file_loads_through_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _pairs(_example_filled()):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text(_example_filled())
    settings = load_settings(env_file)
    _assert_defaults(settings)
    assert settings.telegram.admin_ids == [111]


def test_the_example_file_loads_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = _pairs(_example_filled())
    assert "" in pairs.values()  # the example leaves optional settings empty
    for name, value in pairs.items():
        monkeypatch.setenv(name, value)
    _assert_defaults(load_settings(None))


def test_an_empty_required_setting_is_reported_as_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FILLED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PANEL_TOKEN", "")
    monkeypatch.setenv("TRIAL_DAYS", "")
    with pytest.raises(ConfigError) as caught:
        load_settings(None)
    assert caught.value.problems == {"PANEL_TOKEN": "is required but not set"}


def test_a_backups_configuration_copy_loads_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive's config.env (secrets redacted, unset values empty) is a valid settings file once the
    secrets are put back."""
    from remnastore.ops.backup import redact_config, render_config
    from remnastore.ops.backup_cli import backup_sources

    settings = load_settings(None, FILLED)
    sources = backup_sources(settings)
    text = render_config(redact_config(sources.config, sources.secret_values))
    assert "PANEL_USER_TAG=\n" in text or "PANEL_USER_TAG=''" in text or 'PANEL_USER_TAG=""' in text
    for name in _pairs(text):
        monkeypatch.delenv(name, raising=False)
    text = re.sub(r"^BOT_TOKEN=.*$", f"BOT_TOKEN={FILLED['BOT_TOKEN']}", text, flags=re.M)
    (tmp_path / "config.env").write_text(text)
    restored = load_settings(tmp_path / "config.env")
    assert restored.panel.user_tag is None and restored.telegram.admin_ids == [111]
