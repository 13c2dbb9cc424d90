"""The panel's guards, in Nest's order: an unknown route is a 404 before any guard; then the API token
(an admin's browser token is refused for API requests) and the token's scopes."""

from __future__ import annotations

import hmac

from aiohttp import web

from remnastore.emulators.panel_rules import nest_error

#: first path segment after ``/api/`` -> the scope resource guarding it
_SCOPE_RESOURCES = {
    "users": "users",
    "hwid": "hwid-user-devices",
    "internal-squads": "internal-squads",
    "system": "system",
    "subscription-settings": "subscription-settings",
    "subscriptions": "subscriptions",
}


def refusal(
    request: web.Request, *, token: str, admin_token: str | None, scopes: set[str]
) -> web.Response | None:
    """Nest's order: an unknown route is a 404 before any guard; then the API-token guard."""
    if getattr(request.match_info, "http_exception", None) is not None:
        return nest_error(404, f"Cannot {request.method} {request.path_qs}", "Not Found")
    if request.path.startswith("/api/sub/"):
        return None
    given = request.headers.get("Authorization", "")
    scheme, _, presented = given.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(presented.encode(), token.encode()):
        return None if _scope_allows(request, scopes) else nest_error(403, "Forbidden resource", "Forbidden")
    if admin_token and scheme.lower() == "bearer" and presented == admin_token:
        if request.headers.get("X-Remnawave-Client-Type") == "browser":
            return None
        message = "For API requests you must create own API-token in the admin dashboard."
        return nest_error(403, message, "Forbidden")
    return nest_error(401, "Unauthorized")


def _scope_allows(request: web.Request, scopes: set[str]) -> bool:
    """The panel's scopes guard: ``*``, ``<resource>:*`` or ``<resource>:read|write``."""
    if "*" in scopes:
        return True
    parts = request.path.split("/")
    resource = _SCOPE_RESOURCES.get(parts[2] if len(parts) > 2 else "")
    if resource is None:
        return True
    reading = request.method == "GET" or request.path == "/api/users/resolve"
    kind = "read" if reading else "write"
    return bool({f"{resource}:*", f"{resource}:{kind}"} & scopes)
