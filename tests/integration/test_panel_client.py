"""The Remnawave client against the panel emulator over real HTTP, in 3.x and 2.x modes.

The ``panel_emulator`` and ``panel_client`` fixtures come from ``tests.fixtures.panel`` (a plugin of
``tests/conftest.py``).
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from remnastore.emulators.panel import DEFAULT_SQUAD_UUID, PanelEmulator
from remnastore.panel import (
    CreateUserRequest,
    PanelAuthError,
    PanelBadRequest,
    PanelNotFound,
    PanelProxyHeadersMissing,
    PanelUnavailable,
    PanelUsernameTaken,
    RemnawaveClient,
    UpdateUserRequest,
)
from remnastore.panel.errors import PanelUuidLink
from tests.fixtures.panel import make_panel_client

both_versions = pytest.mark.parametrize("panel_emulator", [3, 2], indirect=True, ids=["v3", "v2"])
GIB = 1024**3


def _request(username: str, telegram_id: int | None, days: int = 3) -> CreateUserRequest:
    return CreateUserRequest(
        username=username,
        expire_at=datetime.now(UTC) + timedelta(days=days),
        telegram_id=telegram_id,
        traffic_limit_bytes=10 * GIB,
        hwid_device_limit=2,
        active_internal_squads=[DEFAULT_SQUAD_UUID],
        tag="TRIAL",
    )


def _sent(emulator: PanelEmulator, method: str, path_prefix: str) -> list[str]:
    return [r.path for r in emulator.requests if r.method == method and r.path.startswith(path_prefix)]


@both_versions
async def test_user_lifecycle_create_find_get_update_delete(
    panel_emulator: PanelEmulator, panel_client: RemnawaveClient
) -> None:
    created = await panel_client.create_user(_request("tg_5001", 5001))
    assert created.username == "tg_5001" and created.telegram_id == 5001 and created.status == "ACTIVE"
    assert (
        created.traffic_limit_bytes == 10 * GIB and created.hwid_device_limit == 2 and created.tag == "TRIAL"
    )
    assert created.active_internal_squads == [DEFAULT_SQUAD_UUID]
    assert created.expire_at.tzinfo is not None
    assert created.subscription_url.endswith(f"/api/sub/{created.short_uuid}")
    assert isinstance(created.ref, int if panel_emulator.api_version == 3 else str)
    sent = [r.json for r in panel_emulator.requests if r.method == "POST" and r.path == "/api/users"]
    assert sent[0]["expireAt"].endswith("Z") and len(sent[0]["expireAt"]) == len("2026-12-24T00:36:51.000Z")

    panel_emulator.add_user(username="tg_5001_b", telegramId=5001)
    panel_emulator.add_user(username="someone_else", telegramId=6000)
    found = await panel_client.find_by_telegram_id(5001)
    assert sorted(u.username for u in found) == ["tg_5001", "tg_5001_b"]
    assert await panel_client.find_by_telegram_id(42) == []
    lookup = "/api/users/stream?" if panel_emulator.api_version == 3 else "/api/users/by-telegram-id/5001"
    assert _sent(panel_emulator, "GET", lookup)

    assert (await panel_client.get_user(created.ref)).short_uuid == created.short_uuid
    assert (await panel_client.get_user_by_username("tg_5001")).ref == created.ref

    updated = await panel_client.update_user(
        created.ref, UpdateUserRequest(traffic_limit_bytes=GIB, description="VIP", hwid_device_limit=None)
    )
    assert updated.traffic_limit_bytes == GIB and updated.description == "VIP"
    assert updated.hwid_device_limit is None and updated.tag == "TRIAL"
    patch = [r.json for r in panel_emulator.requests if r.method == "PATCH"][-1]
    key = "id" if panel_emulator.api_version == 3 else "uuid"
    assert patch == {
        "trafficLimitBytes": GIB,
        "description": "VIP",
        "hwidDeviceLimit": None,
        key: created.ref,
    }

    await panel_client.delete_user(created.ref)
    assert panel_emulator.user_by_telegram_id(5001) is not None  # only the other one is left
    assert all(u["username"] != "tg_5001" for u in panel_emulator.users)
    await panel_client.delete_user(created.ref)  # already gone: 404 is not an error
    with pytest.raises(PanelNotFound, match="User with specified params not found"):
        await panel_client.get_user(created.ref)


@both_versions
async def test_extend_adds_days_and_counts_from_now_once_expired(
    panel_emulator: PanelEmulator, panel_client: RemnawaveClient
) -> None:
    active = await panel_client.create_user(_request("tg_1", 1, days=10))
    extended = await panel_client.extend_user(active.ref, 30)
    assert extended.expire_at - active.expire_at == timedelta(days=30)
    if panel_emulator.api_version == 3:
        assert _sent(panel_emulator, "POST", f"/api/users/{active.ref}/actions/extend")
    else:
        assert not _sent(panel_emulator, "POST", f"/api/users/{active.ref}/actions/extend")

    lapsed = panel_emulator.add_user(
        username="tg_2", telegramId=2, status="EXPIRED", expireAt=datetime.now(UTC) - timedelta(days=20)
    )
    ref = lapsed["id"] if panel_emulator.api_version == 3 else lapsed["uuid"]
    revived = await panel_client.extend_user(ref, 30)
    expected = datetime.now(UTC) + timedelta(days=30)
    assert abs(revived.expire_at - expected) < timedelta(minutes=1)
    assert revived.status == "ACTIVE"
    with pytest.raises(ValueError, match="days must be at least 1"):
        await panel_client.extend_user(ref, 0)


@both_versions
async def test_enable_disable_reset_and_revoke(
    panel_emulator: PanelEmulator, panel_client: RemnawaveClient
) -> None:
    user = await panel_client.create_user(_request("tg_9", 9))
    assert (await panel_client.disable_user(user.ref)).status == "DISABLED"
    assert (await panel_client.disable_user(user.ref)).status == "DISABLED"  # A029 "already" is success
    assert (await panel_client.enable_user(user.ref)).status == "ACTIVE"
    assert (await panel_client.enable_user(user.ref)).status == "ACTIVE"  # A030

    panel_emulator.set_used_traffic(user.ref, 3 * GIB)
    assert (await panel_client.get_user(user.ref)).used_traffic_bytes == 3 * GIB
    assert (await panel_client.reset_traffic(user.ref)).used_traffic_bytes == 0

    revoked = await panel_client.revoke_subscription(user.ref)
    assert revoked.short_uuid != user.short_uuid and revoked.subscription_url != user.subscription_url
    proxied = {"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https"}  # the panel's HTTPS proxy
    async with aiohttp.ClientSession(headers=proxied) as session:
        async with session.get(user.subscription_url) as old:
            assert old.status == 404
            assert (await old.json())["isFound"] is False
        async with session.get(revoked.subscription_url) as new:
            assert new.status == 200
            assert base64.b64decode(await new.text()).decode().startswith("vless://")


@both_versions
async def test_devices_list_delete_and_unknown_hwid(
    panel_emulator: PanelEmulator, panel_client: RemnawaveClient
) -> None:
    user = await panel_client.create_user(_request("tg_3", 3))
    panel_emulator.add_device(user.ref, "HWIDPHONE0001", platform="iOS")
    panel_emulator.add_device(user.ref, "HWIDLAPTOP001", platform="Windows")
    devices = await panel_client.list_devices(user.ref)
    newest_first = [("HWIDLAPTOP001", "Windows"), ("HWIDPHONE0001", "iOS")]
    assert [(d.hwid, d.platform) for d in devices] == newest_first

    left = await panel_client.delete_device(user.ref, "HWIDPHONE0001")
    assert [d.hwid for d in left] == ["HWIDLAPTOP001"]
    owner = "userId" if panel_emulator.api_version == 3 else "userUuid"
    assert next(r.json for r in panel_emulator.requests if r.path == "/api/hwid/devices/delete") == {
        owner: user.ref,
        "hwid": "HWIDPHONE0001",
    }
    with pytest.raises(PanelNotFound) as missing:
        await panel_client.delete_device(user.ref, "HWIDPHONE0001")
    assert missing.value.code == "A204"
    assert await panel_client.delete_all_devices(user.ref) == []
    assert await panel_client.list_devices(user.ref) == []


@both_versions
async def test_iter_users_pages_through_600_users(
    panel_emulator: PanelEmulator, panel_client: RemnawaveClient
) -> None:
    for number in range(600):
        panel_emulator.add_user(username=f"bulk_{number}", telegramId=10_000 + number)
    pages = [page async for page in panel_client.iter_users(page_size=250)]
    assert [len(page) for page in pages] == [250, 250, 100]
    names = [user.username for page in pages for user in page]
    # 3.x streams by id ascending; 2.x pages the UI list, newest id first
    first, last = ("bulk_0", "bulk_599") if panel_emulator.api_version == 3 else ("bulk_599", "bulk_0")
    assert len(set(names)) == 600 and names[0] == first and names[-1] == last


@both_versions
async def test_panel_validation_errors_are_bad_requests(panel_client: RemnawaveClient) -> None:
    with pytest.raises(PanelBadRequest) as bad_name:
        await panel_client.create_user(_request("bad name!", 1))
    assert any("username" in message for message in bad_name.value.errors)
    user = await panel_client.create_user(_request("tg_4", 4))
    with pytest.raises(PanelBadRequest) as past:
        await panel_client.update_user(
            user.ref, UpdateUserRequest(expire_at=datetime.now(UTC) - timedelta(days=1))
        )
    assert "cannot be in the past" in str(past.value)
    with pytest.raises(PanelBadRequest, match="change status to LIMITED or EXPIRED"):
        await panel_client.update_user(user.ref, UpdateUserRequest(status="EXPIRED"))


@both_versions
async def test_squads_stats_and_version_detection(
    panel_emulator: PanelEmulator, panel_client: RemnawaveClient
) -> None:
    extra = panel_emulator.add_squad("Premium")
    assert await panel_client.list_internal_squads() == [
        (DEFAULT_SQUAD_UUID, "Default-Squad"),
        (extra, "Premium"),
    ]
    await panel_client.create_user(_request("tg_5", 5))
    stats = await panel_client.system_stats()
    assert stats.total_users == 1 and stats.status_counts["ACTIVE"] == 1
    assert await panel_client.api_major() == panel_emulator.api_version
    assert len(_sent(panel_emulator, "GET", "/api/system/metadata")) == 1  # detected once, cached


@both_versions
async def test_version_is_detected_without_the_metadata_route(panel_emulator: PanelEmulator) -> None:
    panel_emulator.add_user(username="probe_user")
    panel_emulator.fail_next(1, 404, path_prefix="/api/system/metadata")
    async with make_panel_client(panel_emulator) as client:
        assert await client.api_major() == panel_emulator.api_version


async def test_a_2x_route_on_a_3x_panel_is_not_mistaken_for_no_users(panel_emulator: PanelEmulator) -> None:
    async with make_panel_client(panel_emulator, api_version="2") as client:
        with pytest.raises(PanelNotFound) as exc:
            await client.find_by_telegram_id(1)
    assert exc.value.route_missing and "Cannot GET /api/users/by-telegram-id/1" in str(exc.value)


async def test_wrong_token_and_admin_jwt_are_auth_errors() -> None:
    async with PanelEmulator(admin_token="admin-login-jwt") as emulator:
        async with RemnawaveClient(emulator.url, "wrong", api_version="3") as client:
            with pytest.raises(PanelAuthError) as wrong:
                await client.system_stats()
        assert wrong.value.status == 401 and "create an api token" in str(wrong.value).lower()
        async with RemnawaveClient(emulator.url, "admin-login-jwt", api_version="3") as client:
            with pytest.raises(PanelAuthError) as admin:
                await client.system_stats()
        assert admin.value.status == 403 and "admin login token" in str(admin.value)
        assert "API token" in str(admin.value)


async def test_not_found_and_transient_failures_are_distinguished(panel_emulator: PanelEmulator) -> None:
    calls: list[tuple[str, str]] = []
    async with make_panel_client(
        panel_emulator, retries=0, on_call=lambda n, o, s: calls.append((n, o))
    ) as client:
        with pytest.raises(PanelNotFound) as missing:
            await client.get_user(999)
        assert not isinstance(missing.value, PanelUnavailable) and missing.value.code == "A063"
        panel_emulator.fail_next(1, 503, path_prefix="/api/users/")
        with pytest.raises(PanelUnavailable) as down:
            await client.get_user(999)
        assert down.value.status == 503
    assert ("users.get", "not_found") in calls and ("users.get", "unavailable") in calls


async def test_reads_are_retried_but_create_is_not(panel_emulator: PanelEmulator) -> None:
    calls: list[tuple[str, str, float]] = []
    async with make_panel_client(panel_emulator, retries=2, on_call=lambda *c: calls.append(c)) as client:
        user = await client.create_user(_request("tg_11", 11))
        panel_emulator.fail_next(1, 503, path_prefix=f"/api/users/{user.ref}")
        assert (await client.get_user(user.ref)).username == "tg_11"
        assert len(_sent(panel_emulator, "GET", f"/api/users/{user.ref}")) == 2
        assert calls[-1][:2] == ("users.get", "ok") and calls[-1][2] >= 0

        panel_emulator.fail_next(1, 503, path_prefix="/api/users", method="POST")
        with pytest.raises(PanelUnavailable, match=r"^users\.create: Service Unavailable \(HTTP 503\)$"):
            await client.create_user(_request("tg_12", 12))
    creates = [r for r in panel_emulator.requests if r.method == "POST" and r.path == "/api/users"]
    assert [r.json["username"] for r in creates] == ["tg_11", "tg_12"]  # tg_12 was sent exactly once
    assert _sent(panel_emulator, "GET", "/api/users/by-username/tg_12")  # looked for a lost create
    assert panel_emulator.user_by_telegram_id(12) is None


async def test_create_adopts_own_user_after_username_taken(panel_emulator: PanelEmulator) -> None:
    existing = panel_emulator.add_user(username="tg_77", telegramId=77)
    async with make_panel_client(panel_emulator) as client:
        adopted = await client.create_user(_request("tg_77", 77))
        assert adopted.ref == existing["id"] and len(panel_emulator.users) == 1
        with pytest.raises(PanelUsernameTaken) as taken:
            await client.create_user(_request("tg_77", 78))
    assert taken.value.code == "A019"


async def test_create_adopts_the_user_when_the_reply_is_lost(panel_emulator: PanelEmulator) -> None:
    panel_emulator.set_latency(2.0, path_prefix="/api/users", method="POST")
    async with make_panel_client(panel_emulator, timeout=0.3) as client:
        user = await client.create_user(_request("tg_88", 88))
    assert user.telegram_id == 88 and len(panel_emulator.users) == 1
    assert len(_sent(panel_emulator, "POST", "/api/users")) == 1


async def test_timeout_raises_unavailable_within_the_timeout(panel_emulator: PanelEmulator) -> None:
    panel_emulator.set_latency(3.0)
    async with make_panel_client(panel_emulator, timeout=0.3, retries=0, api_version="3") as client:
        started = time.monotonic()
        with pytest.raises(PanelUnavailable) as slow:
            await client.system_stats()
        assert time.monotonic() - started < 1.5
    assert "0.3 s" in str(slow.value)


async def test_a_retried_device_delete_whose_first_reply_was_lost(panel_emulator: PanelEmulator) -> None:
    user = panel_emulator.add_user(username="tg_55")
    panel_emulator.add_device(user["id"], "HWIDPHONE0001")
    panel_emulator.add_device(user["id"], "HWIDLAPTOP001")
    panel_emulator.set_latency(2.0, path_prefix="/api/hwid/devices/delete", count=1)
    async with make_panel_client(panel_emulator, timeout=0.5, api_version="3") as client:
        left = await client.delete_device(user["id"], "HWIDPHONE0001")
    assert [d.hwid for d in left] == ["HWIDLAPTOP001"]
    assert len(_sent(panel_emulator, "POST", "/api/hwid/devices/delete")) == 2


async def test_a_panel_that_is_down_is_unavailable_then_recovers(panel_emulator: PanelEmulator) -> None:
    async with make_panel_client(panel_emulator, retries=1, api_version="3") as client:
        panel_emulator.set_down(True)
        with pytest.raises(PanelUnavailable, match="closed the connection without replying"):
            await client.system_stats()
        panel_emulator.set_down(False)
        assert (await client.system_stats()).total_users == 0
    async with RemnawaveClient("http://127.0.0.1:1", "t", api_version="3", retries=0) as refused:
        with pytest.raises(PanelUnavailable, match="cannot connect to the panel"):
            await refused.system_stats()


async def test_proxy_headers_are_added_on_plain_http() -> None:
    async with PanelEmulator(require_proxy_headers=True) as emulator:
        async with make_panel_client(emulator) as client:
            assert await client.api_major() == 3
        headers = emulator.requests[-1].headers
        assert headers["X-Forwarded-For"] and headers["X-Forwarded-Proto"] == "https"
        overridden = make_panel_client(emulator, extra_headers={"X-Forwarded-Proto": "http"}, retries=0)
        async with overridden as client:
            with pytest.raises(PanelProxyHeadersMissing) as dropped:
                await client.system_stats()
        assert "X-Forwarded-Proto" in str(dropped.value)


async def test_extra_headers_cookies_and_base_url_forms(panel_emulator: PanelEmulator) -> None:
    client = RemnawaveClient(
        panel_emulator.url + "/api/",
        panel_emulator.token,
        extra_headers={"X-Api-Key": "caddy-key"},
        cookies={"gate": "s3cret", "lang": "en"},
    )
    async with client:
        assert client.base_url == panel_emulator.url
        await client.system_stats()
    headers = panel_emulator.requests[-1].headers
    assert headers["X-Api-Key"] == "caddy-key"
    assert headers["Cookie"] == "gate=s3cret; lang=en"
    assert headers["Authorization"] == f"Bearer {panel_emulator.token}"
    assert panel_emulator.token not in repr(client)
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        RemnawaveClient("panel.example.com", "t")


async def test_a_change_the_panel_applied_but_whose_reply_was_lost(panel_emulator: PanelEmulator) -> None:
    """drop_after_applying: the panel carries the request out, then the connection dies without a reply;
    the client sees the panel as unavailable although the change is there."""
    user = panel_emulator.add_user(username="tg_56")
    target = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)
    panel_emulator.drop_after_applying(path_prefix="/api/users", method="PATCH")
    async with make_panel_client(panel_emulator, retries=0, api_version="3") as client:
        with pytest.raises(PanelUnavailable):
            await client.update_user(user["id"], UpdateUserRequest(expire_at=target))
        applied = await client.get_user(user["id"])
        assert applied.expire_at == target
        # only the next matching request was dropped
        again = await client.update_user(user["id"], UpdateUserRequest(expire_at=target + timedelta(days=1)))
    assert again.expire_at == target + timedelta(days=1)
    assert len(_sent(panel_emulator, "PATCH", "/api/users")) == 2


@pytest.mark.parametrize("panel_emulator", [{"hwid_limiting": True}], indirect=True)
async def test_a_client_fetching_the_subscription_with_its_hwid_becomes_a_device(
    panel_emulator: PanelEmulator, panel_client: RemnawaveClient
) -> None:
    user = await panel_client.create_user(_request("tg_5077", 5077))  # device limit 2
    app_headers = {
        "X-Forwarded-For": "127.0.0.1",  # through the panel's HTTPS proxy, as a client app reaches it
        "X-Forwarded-Proto": "https",
        "x-device-os": "Android",
        "x-ver-os": "14",
        "x-device-model": "Pixel 9",
    }
    served: list[bool] = []
    async with aiohttp.ClientSession() as http:
        for hwid in ("A1B2C3", "A1B2C3", "D4E5F6", "G7H8I9"):  # again, a second, one over the limit
            async with http.get(user.subscription_url, headers=app_headers | {"x-hwid": hwid}) as response:
                assert response.status == 200  # a refusal is a 200 with an empty body
                served.append(await response.text() != "")
        async with http.get(user.subscription_url, headers=app_headers) as response:  # no HWID: refused
            assert response.status == 200 and await response.text() == ""
            assert response.headers["x-hwid-not-supported"] == "true"
    assert served == [True, True, True, False]
    devices = await panel_client.list_devices(user.ref)
    assert [(d.hwid, d.platform, d.device_model) for d in devices] == [  # newest first, as the panel lists
        ("D4E5F6", "Android", "Pixel 9"),
        ("A1B2C3", "Android", "Pixel 9"),
    ]


@pytest.mark.parametrize(
    ("panel_emulator", "encrypted"),
    [({"version": "3.3.2"}, False), ({"version": "2.7.4"}, False), ({"version": "2.2.6"}, True)],
    indirect=["panel_emulator"],
)
async def test_happs_crypto_link_is_read_where_the_panel_offers_it(
    panel_emulator: PanelEmulator, encrypted: bool
) -> None:
    added = panel_emulator.add_user(username="happ_user", telegram_id=77)
    async with make_panel_client(panel_emulator) as client:
        [user] = await client.find_by_telegram_id(77)
        again = await client.get_user(user.ref)
    assert user.subscription_url == added["subscriptionUrl"]
    if encrypted:
        assert user.happ_crypto_link is not None and user.happ_crypto_link.startswith("happ://crypt3/")
    else:
        assert user.happ_crypto_link is None
    assert again.happ_crypto_link == user.happ_crypto_link


async def test_a_3x_panel_is_not_asked_for_a_uuid(panel_client: RemnawaveClient) -> None:
    """An old uuid link cannot address a 3.x user: a typed "not found here", never a request."""
    with pytest.raises(PanelUuidLink, match="no lookup by uuid"):
        await panel_client.get_user("5b7e5d7e-8d1c-4f7e-9a43-1c2b3d4e5f60")
