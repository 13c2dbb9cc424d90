"""The client tells a configuration error (500 A018/A039: an unknown squad) from an outage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from remnastore.emulators.panel import DEFAULT_SQUAD_UUID, PanelEmulator
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelConfigurationError, PanelUnavailable
from remnastore.panel.models import CreateUserRequest, UpdateUserRequest

UNKNOWN_SQUAD = "0b5e2d61-7c1a-4f6e-9d3b-2a4c6e8f0a1b"


def _request(name: str, squads: list[str]) -> CreateUserRequest:
    return CreateUserRequest(
        username=name,
        expire_at=datetime.now(UTC) + timedelta(days=30),
        telegram_id=42,
        active_internal_squads=squads,
    )


async def test_create_naming_an_unknown_squad_is_a_configuration_error_tried_once(
    panel_emulator: PanelEmulator, panel_client: RemnawaveClient
) -> None:
    with pytest.raises(PanelConfigurationError, match="A018") as refused:
        await panel_client.create_user(_request("tg_42", [UNKNOWN_SQUAD]))
    assert not isinstance(refused.value, PanelUnavailable)
    creates = [r for r in panel_emulator.requests if r.method == "POST" and r.path == "/api/users"]
    assert len(creates) == 1, "not repeated, and no adoption by username is attempted"
    assert panel_emulator.users == []


async def test_update_naming_an_unknown_squad_is_a_configuration_error(
    panel_emulator: PanelEmulator, panel_client: RemnawaveClient
) -> None:
    user = await panel_client.create_user(_request("tg_43", [DEFAULT_SQUAD_UUID]))
    with pytest.raises(PanelConfigurationError, match="A039"):
        await panel_client.update_user(user.ref, UpdateUserRequest(active_internal_squads=[UNKNOWN_SQUAD]))
    patches = [r for r in panel_emulator.requests if r.method == "PATCH"]
    assert len(patches) == 1, "a configuration error is not retried like an outage"
    assert (await panel_client.get_user(user.ref)).active_internal_squads == [DEFAULT_SQUAD_UUID]


async def test_a_plain_500_is_still_an_outage(
    panel_emulator: PanelEmulator, panel_client: RemnawaveClient
) -> None:
    panel_emulator.fail_next(1, 500, path_prefix="/api/internal-squads")
    squads = await panel_client.list_internal_squads()  # retried after the 500
    assert [uuid for uuid, _ in squads] == [DEFAULT_SQUAD_UUID]
    panel_emulator.fail_next(5, 500, path_prefix="/api/internal-squads")
    with pytest.raises(PanelUnavailable):
        await panel_client.list_internal_squads()
