"""`remnastore check`, the panel part: can the token do what the shop does, and does the panel have
what the settings and the catalogue name?

* **token** - a 3.x API token carries scopes, and a token cannot read its own (the scope catalogue is
  admin-only). So the check does what the shop does: reads users, squads and system stats, then creates
  a recognisable probe user (``rs_check_<random>``, disabled, no squads, expiring tomorrow), reads and
  clears its devices, updates and deletes it. A refusal (403) names the missing permission.
* **squads** - every squad named in PANEL_SQUADS, TRIAL_SQUADS and the catalogue's tariffs must exist;
  otherwise the panel answers a create with 500 A018 and nobody gets access.
* **devices** - device limits are enforced by the panel only while HWID limiting is on (off on a fresh
  panel); when tariffs, the trial or add-ons sell device limits, that is a warning.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from remnastore.config import Settings
from remnastore.domain.catalogue import Catalogue, CatalogueError, load_catalogue
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelAuthError, PanelError, PanelProxyHeadersMissing, PanelUnavailable
from remnastore.panel.models import CreateUserRequest, UpdateUserRequest

TIMEOUT = 10.0
PROBE_PREFIX = "rs_check_"
PERMISSIONS_ADVICE = (
    "create an API token in the panel (API Tokens) with the scopes users, hwid-user-devices, internal-squads "
    "and system (or '*'), and put it in PANEL_TOKEN"
)


@dataclass(frozen=True)
class PanelFinding:
    """One line of the report: ``ok`` False fails the check; ``warning`` marks an OK line to read."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False


class _Refused(Exception):
    def __init__(self, finding: PanelFinding) -> None:
        super().__init__(finding.detail)
        self.finding = finding


def client_for(settings: Settings) -> RemnawaveClient:
    panel = settings.panel
    return RemnawaveClient(
        panel.url,
        panel.token.get_secret_value(),
        api_version=panel.api_version,
        extra_headers=panel.extra_headers,
        cookies=panel.cookies,
        timeout=TIMEOUT,
        retries=0,
    )


def _refusal(exc: PanelError, permission: str, what: str) -> PanelFinding:
    if isinstance(exc, PanelAuthError) and exc.status == 403:
        return PanelFinding(
            "panel:token",
            False,
            f"the API token may not {what} (403: scope {permission} missing)",
            f"give the token the scope {permission} (or create one with '*'); " + PERMISSIONS_ADVICE,
        )
    if isinstance(exc, PanelAuthError):
        return PanelFinding(
            "panel", False, f"PANEL_TOKEN is rejected by the panel (HTTP {exc.status})", PERMISSIONS_ADVICE
        )
    return PanelFinding("panel", False, f"the panel failed to {what}: {exc}", "check the panel's logs")


def catalogue_of(settings: Settings) -> Catalogue | None:
    try:
        return load_catalogue(settings.sales.catalogue_file)
    except (CatalogueError, OSError):
        return None  # the settings check reports a broken catalogue


async def check_panel_access(settings: Settings) -> list[PanelFinding]:
    """Reach, token, permissions, squads and device limiting, one finding each."""
    client = client_for(settings)
    try:
        return await _findings(settings, client)
    except _Refused as refused:
        return [refused.finding]
    except PanelProxyHeadersMissing:
        return [
            PanelFinding(
                "panel",
                False,
                f"{settings.panel.url} closed the connection without an answer",
                "the panel expects to sit behind an HTTPS reverse proxy: "
                "use its https:// address in PANEL_URL",
            )
        ]
    except PanelUnavailable as exc:
        return [
            PanelFinding(
                "panel",
                False,
                f"cannot reach {settings.panel.url}: {exc}",
                "check PANEL_URL and that the panel is running",
            )
        ]
    finally:
        await client.close()


async def _findings(settings: Settings, client: RemnawaveClient) -> list[PanelFinding]:
    try:
        total, _ = await client.users_page(0, 1)
    except (PanelProxyHeadersMissing, PanelUnavailable):
        raise
    except PanelError as exc:
        raise _Refused(_refusal(exc, "users:read", "read users")) from None
    major = await client.api_major()
    findings = [PanelFinding("panel", True, f"API {major}.x, {total if total is not None else '?'} users")]
    try:
        squads = await client.list_internal_squads()
    except PanelError as exc:
        raise _Refused(_refusal(exc, "internal-squads:read", "list internal squads")) from None
    findings.append(await _token_can_write(client))
    try:
        await client.system_stats()
    except PanelError as exc:
        finding = _refusal(exc, "system:read", "read system stats")
        findings.append(
            PanelFinding(
                "panel:stats" if finding.name == "panel:token" else finding.name,
                False,
                finding.detail + " - the health check and statistics need it",
                finding.fix,
            )
        )
    findings.append(_squads_finding(settings, {uuid for uuid, _ in squads}))
    findings.append(await _devices_finding(settings, client))
    return findings


