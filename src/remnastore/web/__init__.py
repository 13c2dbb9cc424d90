"""aiohttp application: Telegram webhook, provider and panel webhooks, health and metrics."""
