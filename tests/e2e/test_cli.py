"""The command line as a seller uses it: `check` explains what is wrong; `migrate` creates the schema."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from remnastore.emulators.nalogo import NalogoEmulator
from remnastore.emulators.panel import DEFAULT_SQUAD_UUID, PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import BOT_TOKEN, free_port


async def remnastore(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("PANEL_", "DATABASE_", "REDIS_", "BOT_"))
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "remnastore",
        *args,
        env={**clean, **env},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode()


async def test_check_passes_when_everything_answers(
    telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path
) -> None:
    env = {
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": telegram_emulator.url,
        "PANEL_URL": panel_emulator.url,
        "PANEL_TOKEN": panel_emulator.token,
        "ADMIN_IDS": "1",
    }
    code, out = await remnastore("check", env=env, cwd=tmp_path)
    assert code == 0, out
    assert "all checks passed" in out
    assert "bot @" in out


async def test_check_explains_a_wrong_panel_token_and_an_unreachable_database(
    telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path
) -> None:
    env = {
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": telegram_emulator.url,
        "PANEL_URL": panel_emulator.url,
        "PANEL_TOKEN": "not-the-right-token",
        "ADMIN_IDS": "1",
        "DATABASE_URL": f"postgresql://shop:secret-pass@127.0.0.1:{free_port()}/shop",
    }
    code, out = await remnastore("check", env=env, cwd=tmp_path)
    assert code == 1
    lines = out.splitlines()
    panel = [line for line in lines if line.startswith("panel")]
    database = [line for line in lines if line.startswith("database")]
    assert len(panel) == 1 and "PANEL_TOKEN is rejected" in panel[0] and "API token" in panel[0]
    assert len(database) == 1 and "cannot connect" in database[0] and "DATABASE_URL" in database[0]
    assert "secret-pass" not in out and "not-the-right-token" not in out


async def test_invalid_settings_name_the_variable(tmp_path: Path) -> None:
    code, out = await remnastore("check", env={"BOT_TOKEN": "oops", "PANEL_URL": "panel"}, cwd=tmp_path)
    assert code == 2
    assert "BOT_TOKEN:" in out and "PANEL_URL:" in out and "PANEL_TOKEN: is required" in out


async def test_migrate_creates_the_sqlite_database_from_nothing(tmp_path: Path) -> None:
    code, out = await remnastore("migrate", env={"DATABASE_URL": "sqlite:///./data/shop.db"}, cwd=tmp_path)
    assert code == 0, out
    assert (tmp_path / "data" / "shop.db").exists()
    code, again = await remnastore("migrate", env={"DATABASE_URL": "sqlite:///./data/shop.db"}, cwd=tmp_path)
    assert code == 0 and "->" in again


async def test_run_with_only_the_required_settings_serves_customers_and_stops_on_sigterm(
    telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={BOT_TOKEN}\nPANEL_URL={panel_emulator.url}\nPANEL_TOKEN={panel_emulator.token}\nADMIN_IDS=1\n"
    )
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("PANEL_", "DATABASE_", "REDIS_", "BOT_"))
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "remnastore",
        "run",
        env={
            **clean,
            "TELEGRAM_API_URL": telegram_emulator.url,
            "WEB_PORT": str(free_port()),
            "METRICS_PORT": "0",
        },
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await telegram_emulator.wait_for_call("getUpdates", timeout=30)
        olga = telegram_emulator.user(7001, first_name="Olga", language_code="ru")
        reply = await olga.wait_reply(await olga.send("/start"), timeout=15)
        assert "Добро пожаловать, Olga" in reply.text
        assert (tmp_path / "remnastore.sqlite3").exists()
    finally:
        process.terminate()
        out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, out.decode()[-2000:]
    assert BOT_TOKEN not in out.decode()
    # no CATALOGUE_FILE: the shop says at start that it sells the shipped example prices
    assert "you are selling the example prices" in out.decode()


async def test_run_refuses_to_start_without_redis_unless_memory_fallback_is_allowed(
    telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path
) -> None:
    env = {
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": telegram_emulator.url,
        "PANEL_URL": panel_emulator.url,
        "PANEL_TOKEN": panel_emulator.token,
        "ADMIN_IDS": "1",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "REDIS_CONNECT_ATTEMPTS": "2",
        "WEB_PORT": str(free_port()),
        "METRICS_PORT": "0",
        "LOG_FORMAT": "text",
    }
    code, out = await remnastore("run", env=env, cwd=tmp_path)
    assert code == 4, out
    assert "cannot be reached" in out and "REDIS_FALLBACK_MEMORY" in out
    assert telegram_emulator.calls_for("getUpdates") == []

    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("PANEL_", "DATABASE_", "REDIS_", "BOT_"))
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "remnastore", "run",
        env={**clean, **env, "REDIS_FALLBACK_MEMORY": "true"},
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await telegram_emulator.wait_for_call("getUpdates", timeout=30)
        user = telegram_emulator.user(7002, first_name="Pavel", language_code="en")
        reply = await user.wait_reply(await user.send("/start"), timeout=15)
        assert "Welcome, Pavel" in reply.text
    finally:
        process.terminate()
        out_bytes, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert "in-memory state" in out_bytes.decode()


async def test_check_reports_each_enabled_payment_provider(
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
    payment_emulators: PaymentEmulators,
    tmp_path: Path,
) -> None:
    env = {
        **payment_emulators.settings(),
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": telegram_emulator.url,
        "PANEL_URL": panel_emulator.url,
        "PANEL_TOKEN": panel_emulator.token,
        "ADMIN_IDS": "1",
    }
    code, out = await remnastore("check", env=env, cwd=tmp_path)
    assert code == 1
    yookassa = [line for line in out.splitlines() if line.startswith("payments:yookassa")]
    assert len(yookassa) == 1 and "FAIL" in yookassa[0] and "PUBLIC_URL" in yookassa[0]

    payment_emulators.platega.set_down(True)
    await payment_emulators.cryptobot.stop()
    code, out = await remnastore("check", env={**env, "PUBLIC_URL": "https://shop.example.com"}, cwd=tmp_path)
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("payments:")}
    assert set(lines) == {f"payments:{name}" for name in payment_emulators.all()} | {"payments:stars"}
    assert (
        "OK" in lines["payments:yookassa"]
        and "https://shop.example.com/webhooks/yookassa" in lines["payments:yookassa"]
    )
    assert "OK" in lines["payments:platega"]  # it answers, even if with 503
    assert "FAIL" in lines["payments:cryptobot"] and "CRYPTOBOT_API_URL" in lines["payments:cryptobot"]
    assert code == 1


def _check_env(telegram: TelegramEmulator, panel: PanelEmulator, **extra: str) -> dict[str, str]:
    return {
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": telegram.url,
        "PANEL_URL": panel.url,
        "PANEL_TOKEN": panel.token,
        "ADMIN_IDS": "1",
        **extra,
    }


def _line(out: str, name: str) -> str:
    [line] = [line for line in out.splitlines() if line.split(" ", 1)[0] == name]
    return line


@pytest.mark.parametrize(
    "panel_emulator",
    [{"scopes": ["users:read", "internal-squads:read", "system:read", "hwid-user-devices:read"]}],
    indirect=True,
)
async def test_check_proves_the_token_may_write_and_names_the_missing_scope(
    telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path
) -> None:
    code, out = await remnastore("check", env=_check_env(telegram_emulator, panel_emulator), cwd=tmp_path)
    assert code == 1, out
    token = _line(out, "panel:token")
    assert "FAIL" in token and "may not create users" in token and "users:write" in token
    assert "all checks passed" not in out


@pytest.mark.parametrize(
    "panel_emulator",
    [{"scopes": ["users:*", "internal-squads:read", "hwid-user-devices:*"]}],
    indirect=True,
)
async def test_check_reports_a_token_that_cannot_read_stats_as_that(
    telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path
) -> None:
    code, out = await remnastore("check", env=_check_env(telegram_emulator, panel_emulator), cwd=tmp_path)
    assert code == 1, out
    assert "rejected" not in out
    stats = [line for line in out.splitlines() if "system stats" in line]
    assert len(stats) == 1 and "FAIL" in stats[0] and "system:read" in stats[0]
    assert "OK" in _line(out, "panel:token")
    assert panel_emulator.users == [], "the probe user is deleted again"
    probes = [r.json for r in panel_emulator.requests if r.method == "POST" and r.path == "/api/users"]
    assert len(probes) == 1 and probes[0]["username"].startswith("rs_check_")


async def test_check_verifies_every_squad_named_in_settings_and_catalogue(
    telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path
) -> None:
    ghost = "0b5e2d61-7c1a-4f6e-9d3b-2a4c6e8f0a1b"
    catalogue = (Path(__file__).parents[2] / "src/remnastore/catalogue/default.toml").read_text()
    catalogue = catalogue.replace(
        'traffic_strategy = "NO_RESET"', f'traffic_strategy = "NO_RESET"\nsquads = ["{ghost}"]', 1
    )
    (tmp_path / "catalogue.toml").write_text(catalogue)
    env = _check_env(
        telegram_emulator,
        panel_emulator,
        PANEL_SQUADS=DEFAULT_SQUAD_UUID,
        CATALOGUE_FILE=str(tmp_path / "catalogue.toml"),
    )
    code, out = await remnastore("check", env=env, cwd=tmp_path)
    assert code == 1, out
    squads = _line(out, "panel:squads")
    assert "FAIL" in squads and f"{ghost} (tariff standard)" in squads
    assert DEFAULT_SQUAD_UUID not in squads


@pytest.mark.parametrize("panel_emulator", [{}, {"hwid_limiting": True}], indirect=True)
async def test_check_warns_when_device_limits_are_sold_but_not_enforced(
    telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path
) -> None:
    code, out = await remnastore("check", env=_check_env(telegram_emulator, panel_emulator), cwd=tmp_path)
    assert code == 0, out
    devices = _line(out, "panel:devices")
    if panel_emulator.hwid_limiting:
        assert devices.split()[1] == "OK" and "limiting is on" in devices
    else:
        assert devices.split()[1] == "WARN" and "does not enforce" in devices and "HWID" in devices


async def test_check_logs_in_to_the_tax_service(
    telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path
) -> None:
    async with NalogoEmulator("771234567890", "right-password") as nalogo:
        env = {
            "BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_URL": telegram_emulator.url,
            "PANEL_URL": panel_emulator.url,
            "PANEL_TOKEN": panel_emulator.token,
            "ADMIN_IDS": "1",
            "NALOGO_ENABLED": "true",
            "NALOGO_INN": "771234567890",
            "NALOGO_PASSWORD": "right-password",
            "NALOGO_API_URL": nalogo.api_url,
        }
        code, out = await remnastore("check", env=env, cwd=tmp_path)
        assert code == 0, out
        assert "logged in" in next(line for line in out.splitlines() if line.startswith("tax-receipts"))
        code, out = await remnastore("check", env={**env, "NALOGO_PASSWORD": "wrong-password"}, cwd=tmp_path)
        line = next(line for line in out.splitlines() if line.startswith("tax-receipts"))
        assert code == 1 and "FAIL" in line and "NALOGO_PASSWORD" in line
        assert "wrong-password" not in out
        nalogo.set_down(True)
        code, out = await remnastore("check", env=env, cwd=tmp_path)
        line = next(line for line in out.splitlines() if line.startswith("tax-receipts"))
        assert code == 1 and "503" in line