async def _token_can_write(client: RemnawaveClient) -> PanelFinding:
    """Create, update, read devices of and delete a probe user, as the shop does for customers."""
    name = PROBE_PREFIX + secrets.token_hex(4)
    request = CreateUserRequest(
        username=name,
        expire_at=datetime.now(UTC) + timedelta(days=1),
        status="DISABLED",
        description="remnastore check: a probe of the API token's permissions, deleted at once",
    )
    try:
        probe = await client.create_user(request)
    except PanelError as exc:
        return _refusal(exc, "users:write", "create users")
    try:
        try:
            await client.update_user(probe.ref, UpdateUserRequest(description="remnastore check probe"))
        except PanelError as exc:
            return _refusal(exc, "users:write", "update users")
        try:
            await client.list_devices(probe.ref)
        except PanelError as exc:
            return _refusal(exc, "hwid-user-devices:read", "list a user's devices")
        try:
            await client.delete_all_devices(probe.ref)
        except PanelError as exc:
            return _refusal(exc, "hwid-user-devices:write", "disconnect devices")
    finally:
        try:
            await client.delete_user(probe.ref)
            deleted = True
        except PanelError:
            deleted = False
    if not deleted:
        return PanelFinding(
            "panel:token",
            False,
            f"the API token may not delete users; the probe user {name} is left in the panel",
            "delete it by hand and give the token the scope users:write",
        )
    return PanelFinding(
        "panel:token", True, "may read and write users, devices and squads (probe user created and deleted)"
    )


def _squads_finding(settings: Settings, known: set[str]) -> PanelFinding:
    named: dict[str, str] = {}
    for squad in settings.panel.squads:
        named.setdefault(squad, "PANEL_SQUADS")
    for squad in settings.trial.squads:
        named.setdefault(squad, "TRIAL_SQUADS")
    catalogue = catalogue_of(settings)
    for tariff in catalogue.tariffs if catalogue is not None else ():
        for squad in tariff.squads:
            named.setdefault(squad, f"tariff {tariff.code}")
    missing = [f"{squad} ({where})" for squad, where in named.items() if squad not in known]
    if missing:
        return PanelFinding(
            "panel:squads",
            False,
            f"squads not found on the panel: {', '.join(missing)}",
            "correct PANEL_SQUADS / TRIAL_SQUADS / the tariff's squads "
            "(the panel lists squads under Internal squads)",
        )
    detail = (
        f"all {len(named)} named squads exist" if named else "none named: every squad of the panel is given"
    )
    return PanelFinding("panel:squads", True, detail)


async def _devices_finding(settings: Settings, client: RemnawaveClient) -> PanelFinding:
    catalogue = catalogue_of(settings)
    sold = bool(settings.trial.device_limit) or (
        catalogue is not None
        and (
            any(t.device_limit for t in catalogue.tariffs)
            or any(a.kind == "devices" for a in catalogue.addons)
        )
    )
    try:
        hwid = await client.hwid_settings()
    except PanelError as exc:
        if not sold:
            return PanelFinding("panel:devices", True, "no device limits are sold")
        return PanelFinding(
            "panel:devices",
            True,
            f"device limits are sold, but the panel's HWID settings cannot be read ({exc})",
            warning=True,
        )
    if hwid.enabled:
        return PanelFinding(
            "panel:devices",
            True,
            f"HWID device limiting is on (users without a limit: {hwid.fallback_device_limit})",
        )
    if sold:
        return PanelFinding(
            "panel:devices",
            True,
            "tariffs sell device limits, but the panel does not enforce them: HWID device limiting is off",
            "turn on HWID device limiting in the panel (Subscription settings -> HWID)",
            warning=True,
        )
    return PanelFinding("panel:devices", True, "HWID device limiting is off (no device limits are sold)")
