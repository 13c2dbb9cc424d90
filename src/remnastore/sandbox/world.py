"""Starts and stops everything the sandbox runs: the emulators, the shop itself and the chat web page."""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from remnastore.app import Application
from remnastore.config import load_settings
from remnastore.db import migrate
from remnastore.emulators.nalogo import NalogoEmulator
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import FakeUser, TelegramEmulator
from remnastore.emulators.yookassa import YooKassaEmulator
from remnastore.emulators.yookassa_checkout import CheckoutPage
from remnastore.emulators.yoomoney import YooMoneyEmulator
from remnastore.payments.registry import PROVIDER_MODULES
from remnastore.sandbox.api import SandboxApi

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
ADMIN_ID = 100001
BOT_TOKEN = "7000000002:SandboxTokenForTheEmulatorOnly_abcdef"  # noqa: S105 - only the emulator sees it
LANGUAGES = ("en", "ru")
DATABASE_FILE = "sandbox.sqlite3"
#: the emulated self-employed seller of the tax service
SELLER_INN = "771234567890"
#: payment providers the sandbox emulates; every other one is switched off
EMULATED = frozenset({"stars", "yookassa", "yoomoney"})
#: listening on every address gives the page no address of its own to link to
UNREACHABLE_HOSTS = frozenset({"0.0.0.0", "::", ""})


