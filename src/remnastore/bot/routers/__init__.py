"""Routers per feature; user routers are private-chat only."""
