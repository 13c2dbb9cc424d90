"""The "Мой налог" client against its emulator over real HTTP on 127.0.0.1: logins, token refresh,
receipts, cancellations, reconciliation and the service's errors."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from remnastore.emulators.nalogo import SMS_CODE, NalogoEmulator
from remnastore.infra.clock import ManualClock
from remnastore.receipts.client import (
    CredentialsRejected,
    NalogoClient,
    NotSent,
    OutcomeUnknown,
    Refused,
)
from remnastore.receipts.settings import TaxReceiptSettings
from tests.fixtures.payments import silent_server

INN = "771234567890"
PAID_AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def settings(emulator: NalogoEmulator | None = None, **values: Any) -> TaxReceiptSettings:
    base: dict[str, Any] = {
        "NALOGO_ENABLED": True,
        "NALOGO_INN": INN,
        "NALOGO_PASSWORD": emulator.seller.password if emulator else "x",
        "NALOGO_API_URL": emulator.api_url if emulator else "http://127.0.0.1:9",
        "NALOGO_TIMEOUT": 2.0,
    }
    base.update(values)
    return TaxReceiptSettings(**base)


@pytest.fixture
async def nalogo() -> AsyncIterator[NalogoEmulator]:
    async with NalogoEmulator(INN, secrets.token_urlsafe(12)) as emulator:
        yield emulator


@pytest.fixture
async def client(nalogo: NalogoEmulator) -> AsyncIterator[NalogoClient]:
    client = NalogoClient(settings(nalogo), ManualClock(PAID_AT))
    yield client
    await client.close()


async def test_a_receipt_is_registered_with_rouble_amounts_and_the_payment_time(
    nalogo: NalogoEmulator, client: NalogoClient
) -> None:
    receipt_id = await client.register_income(name="VPN #ord1", amount_minor=19950, paid_at=PAID_AT)
    receipt = nalogo.receipts[receipt_id]
    assert len(receipt_id) == 10 and receipt.total == pytest.approx(199.50)
    assert receipt.operation_time == PAID_AT and receipt.operation_time.utcoffset() == timedelta(hours=3)
    body = nalogo.requests[-1].body.decode()
    assert '"totalAmount": "199.50"' in body and '"+03:00"' not in body  # the offset is inside the time
    assert '"operationTime": "2026-12-05T12:00:00+03:00"' in body
    url = client.receipt_url(receipt_id)
    assert url == f"{nalogo.api_url}/v1/receipt/{INN}/{receipt_id}/print"
    async with aiohttp.ClientSession() as anyone, anyone.get(url) as image:
        assert image.status == 200 and image.content_type == "image/jpeg"


async def test_an_expired_token_is_refreshed_transparently(
    nalogo: NalogoEmulator, client: NalogoClient
) -> None:
    await client.register_income(name="VPN #a", amount_minor=10000, paid_at=PAID_AT)
    nalogo.expire_tokens()  # the service's clock passed the token's expiry; ours did not
    await client.register_income(name="VPN #b", amount_minor=10000, paid_at=PAID_AT)
    assert len(nalogo.receipts) == 2
    assert (nalogo.counters.logins, nalogo.counters.refreshes, nalogo.counters.unauthorized) == (1, 1, 1)
    nalogo.rotate_refresh_tokens = True  # some answers carry a new refresh token: it replaces the old one
    nalogo.expire_tokens()
    await client.register_income(name="VPN #c", amount_minor=10000, paid_at=PAID_AT)
    nalogo.expire_tokens()
    await client.register_income(name="VPN #d", amount_minor=10000, paid_at=PAID_AT)
    assert (nalogo.counters.logins, nalogo.counters.refreshes, len(nalogo.receipts)) == (1, 3, 4)


async def test_a_token_about_to_expire_is_refreshed_before_the_call(nalogo: NalogoEmulator) -> None:
    clock = ManualClock(datetime.now(UTC))
    nalogo.token_ttl = 600
    client = NalogoClient(settings(nalogo), clock)
    try:
        await client.register_income(name="VPN #a", amount_minor=10000, paid_at=PAID_AT)
        clock.advance(timedelta(seconds=570))  # within a minute of tokenExpireIn
        await client.register_income(name="VPN #b", amount_minor=10000, paid_at=PAID_AT)
    finally:
        await client.close()
    assert (nalogo.counters.refreshes, nalogo.counters.unauthorized) == (1, 0)


async def test_a_refused_refresh_falls_back_to_the_password(
    nalogo: NalogoEmulator, client: NalogoClient
) -> None:
    await client.register_income(name="VPN #a", amount_minor=10000, paid_at=PAID_AT)
    nalogo.revoke_refresh_tokens()
    nalogo.expire_tokens()
    await client.register_income(name="VPN #b", amount_minor=10000, paid_at=PAID_AT)
    assert nalogo.counters.logins == 2 and len(nalogo.receipts) == 2


async def test_a_refresh_token_alone_works_and_is_bound_to_the_device(nalogo: NalogoEmulator) -> None:
    bootstrap = NalogoClient(settings(nalogo), ManualClock(PAID_AT))
    await bootstrap.register_income(name="VPN #a", amount_minor=100, paid_at=PAID_AT)
    refresh = bootstrap._refresh  # what a seller copies out of the web cabinet
    await bootstrap.close()
    assert refresh is not None
    alone = NalogoClient(
        settings(nalogo, NALOGO_PASSWORD="", NALOGO_REFRESH_TOKEN=refresh), ManualClock(PAID_AT)
    )
    await alone.register_income(name="VPN #b", amount_minor=100, paid_at=PAID_AT)
    await alone.close()
    other_device = NalogoClient(
        settings(nalogo, NALOGO_PASSWORD="", NALOGO_REFRESH_TOKEN=refresh, NALOGO_DEVICE_ID="another-device"),
        ManualClock(PAID_AT),
    )
    with pytest.raises(CredentialsRejected, match="no NALOGO_PASSWORD"):
        await other_device.register_income(name="VPN #c", amount_minor=100, paid_at=PAID_AT)
    await other_device.close()
    assert nalogo.counters.logins == 1 and len(nalogo.receipts) == 2


async def test_wrong_password_is_rejected_and_never_logged(
    nalogo: NalogoEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = NalogoClient(settings(nalogo, NALOGO_PASSWORD="wrong-password-123"), ManualClock(PAID_AT))
    with pytest.raises(CredentialsRejected, match="refused NALOGO_INN"):
        await client.register_income(name="VPN", amount_minor=100, paid_at=PAID_AT)
    await client.close()
    assert "wrong-password-123" not in caplog.text and nalogo.receipts == {}


async def test_maintenance_is_outcome_unknown_for_writes_and_not_sent_for_reads(
    nalogo: NalogoEmulator, client: NalogoClient
) -> None:
    await client.register_income(name="VPN #warm", amount_minor=100, paid_at=PAID_AT)
    nalogo.set_down(True)
    with pytest.raises(OutcomeUnknown, match="503"):
        await client.register_income(name="VPN #x", amount_minor=100, paid_at=PAID_AT)
    with pytest.raises(NotSent):
        await client.find_income("#x", amount_minor=100, around=PAID_AT)
    nalogo.set_down(False)
    assert await client.find_income("#x", amount_minor=100, around=PAID_AT) is None


async def test_a_maintenance_page_served_with_200_is_not_a_receipt(
    nalogo: NalogoEmulator, client: NalogoClient
) -> None:
    await client.register_income(name="VPN #warm", amount_minor=100, paid_at=PAID_AT)
    nalogo.set_down(True, status=200)
    with pytest.raises(OutcomeUnknown, match="200"):
        await client.register_income(name="VPN #x", amount_minor=100, paid_at=PAID_AT)
    with pytest.raises(NotSent, match="not readable"):
        await client.find_income("#x", amount_minor=100, around=PAID_AT)
    assert len(nalogo.receipts) == 1


async def test_an_unusable_receipt_id_is_not_taken(nalogo: NalogoEmulator, client: NalogoClient) -> None:
    nalogo.next_receipt_id = "../../evil?x=" + "a" * 80
    with pytest.raises(OutcomeUnknown, match="usable"):
        await client.register_income(name="VPN #odd", amount_minor=100, paid_at=PAID_AT)
    assert await client.find_income("#odd", amount_minor=100, around=PAID_AT) is None


async def test_stored_then_failed_is_found_by_its_marker(
    nalogo: NalogoEmulator, client: NalogoClient
) -> None:
    nalogo.store_then_fail()
    with pytest.raises(OutcomeUnknown, match="500"):
        await client.register_income(name="VPN #ord-77", amount_minor=25000, paid_at=PAID_AT)
    found = await client.find_income("#ord-77", amount_minor=25000, around=PAID_AT)
    assert found is not None and found.receipt_id in nalogo.receipts
    assert await client.find_income("#ord-77", amount_minor=10000, around=PAID_AT) is None  # other amount


async def test_listing_pages_through_more_than_a_hundred(
    nalogo: NalogoEmulator, client: NalogoClient
) -> None:
    for n in range(120):
        await client.register_income(
            name=f"VPN #n{n:03d}", amount_minor=100, paid_at=PAID_AT + timedelta(seconds=n)
        )
    found = await client.find_income("#n000", amount_minor=100, around=PAID_AT)
    assert found is not None and found.name == "VPN #n000"


async def test_cancel_after_refund_and_twice(nalogo: NalogoEmulator, client: NalogoClient) -> None:
    receipt_id = await client.register_income(name="VPN #r", amount_minor=100, paid_at=PAID_AT)
    await client.cancel_income(receipt_id, refunded_at=PAID_AT + timedelta(days=1))
    cancellation = nalogo.receipts[receipt_id].cancellation
    assert cancellation is not None and cancellation["comment"] == "Возврат средств"
    await client.cancel_income(receipt_id, refunded_at=PAID_AT + timedelta(days=1))  # the service says 400
    assert nalogo.counters.cancels == 1
    with pytest.raises(Refused, match="не найден"):
        await client.cancel_income("zzzzzzzzzz", refunded_at=PAID_AT)
    assert await client.find_income("#r", amount_minor=100, around=PAID_AT) is None  # cancelled ones skipped


async def test_validation_and_limit_are_refusals(nalogo: NalogoEmulator, client: NalogoClient) -> None:
    with pytest.raises(Refused, match="Наименование"):
        await client.register_income(name="   ", amount_minor=100, paid_at=PAID_AT)
    await client.register_income(name="big", amount_minor=239_999_900, paid_at=PAID_AT)
    with pytest.raises(Refused, match="лимит"):
        await client.register_income(name="over", amount_minor=20_000, paid_at=PAID_AT)
    assert len(nalogo.receipts) == 1


async def test_429_and_connection_refused_are_not_sent(nalogo: NalogoEmulator, client: NalogoClient) -> None:
    await client.register_income(name="VPN", amount_minor=100, paid_at=PAID_AT)
    nalogo.fail_next(429, path_prefix="/api/v1/income")
    with pytest.raises(NotSent, match="429"):
        await client.register_income(name="VPN", amount_minor=100, paid_at=PAID_AT)
    closed = NalogoClient(settings(None), ManualClock(PAID_AT))
    with pytest.raises(NotSent, match="unreachable"):
        await closed.register_income(name="VPN", amount_minor=100, paid_at=PAID_AT)
    await closed.close()


async def test_a_silent_service_times_out_as_outcome_unknown() -> None:
    async with silent_server() as url:
        client = NalogoClient(
            settings(
                None, NALOGO_API_URL=url, NALOGO_TIMEOUT=0.5, NALOGO_REFRESH_TOKEN="r", NALOGO_PASSWORD=""
            ),
            ManualClock(PAID_AT),
        )
        client._token, client._token_expires = "t", PAID_AT + timedelta(hours=1)
        with pytest.raises(OutcomeUnknown, match="did not answer"):
            await client.register_income(name="VPN", amount_minor=100, paid_at=PAID_AT)
        await client.close()


async def test_sms_login_as_the_service_does_it(nalogo: NalogoEmulator) -> None:
    device = {"sourceDeviceId": "dev-1", "sourceType": "WEB", "appVersion": "1.0.0", "metaDetails": {}}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{nalogo.api_url}/v1/auth/challenge/sms/start", json={"phone": "79001234567"}
        ) as r:
            assert r.status == 404  # start exists only under v2
        start = {"phone": "79001234567", "requireTpToBeActive": True}
        async with http.post(f"{nalogo.api_url}/v2/auth/challenge/sms/start", json=start) as r:
            challenge = await r.json()
            assert r.status == 200 and challenge["expireIn"] == 120
        async with http.post(f"{nalogo.api_url}/v2/auth/challenge/sms/start", json=start) as r:
            assert r.status == 422  # one SMS per two minutes
        verify = {"phone": "79001234567", "challengeToken": challenge["challengeToken"], "deviceInfo": device}
        async with http.post(
            f"{nalogo.api_url}/v1/auth/challenge/sms/verify", json={**verify, "code": "000000"}
        ) as r:
            assert r.status == 422
        async with http.post(
            f"{nalogo.api_url}/v1/auth/challenge/sms/verify", json={**verify, "code": SMS_CODE}
        ) as r:
            answer = await r.json()
            assert r.status == 200 and answer["profile"]["inn"] == INN and answer["refreshToken"]
            assert answer["tokenExpireIn"].endswith("Z")
        async with http.get(f"{nalogo.api_url}/v1/incomes?from=2026-12-01&to=2026-12-31") as r:
            assert r.status == 401  # no token
        auth = {"Authorization": f"Bearer {answer['token']}"}
        async with http.get(f"{nalogo.api_url}/v1/incomes?from=2026-12-01&to=2026-12-31", headers=auth) as r:
            assert r.status == 500  # a bare date: the service's "internal error"
        ok = "from=2026-12-01T00:00:00%2B03:00&to=2026-12-31T00:00:00%2B03:00"
        async with http.get(f"{nalogo.api_url}/v1/incomes?{ok}&sortBy=OPERATION_TIME", headers=auth) as r:
            assert r.status == 400 and "два параметра" in (await r.json())["message"]


def test_settings_require_credentials_and_derive_a_stable_device() -> None:
    with pytest.raises(ValueError, match="NALOGO_INN is required"):
        TaxReceiptSettings(NALOGO_ENABLED=True)
    with pytest.raises(ValueError, match="NALOGO_PASSWORD or NALOGO_REFRESH_TOKEN"):
        TaxReceiptSettings(NALOGO_ENABLED=True, NALOGO_INN=INN)
    with pytest.raises(ValueError, match="12-digit"):
        TaxReceiptSettings(NALOGO_INN="12345")
    one, two = settings(None), settings(None)
    assert one.device() == two.device() and len(one.device()) == 21
    assert settings(None, NALOGO_INN="500100732259").device() != one.device()
