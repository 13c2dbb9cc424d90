"""The sandbox: try the whole shop in a browser, without Telegram, a panel or a payment account.

`remnastore sandbox` starts the real bot on the embedded defaults together with the project's own
emulators (Telegram Bot API, Remnawave panel, YooKassa; Stars through the Telegram emulator) and a web
page that behaves like a Telegram chat (see :mod:`remnastore.sandbox.world`).
"""
