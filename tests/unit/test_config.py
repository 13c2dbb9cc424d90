import re
from pathlib import Path

import pytest

from remnastore.config import DEFAULT_DATABASE_URL, ConfigError, env_names, load_settings
from remnastore.ops.settings_docs import env_example, readme_with_table

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "BOT_TOKEN": "123456789:AAFakeTokenForTestsOnly_abcdefghijk",
    "PANEL_URL": "https://panel.example.com/",
    "PANEL_TOKEN": "panel-token",
    "ADMIN_IDS": "111, 222",
}


def test_only_four_settings_are_needed_and_the_defaults_are_embedded() -> None:
    settings = load_settings(None, REQUIRED)
    assert settings.database.url == DEFAULT_DATABASE_URL
    assert settings.redis.url is None
    assert settings.use_webhook is False
    assert settings.telegram.admin_ids == [111, 222]
    assert settings.panel.url == "https://panel.example.com"
    assert settings.telegram.api_url == "https://api.telegram.org"


def test_every_problem_is_reported_with_the_variable_name() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(
            None,
            {
                **REQUIRED,
                "BOT_TOKEN": "nope",
                "ADMIN_IDS": "12,abc",
                "TRIAL_DAYS": "0",
                "DATABASE_URL": "mysql://x",
            },
        )
    problems = caught.value.problems
    assert set(problems) == {"BOT_TOKEN", "ADMIN_IDS", "TRIAL_DAYS", "DATABASE_URL"}
    assert "abc" in problems["ADMIN_IDS"]


def test_missing_required_settings_are_named() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, {"PANEL_URL": "https://p"})
    assert {"BOT_TOKEN", "PANEL_TOKEN"} <= set(caught.value.problems)
    assert "required" in caught.value.problems["PANEL_TOKEN"]


def test_postgres_urls_get_the_async_driver_and_panel_headers_parse() -> None:
    settings = load_settings(
        None,
        {
            **REQUIRED,
            "DATABASE_URL": "postgres://u:p@db:5432/shop",
            "PANEL_EXTRA_HEADERS": "X-Api-Key: k1; X-Other: v",
            "PANEL_COOKIES": '{"session": "abc"}',
        },
    )
    assert settings.database.url == "postgresql+asyncpg://u:p@db:5432/shop"
    assert settings.panel.extra_headers == {"X-Api-Key": "k1", "X-Other": "v"}
    assert settings.panel.cookies == {"session": "abc"}


def test_settings_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(f"{k}={v}" for k, v in REQUIRED.items()) + "\nTRIAL_DAYS=7\n")
    assert load_settings(env_file).trial.days == 7


def test_env_example_and_readme_document_every_setting() -> None:
    names = set(env_names())
    example_text = (ROOT / ".env.example").read_text()
    readme_text = (ROOT / "README.md").read_text()
    example = set(re.findall(r"^([A-Z0-9_]+)=", example_text, re.M))
    readme = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", readme_text, re.M))
    assert names == example
    assert names == readme
    # Both are generated from the settings' descriptions: `python -m remnastore.ops.settings_docs`.
    assert example_text == env_example()
    assert readme_with_table(readme_text) == readme_text


def test_secrets_are_listed_for_redaction() -> None:
    settings = load_settings(None, {**REQUIRED, "PANEL_EXTRA_HEADERS": "X-Api-Key: caddy-secret"})
    secrets = settings.secrets()
    assert REQUIRED["BOT_TOKEN"] in secrets and "panel-token" in secrets and "caddy-secret" in secrets
