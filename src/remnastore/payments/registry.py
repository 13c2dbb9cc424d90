"""Every payment provider the shop knows. Adding one is a module in this package plus one line here.

Each module defines ``NAME``, a ``Settings`` group (its environment variables, with an ``enabled``
switch and a ``missing()`` method listing required variables that are unset while enabled) and
``create(settings, context) -> Provider``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

PROVIDER_MODULES: dict[str, str] = {
    "stars": "remnastore.payments.stars",
    "yookassa": "remnastore.payments.yookassa",
    "cryptobot": "remnastore.payments.cryptobot",
    "heleket": "remnastore.payments.heleket",
    "freekassa": "remnastore.payments.freekassa",
    "platega": "remnastore.payments.platega",
    "severpay": "remnastore.payments.severpay",
    "tribute": "remnastore.payments.tribute",
    "yoomoney": "remnastore.payments.yoomoney",
}


def provider_module(name: str) -> ModuleType:
    return importlib.import_module(PROVIDER_MODULES[name])
