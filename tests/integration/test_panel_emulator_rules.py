"""The panel emulator is as strict as a real Remnawave 3.3.2 panel: one test per rule seen there.

Each rule here once let a test pass that would have failed against the real panel. The requests are
raw HTTP, so what is held is the panel's protocol, not the shop client's reading of it.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from remnastore.emulators.panel import DEFAULT_SQUAD_UUID, PanelEmulator

PROXIED = {"X-Forwarded-For": "10.0.0.1", "X-Forwarded-Proto": "https"}
UNKNOWN_SQUAD = "0b5e2d61-7c1a-4f6e-9d3b-2a4c6e8f0a1b"


class Api:
    """Raw calls to the emulator with a valid token, as behind the panel's HTTPS proxy."""

    def __init__(self, emulator: PanelEmulator, session: aiohttp.ClientSession) -> None:
        self.emulator = emulator
        self.session = session

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {**PROXIED, "Authorization": f"Bearer {self.emulator.token}"}
        async with self.session.request(
            method, self.emulator.url + path, json=body, headers=headers
        ) as reply:
            raw = await reply.read()
            return reply.status, (await reply.json(content_type=None) if raw else None)


@pytest_asyncio.fixture
async def api(panel_emulator: PanelEmulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield Api(panel_emulator, session)


def _future(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def test_create_with_an_unknown_squad_is_a_500_a018_and_creates_nobody(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    status, body = await api.call(
        "POST",
        "/api/users",
        {"username": "alice_1", "expireAt": _future(), "activeInternalSquads": [UNKNOWN_SQUAD]},
    )
    assert (status, body["errorCode"]) == (500, "A018")
    assert panel_emulator.users == []


async def test_patch_with_an_unknown_squad_is_a_500_a039_and_changes_nothing(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    user = panel_emulator.add_user(username="bob_1", activeInternalSquads=[DEFAULT_SQUAD_UUID])
    status, body = await api.call(
        "PATCH",
        "/api/users",
        {"id": user["id"], "expireAt": _future(90), "activeInternalSquads": [UNKNOWN_SQUAD]},
    )
    assert (status, body["errorCode"]) == (500, "A039")
    after = panel_emulator.user(user["id"])
    assert after["expireAt"] == user["expireAt"]
    assert after["activeInternalSquads"] == [{"uuid": DEFAULT_SQUAD_UUID, "name": "Default-Squad"}]


async def test_device_limit_is_not_enforced_while_hwid_limiting_is_off(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    user = panel_emulator.add_user(username="carol_1", hwidDeviceLimit=1)
    for hwid in ("HWIDAAAA0001", "HWIDAAAA0002"):
        status, _ = await api.call("POST", "/api/hwid/devices", {"userId": user["id"], "hwid": hwid})
        assert status == 200
    assert len(panel_emulator.devices(user["id"])) == 2


@pytest.mark.parametrize(
    "panel_emulator", [{"hwid_limiting": True, "fallback_device_limit": 2}], indirect=True
)
async def test_device_limit_with_hwid_limiting_on_and_a_null_limit_uses_the_fallback(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    own = panel_emulator.add_user(username="dave_1", hwidDeviceLimit=1)
    fallback = panel_emulator.add_user(username="dave_2")  # null limit: the panel's fallback (2)
    assert (await api.call("POST", "/api/hwid/devices", {"userId": own["id"], "hwid": "HWIDBBBB0001"}))[
        0
    ] == 200
    status, body = await api.call("POST", "/api/hwid/devices", {"userId": own["id"], "hwid": "HWIDBBBB0002"})
    assert (status, body["errorCode"]) == (400, "A099")
    for hwid in ("HWIDCCCC0001", "HWIDCCCC0002"):
        assert (await api.call("POST", "/api/hwid/devices", {"userId": fallback["id"], "hwid": hwid}))[
            0
        ] == 200
    status, body = await api.call(
        "POST", "/api/hwid/devices", {"userId": fallback["id"], "hwid": "HWIDCCCC0003"}
    )
    assert (status, body["errorCode"]) == (400, "A099")
    settings = (await api.call("GET", "/api/subscription-settings"))[1]["response"]["hwidSettings"]
    assert settings == {"enabled": True, "fallbackDeviceLimit": 2, "maxDevicesAnnounce": None}


async def test_device_list_of_an_unknown_user_is_a_404_a025(api: Api) -> None:
    status, body = await api.call("GET", "/api/hwid/devices/4242")
    assert (status, body["errorCode"]) == (404, "A025")


async def test_extend_of_an_expired_user_counts_from_now(api: Api, panel_emulator: PanelEmulator) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=20)
    user = panel_emulator.add_user(username="erin_1", expireAt=long_ago, status="EXPIRED")
    status, body = await api.call("POST", f"/api/users/{user['id']}/actions/extend", {"days": 10})
    assert status == 200
    new_expiry = datetime.fromisoformat(body["response"]["expireAt"])
    assert abs(new_expiry - (datetime.now(UTC) + timedelta(days=10))) < timedelta(minutes=1)
    assert body["response"]["status"] == "ACTIVE"


async def test_devices_are_listed_newest_first(api: Api, panel_emulator: PanelEmulator) -> None:
    user = panel_emulator.add_user(username="fay_1")
    for hwid in ("HWIDOLDEST01", "HWIDMIDDLE01", "HWIDNEWEST01"):
        await api.call("POST", "/api/hwid/devices", {"userId": user["id"], "hwid": hwid})
    status, body = await api.call("GET", f"/api/hwid/devices/{user['id']}")
    assert status == 200
    assert [d["hwid"] for d in body["response"]["devices"]] == [
        "HWIDNEWEST01",
        "HWIDMIDDLE01",
        "HWIDOLDEST01",
    ]


async def test_user_list_is_by_id_descending_with_total(api: Api, panel_emulator: PanelEmulator) -> None:
    ids = panel_emulator.add_users(5)
    status, body = await api.call("GET", "/api/users?start=0&size=3")
    assert status == 200 and set(body["response"]) == {"total", "users"}
    assert body["response"]["total"] == 5
    assert [u["id"] for u in body["response"]["users"]] == sorted(ids, reverse=True)[:3]


async def test_user_list_sorted_by_update_time(api: Api, panel_emulator: PanelEmulator) -> None:
    _, touched, _ = panel_emulator.add_users(3)
    await api.call("PATCH", "/api/users", {"id": touched, "description": "touched"})
    sorting = '[{"id":"updatedAt","desc":true}]'
    status, body = await api.call("GET", f"/api/users?start=0&size=10&sorting={sorting}")
    assert status == 200
    assert body["response"]["users"][0]["id"] == touched


async def test_users_carry_no_sub_last_fields_in_3_3(api: Api, panel_emulator: PanelEmulator) -> None:
    user = panel_emulator.add_user(username="gus_1")
    status, body = await api.call("GET", f"/api/users/{user['id']}")
    assert status == 200
    assert "subLastUserAgent" not in body["response"] and "subLastOpenedAt" not in body["response"]


@pytest.mark.parametrize("panel_emulator", [{"version": "2.6.2"}], indirect=True)
async def test_an_old_2x_panel_still_shows_sub_last_fields(api: Api, panel_emulator: PanelEmulator) -> None:
    user = panel_emulator.add_user(username="gus_2")
    status, body = await api.call("GET", f"/api/users/{user['uuid']}")
    assert status == 200 and "uuid" in body["response"] and "id" not in body["response"]
    assert "subLastUserAgent" in body["response"]


async def test_validation_errors_are_in_the_newer_zod_style(api: Api) -> None:
    status, body = await api.call("POST", "/api/users", {"username": "bad name!", "expireAt": _future()})
    assert status == 400 and body["message"] == "Validation failed"
    issue = body["errors"][0]
    assert issue["code"] == "invalid_format" and issue["origin"] == "string" and issue["format"] == "regex"
    assert issue["path"] == ["username"]

    status, body = await api.call("POST", "/api/users", {"expireAt": _future()})
    assert status == 400
    assert body["errors"][0]["code"] == "invalid_type"
    assert body["errors"][0]["path"] == ["username"]

    status, body = await api.call("GET", "/api/users/not-a-number")
    assert status == 400
    assert body["errors"] == [
        {
            "expected": "number",
            "code": "invalid_type",
            "path": ["userId"],
            "message": "Invalid input: expected number, received NaN",
        }
    ]


async def test_unknown_subscription_answers_json_is_found_false(api: Api) -> None:
    status, body = await api.call("GET", "/api/sub/NoSuchShortUuid1")
    assert status == 404
    assert body == {"isFound": False, "statusCode": 404, "message": "Resource not found"}


async def test_stats_have_only_the_panels_keys(api: Api) -> None:
    status, body = await api.call("GET", "/api/system/stats")
    assert status == 200
    stats = body["response"]
    assert stats["cpu"] == {"cores": 4}
    assert set(stats["memory"]) == {"total", "free", "used"}
    assert set(stats) == {"cpu", "memory", "uptime", "timestamp", "users", "onlineStats", "nodes"}


async def test_proxy_header_check_is_on_by_default(panel_emulator: PanelEmulator) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        headers = {"Authorization": f"Bearer {panel_emulator.token}"}
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with session.get(panel_emulator.url + "/api/system/stats", headers=headers):
                pass
        async with session.get(
            panel_emulator.url + "/api/system/stats", headers={**headers, **PROXIED}
        ) as reply:
            assert reply.status == 200


@pytest.mark.parametrize("panel_emulator", [{"scopes": ["users:read", "system:read"]}], indirect=True)
async def test_a_read_only_token_is_refused_writes_with_403(api: Api, panel_emulator: PanelEmulator) -> None:
    assert (await api.call("GET", "/api/users?start=0&size=1"))[0] == 200
    status, body = await api.call("POST", "/api/users", {"username": "hal_1", "expireAt": _future()})
    assert status == 403
    assert body == {"message": "Forbidden resource", "error": "Forbidden", "statusCode": 403}
    assert (await api.call("GET", "/api/internal-squads"))[0] == 403
    assert panel_emulator.users == []


def test_the_version_picks_the_api() -> None:
    assert PanelEmulator().version == "3.3.2" and PanelEmulator().api_version == 3
    assert PanelEmulator(version="2.7.4").api_version == 2
    with pytest.raises(ValueError, match="not an API 3 panel"):
        PanelEmulator(api_version=3, version="2.7.4")


async def test_3x_and_late_2x_users_carry_no_happ_crypto_link(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    user = panel_emulator.add_user(username="gus_3")
    status, body = await api.call("GET", f"/api/users/{user['id']}")
    assert status == 200 and "happ" not in body["response"] and "userTraffic" in body["response"]


@pytest.mark.parametrize("panel_emulator", [{"version": "2.2.6"}], indirect=True)
async def test_a_panel_before_2_3_shows_happs_crypto_link(api: Api, panel_emulator: PanelEmulator) -> None:
    user = panel_emulator.add_user(username="gus_4")
    status, body = await api.call("GET", f"/api/users/{user['uuid']}")
    assert status == 200
    shown = body["response"]
    assert shown["happ"]["cryptoLink"].startswith("happ://crypt3/")
    assert len(base64.b64decode(shown["happ"]["cryptoLink"].removeprefix("happ://crypt3/"))) == 512
    assert shown["subscriptionUrl"] not in shown["happ"]["cryptoLink"]
    assert (
        "userTraffic" not in shown and shown["usedTrafficBytes"] == 0 and shown["lastConnectedNode"] is None
    )


# -- what a client app fetching the subscription gets (GET /api/sub/{shortUuid}) ---------------------

APP = {"User-Agent": "Happ/3.1.0", "x-device-os": "Android", "x-ver-os": "15", "x-device-model": "Pixel 9"}
HWID_ON = pytest.mark.parametrize(
    "panel_emulator",
    [{"hwid_limiting": True, "fallback_device_limit": 2, "max_devices_announce": None}],
    indirect=True,
)


class Fetched:
    def __init__(self, status: int, content_type: str, body: str, headers: dict[str, str]) -> None:
        self.status, self.content_type, self.body, self.headers = status, content_type, body, headers

    @property
    def served(self) -> bool:
        """The subscription itself: the base64 list of the user's links."""
        return self.status == 200 and base64.b64decode(self.body).decode().startswith("vless://")

    @property
    def refused(self) -> bool:
        """The panel's refusal: 200, text/plain, empty, and the HWID headers."""
        return (self.status, self.content_type, self.body) == (200, "text/plain", "") and (
            self.headers.get("x-hwid-active") == "true" and self.headers.get("x-hwid-limit") == "true"
        )


async def fetch(api: Api, user: dict[str, Any], hwid: str | None, **extra: str) -> Fetched:
    headers = {**PROXIED, **APP, **extra} | ({"x-hwid": hwid} if hwid is not None else {})
    async with api.session.get(user["subscriptionUrl"], headers=headers) as reply:
        body = await reply.text()
        return Fetched(
            reply.status, reply.content_type, body, {k.lower(): v for k, v in reply.headers.items()}
        )


def hwids(panel_emulator: PanelEmulator, user: dict[str, Any]) -> list[str]:
    return sorted(device["hwid"] for device in panel_emulator.devices(user["id"]))


async def test_sub_with_hwid_limiting_off_checks_no_device_and_upserts_the_one_that_came(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    user = panel_emulator.add_user(username="sub_off", hwidDeviceLimit=1)
    assert (await fetch(api, user, None)).served
    for hwid in ("HWIDOFF00001", "HWIDOFF00002"):  # over the user's limit of 1: no check
        fetched = await fetch(api, user, hwid)
        assert fetched.served and "x-hwid-active" not in fetched.headers
    assert hwids(panel_emulator, user) == ["HWIDOFF00001", "HWIDOFF00002"]


@HWID_ON
async def test_sub_with_a_device_limit_of_0_is_unlimited_and_upserts_the_device(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    user = panel_emulator.add_user(username="sub_zero", hwidDeviceLimit=0)
    fetched = await fetch(api, user, None)
    assert fetched.served and "x-hwid-active" not in fetched.headers  # bypassed: no header either
    for number in range(1, 4):  # more than the fallback of 2
        assert (await fetch(api, user, f"HWIDZERO0000{number}")).served
    assert hwids(panel_emulator, user) == ["HWIDZERO00001", "HWIDZERO00002", "HWIDZERO00003"]


@HWID_ON
async def test_sub_without_an_x_hwid_header_is_refused(api: Api, panel_emulator: PanelEmulator) -> None:
    user = panel_emulator.add_user(username="sub_nohwid", hwidDeviceLimit=3)
    fetched = await fetch(api, user, None)
    assert fetched.refused and fetched.headers.get("x-hwid-not-supported") == "true"
    assert "x-hwid-max-devices-reached" not in fetched.headers and "announce" not in fetched.headers
    assert fetched.headers["profile-title"] == "sub_nohwid"
    assert hwids(panel_emulator, user) == []


@HWID_ON
async def test_sub_from_a_known_device_is_served_and_the_device_upserted(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    user = panel_emulator.add_user(username="sub_known", hwidDeviceLimit=1)
    panel_emulator.add_device(user["id"], "HWIDKNOWN001", platform="iOS", device_model="iPhone 15")
    fetched = await fetch(api, user, "HWIDKNOWN001")  # the user is at the limit, but this is its device
    assert fetched.served
    [device] = panel_emulator.devices(user["id"])
    assert (device["platform"], device["deviceModel"]) == ("Android", "Pixel 9")


@HWID_ON
async def test_sub_from_a_new_device_is_added_under_the_limit_and_refused_at_it(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    user = panel_emulator.add_user(username="sub_new", hwidDeviceLimit=1)
    assert (await fetch(api, user, "HWIDNEW00001")).served
    fetched = await fetch(api, user, "HWIDNEW00002")
    assert fetched.refused and fetched.headers.get("x-hwid-max-devices-reached") == "true"
    assert "x-hwid-not-supported" not in fetched.headers
    assert "announce" not in fetched.headers  # no maxDevicesAnnounce in the settings
    assert hwids(panel_emulator, user) == ["HWIDNEW00001"]


@HWID_ON
async def test_sub_of_a_user_with_a_null_limit_uses_the_fallback(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    user = panel_emulator.add_user(username="sub_null")  # null: the panel's fallback (2)
    assert (await fetch(api, user, "HWIDNULL0001")).served
    assert (await fetch(api, user, "HWIDNULL0002")).served
    assert (await fetch(api, user, "HWIDNULL0003")).refused
    assert hwids(panel_emulator, user) == ["HWIDNULL0001", "HWIDNULL0002"]


@pytest.mark.parametrize(
    "panel_emulator",
    [{"hwid_limiting": True, "max_devices_announce": "Device limit reached: buy more devices"}],
    indirect=True,
)
async def test_sub_refused_at_the_limit_announces_the_settings_text_only_then(
    api: Api, panel_emulator: PanelEmulator
) -> None:
    user = panel_emulator.add_user(username="sub_announce", hwidDeviceLimit=1)
    assert (await fetch(api, user, "HWIDANNC0001")).served
    at_limit = await fetch(api, user, "HWIDANNC0002")
    assert at_limit.refused
    assert (
        at_limit.headers["announce"]
        == "base64:" + base64.b64encode(b"Device limit reached: buy more devices").decode()
    )
    assert "announce" not in (await fetch(api, user, None)).headers  # not supported: no announce
    settings = (await api.call("GET", "/api/subscription-settings"))[1]["response"]
    assert settings["isShowCustomRemarks"] is False
    assert settings["hwidSettings"]["maxDevicesAnnounce"] == "Device limit reached: buy more devices"