@dataclass(frozen=True)
class Identity:
    """Somebody the page can chat as: the shop's admin or a customer."""

    user_id: int
    name: str
    language: str
    admin: bool


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Sandbox:
    """The bot, its emulated world and the chat page, all on 127.0.0.1 (the page, and the YooKassa
    checkout it links to, on ``host`` when one is given, so that a browser elsewhere can open them)."""

    def __init__(self, *, port: int = 0, data_dir: Path | None = None, host: str = HOST) -> None:
        if host in UNREACHABLE_HOSTS:
            raise ValueError(
                f"--host {host} is no address a browser can open:"
                " give an address of this machine, e.g. its LAN address"
            )
        self.host = host
        self.port = port
        self._own_dir = data_dir is None
        self.data_dir = data_dir
        self.telegram = TelegramEmulator(bot_username="remnastore_sandbox_bot", bot_first_name="RemnaStore")
        self.panel = PanelEmulator(hwid_limiting=True)  # the demo panel enforces the device limits sold
        self.yookassa = YooKassaEmulator("sandbox-shop", "test_" + secrets.token_hex(16))
        self.yoomoney = YooMoneyEmulator("4100118000000001", secrets.token_urlsafe(18))
        self.nalogo = NalogoEmulator(SELLER_INN, secrets.token_urlsafe(12))
        self.identities: dict[int, Identity] = {}
        self.app: Application | None = None
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._customers = 0
        self.shop_port = 0
        self.ready = False

    @property
    def url(self) -> str:
        """The address of the chat page."""
        if self._url is None:
            raise RuntimeError("the sandbox is not started")
        return self._url

    @property
    def database_file(self) -> Path:
        assert self.data_dir is not None
        return self.data_dir / DATABASE_FILE

    async def start(self) -> None:
        if self.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="remnastore-sandbox-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The emulated panel and Telegram start empty, so the shop's database starts empty too.
        self.database_file.unlink(missing_ok=True)
        await self.telegram.start(HOST)
        await self.panel.start(HOST)
        await self.yookassa.start(HOST)
        await self.yoomoney.start(HOST)
        await self.nalogo.start(HOST)
        web_app = web.Application(client_max_size=64 * 1024)
        SandboxApi(self).register(web_app)
        # the payer's YooKassa and YooMoney pages are served next to the chat page, so one forwarded
        # port is enough
        CheckoutPage(self.yookassa).register(web_app)
        self.yoomoney.routes(web_app)
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = int(self._runner.addresses[0][1])
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._url = f"http://{host}:{self.port}/"
        self.yookassa.checkout_base = self._url.rstrip("/")
        self.yoomoney.form_base = self._url.rstrip("/")
        # the shop's own web server (payment notifications) on a port known in advance, so that
        # PUBLIC_URL can name it: YooKassa delivers there, and the health screen finds it set
        self.shop_port = _free_port()
        settings = load_settings(None, self.settings_values())
        await migrate.upgrade(settings.database.url)
        self.app = Application(settings)
        await self.app.start()
        self.yookassa.notify_url = f"{self.public_url}/webhooks/yookassa"
        self.yoomoney.notify_url = f"{self.public_url}/webhooks/yoomoney"
        self.identities[ADMIN_ID] = Identity(ADMIN_ID, "Admin", "en", admin=True)
        self.telegram.user(ADMIN_ID, first_name="Admin", username="sandbox_admin", language_code="en")
        self.new_customer("en")
        self.ready = True

    def settings_values(self) -> dict[str, str]:
        """The shop's settings: embedded defaults, every external service pointed at an emulator."""
        assert self.data_dir is not None
        # the seller's environment may configure a real shop: nothing of it may reach real services
        others = {f"{name.upper()}_ENABLED": "false" for name in PROVIDER_MODULES if name not in EMULATED}
        return others | {
            "BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_URL": self.telegram.url,
            "ADMIN_IDS": str(ADMIN_ID),
            "PANEL_URL": self.panel.url,
            "PANEL_TOKEN": self.panel.token,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.database_file}",
            "REDIS_URL": "",
            "WEB_HOST": HOST,
            "WEB_PORT": str(self.shop_port),
            "METRICS_PORT": "0",
            "TRUSTED_PROXIES": HOST,
            "LOG_FORMAT": "text",
            "DEFAULT_LANGUAGE": "en",
            "PAYMENT_RETURN_URL": self.url,
            "STARS_ENABLED": "true",
            "YOOKASSA_ENABLED": "true",
            "YOOKASSA_SHOP_ID": self.yookassa.shop_id,
            "YOOKASSA_SECRET_KEY": self.yookassa.secret_key,
            "YOOKASSA_API_URL": self.yookassa.api_url,
            "YOOMONEY_ENABLED": "true",
            "YOOMONEY_WALLET": self.yoomoney.wallet,
            "YOOMONEY_NOTIFICATION_SECRET": self.yoomoney.notification_secret,
            "YOOMONEY_QUICKPAY_URL": self.yoomoney.quickpay_url,
            "NALOGO_ENABLED": "true",
            "NALOGO_INN": SELLER_INN,
            "NALOGO_PASSWORD": self.nalogo.seller.password,
            "NALOGO_REFRESH_TOKEN": "",
            "NALOGO_DEVICE_ID": "",
            "NALOGO_API_URL": self.nalogo.api_url,
            "BACKUP_INTERVAL_HOURS": "0",
            "BACKUP_DIR": str(self.data_dir / "backups"),
            "WEBHOOK_BASE_URL": "",
            "PUBLIC_URL": self.public_url,
            "LOG_CHAT_ID": "",
            "REQUIRED_CHANNEL_ID": "",
            "CABINET_ENABLED": "true",
            "CABINET_SHOP_NAME": "Sandbox VPN",
            "CABINET_CODE_SIGN_IN": "true",
        }

    @property
    def public_url(self) -> str:
        """The shop's web server, where the emulated YooKassa delivers its notifications."""
        return f"http://{HOST}:{self.shop_port}"

    def new_customer(self, language: str) -> Identity:
        """A customer nobody has seen before (a fresh random Telegram id)."""
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        user_id = secrets.randbelow(900_000_000) + 100_000_000
        while user_id in self.identities:
            user_id = secrets.randbelow(900_000_000) + 100_000_000
        self._customers += 1
        name = f"Customer {self._customers}"
        self.identities[user_id] = Identity(user_id, name, language, admin=False)
        self.telegram.user(user_id, first_name=name, language_code=language)
        return self.identities[user_id]

    def user(self, user_id: int) -> FakeUser | None:
        """The chat of a known identity (None for anybody else)."""
        if user_id not in self.identities:
            return None
        return self.telegram.user(user_id)

    async def stop(self) -> None:
        self.ready = False
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.app is not None:
            await self.app.stop()
            self.app = None
        await self.yookassa.stop()
        await self.yoomoney.stop()
        await self.nalogo.stop()
        await self.panel.stop()
        await self.telegram.stop()
        if self._own_dir and self.data_dir is not None:
            await asyncio.to_thread(shutil.rmtree, self.data_dir, True)
