"""The Remnawave panel: typed client, its errors and models, and the webhook verifier and parser."""

from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import (
    PanelAuthError,
    PanelBadRequest,
    PanelError,
    PanelNotFound,
    PanelProxyHeadersMissing,
    PanelUnavailable,
    PanelUsernameTaken,
)
from remnastore.panel.models import (
    CreateUserRequest,
    HwidDevice,
    PanelUser,
    SystemStats,
    UpdateUserRequest,
)
from remnastore.panel.webhooks import PanelEvent, parse_panel_event, verify_panel_webhook

__all__ = [
    "CreateUserRequest",
    "HwidDevice",
    "PanelAuthError",
    "PanelBadRequest",
    "PanelError",
    "PanelEvent",
    "PanelNotFound",
    "PanelProxyHeadersMissing",
    "PanelUnavailable",
    "PanelUser",
    "PanelUsernameTaken",
    "RemnawaveClient",
    "SystemStats",
    "UpdateUserRequest",
    "parse_panel_event",
    "verify_panel_webhook",
]
