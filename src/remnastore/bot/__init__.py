"""Telegram side: routers (thin handlers), keyboards, callback data, middlewares, rendering."""
