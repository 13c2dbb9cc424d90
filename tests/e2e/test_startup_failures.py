"""A seller's first start, run as the real command line: each start-up failure prints one line with the fix
(no traceback unless LOG_LEVEL=DEBUG) and exits with its own documented code; `check` catches the same
mistakes beforehand."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from remnastore.domain.catalogue import DEFAULT_CATALOGUE
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator
from remnastore.ops.exit_codes import CONFIGURATION, ExitCode
from tests.e2e.test_cli import remnastore
from tests.fixtures.shop import BOT_TOKEN, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path) -> dict[str, str]:
    return {
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": telegram_emulator.url,
        "PANEL_URL": panel_emulator.url,
        "PANEL_TOKEN": panel_emulator.token,
        "ADMIN_IDS": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path}/shop.sqlite3",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(free_port()),
        "METRICS_PORT": "0",
        "LOG_FORMAT": "text",
    }


def _error_line(out: str, code: ExitCode) -> str:
    assert "Traceback" not in out, out
    lines = [line for line in out.splitlines() if line.startswith("remnastore: ")]
    assert len(lines) == 1, out
    assert lines[0].endswith(f"(exit code {int(code)})") and " -> " in lines[0]
    return lines[0]


async def test_a_revoked_bot_token(
    env: dict[str, str], telegram_emulator: TelegramEmulator, tmp_path: Path
) -> None:
    telegram_emulator.revoked_tokens.add(BOT_TOKEN)
    code, out = await remnastore("run", env=env, cwd=tmp_path)
    assert code == ExitCode.BOT_TOKEN_REJECTED, out
    assert "@BotFather" in _error_line(out, ExitCode.BOT_TOKEN_REJECTED)
    assert BOT_TOKEN not in out


async def test_telegram_out_of_reach(env: dict[str, str], tmp_path: Path) -> None:
    env["TELEGRAM_API_URL"] = f"http://127.0.0.1:{free_port()}"
    code, out = await remnastore("run", env=env, cwd=tmp_path)
    assert code == ExitCode.TELEGRAM_UNREACHABLE, out
    assert "cannot reach Telegram" in _error_line(out, ExitCode.TELEGRAM_UNREACHABLE)


async def test_a_missing_or_broken_catalogue(env: dict[str, str], tmp_path: Path) -> None:
    env["CATALOGUE_FILE"] = str(tmp_path / "mine.toml")
    code, out = await remnastore("run", env=env, cwd=tmp_path)
    assert code == ExitCode.CATALOGUE_INVALID, out
    assert "mine.toml does not exist" in _error_line(out, ExitCode.CATALOGUE_INVALID)

    (tmp_path / "mine.toml").write_text(DEFAULT_CATALOGUE.read_text().replace('RUB = "199.00"', 'RUB = "-5"'))
    code, out = await remnastore("run", env=env, cwd=tmp_path)
    assert code == ExitCode.CATALOGUE_INVALID, out
    _error_line(out, ExitCode.CATALOGUE_INVALID)
    code, out = await remnastore("check", env=env, cwd=tmp_path)
    assert code == 1
    (line,) = [ln for ln in out.splitlines() if ln.startswith("catalogue")]
    assert "FAIL" in line and "1m" in line, line


async def test_invalid_settings_and_a_missing_settings_file(env: dict[str, str], tmp_path: Path) -> None:
    code, out = await remnastore("run", env={**env, "TRIAL_DAYS": "0"}, cwd=tmp_path)
    assert code == ExitCode.INVALID_SETTINGS and "TRIAL_DAYS:" in out and "Traceback" not in out
    for args in (("--env-file", "missing.env", "run"), ("run", "--env-file", "missing.env")):
        code, out = await remnastore(*args, env=env, cwd=tmp_path)
        assert code == ExitCode.INVALID_SETTINGS, out
        assert "missing.env does not exist" in _error_line(out, ExitCode.INVALID_SETTINGS)


async def test_the_database_out_of_reach(env: dict[str, str], tmp_path: Path) -> None:
    env["DATABASE_URL"] = f"postgresql://shop:secret-pass@127.0.0.1:{free_port()}/shop"
    code, out = await remnastore("run", env=env, cwd=tmp_path)
    assert code == ExitCode.DATABASE_UNREACHABLE, out
    line = _error_line(out, ExitCode.DATABASE_UNREACHABLE)
    assert "start the database server" in line and "secret-pass" not in out
    code, out = await remnastore("migrate", env=env, cwd=tmp_path)
    assert code == ExitCode.DATABASE_UNREACHABLE, out
    assert "secret-pass" not in _error_line(out, ExitCode.DATABASE_UNREACHABLE)


def _missing_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    assert url, "TEST_DATABASE_URL is needed for this test"
    return urlunsplit(urlsplit(url)._replace(path="/remnastore_no_such_database"))


@pytest.mark.postgres
async def test_a_database_that_does_not_exist(env: dict[str, str], tmp_path: Path) -> None:
    env["DATABASE_URL"] = _missing_database_url()
    code, out = await remnastore("run", env=env, cwd=tmp_path)
    assert code == ExitCode.DATABASE_MISSING, out
    assert "create the database" in _error_line(out, ExitCode.DATABASE_MISSING)
    code, out = await remnastore("check", env=env, cwd=tmp_path)
    assert code == 1
    (line,) = [ln for ln in out.splitlines() if ln.startswith("database")]
    assert "does not exist" in line and "create the database" in line and "start the" not in line


async def test_the_traceback_is_shown_at_debug_level(
    env: dict[str, str], telegram_emulator: TelegramEmulator, tmp_path: Path
) -> None:
    telegram_emulator.revoked_tokens.add(BOT_TOKEN)
    code, out = await remnastore("run", env={**env, "LOG_LEVEL": "DEBUG"}, cwd=tmp_path)
    assert code == ExitCode.BOT_TOKEN_REJECTED
    assert "Traceback" in out and "TelegramUnauthorizedError" in out


async def test_check_with_credentials_in_the_panel_address(env: dict[str, str], tmp_path: Path) -> None:
    env["PANEL_URL"] = "https://admin:panel-pass-123@panel.example.com"
    code, out = await remnastore("check", env=env, cwd=tmp_path)
    assert code == ExitCode.INVALID_SETTINGS, out
    assert "PANEL_URL: must not contain user:password@" in out
    assert "panel-pass-123" not in out and "Traceback" not in out


async def test_check_warns_about_the_example_catalogue_and_no_admins(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["ADMIN_IDS"] = ""
    code, out = await remnastore("check", env=env, cwd=tmp_path)
    assert code == 0, out
    (catalogue,) = [ln for ln in out.splitlines() if ln.startswith("catalogue")]
    assert "WARN" in catalogue and "you are selling the example prices" in catalogue
    (admins,) = [ln for ln in out.splitlines() if ln.startswith("admins")]
    assert "WARN" in admins and "ADMIN_IDS" in admins
    # a copy of the example is still the example; the seller's own prices are not
    (tmp_path / "copy.toml").write_text(DEFAULT_CATALOGUE.read_text())
    code, out = await remnastore("check", env={**env, "CATALOGUE_FILE": "copy.toml"}, cwd=tmp_path)
    assert "you are selling the example prices" in out
    own = DEFAULT_CATALOGUE.read_text().replace('RUB = "199.00"', 'RUB = "249.00"')
    (tmp_path / "own.toml").write_text(own)
    (tmp_path / "shop.env").write_text(f"CATALOGUE_FILE={tmp_path / 'own.toml'}\nADMIN_IDS=1\n")
    code, out = await remnastore("check", "--env-file", "shop.env", env=env, cwd=tmp_path)
    assert code == 0, out
    (catalogue,) = [ln for ln in out.splitlines() if ln.startswith("catalogue")]
    assert "OK" in catalogue and "own.toml" in catalogue and "WARN" not in catalogue
    (admins,) = [ln for ln in out.splitlines() if ln.startswith("admins")]
    assert "WARN" not in admins  # (the panel's own warnings, e.g. device limiting, are not about these)


def test_configuration_errors_stop_systemd_restarts_and_every_code_is_documented() -> None:
    unit = (ROOT / "deploy" / "remnastore.service").read_text()
    (line,) = re.findall(r"^RestartPreventExitStatus=(.+)$", unit, re.M)
    assert sorted(int(code) for code in line.split()) == sorted(int(code) for code in CONFIGURATION)
    operations = (ROOT / "docs" / "operations.md").read_text()
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \| ", operations, re.M), (
            f"exit code {int(code)} is not documented"
        )
