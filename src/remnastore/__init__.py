"""remnastore: a Telegram shop for VPN subscriptions on a Remnawave panel."""

__version__ = "0.1.0"
