"""How the panel client classifies every HTTP failure, over real HTTP against the panel emulator.

Each status is injected with the emulator's ``fail_next`` (the panel's Nest-style body, or a reverse
proxy's non-JSON page). What the rest of the shop does depends on the class: a transient failure
(:class:`PanelUnavailable`) is retried by the client and later by fulfilment; anything else is final.
"""

from __future__ import annotations

import aiohttp
import pytest

from remnastore.emulators.panel import PanelEmulator
from remnastore.panel import (
    PanelAuthError,
    PanelBadRequest,
    PanelError,
    PanelNotFound,
    PanelUnavailable,
    RemnawaveClient,
)
from tests.fixtures.panel import make_panel_client

PROXY_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"

#: status -> (the error class exactly, transient?)
MAPPING: list[tuple[int, type[PanelError], bool]] = [
    (400, PanelBadRequest, False),
    (401, PanelAuthError, False),
    (403, PanelAuthError, False),
    (404, PanelNotFound, False),
    (408, PanelUnavailable, True),
    (409, PanelError, False),
    (429, PanelUnavailable, True),
    (422, PanelError, False),
    (500, PanelUnavailable, True),
    (502, PanelUnavailable, True),
    (503, PanelUnavailable, True),
    (504, PanelUnavailable, True),
]


def _gets(emulator: PanelEmulator, path: str) -> int:
    return sum(1 for r in emulator.requests if r.method == "GET" and r.path == path)


async def _failing_read(
    emulator: PanelEmulator, client: RemnawaveClient, status: int, body: bytes | None = None
) -> tuple[PanelError, int]:
    """One read (retried on transient errors) whose first two requests fail; the error and requests made."""
    user = emulator.add_user(username="tg_404040", telegramId=404040)
    path = f"/api/users/{user['id']}"
    emulator.fail_next(2, status, path_prefix=path, body=body)
    with pytest.raises(PanelError) as caught:
        await client.get_user(user["id"])
    return caught.value, _gets(emulator, path)


@pytest.mark.parametrize(("status", "error_class", "transient"), MAPPING, ids=[str(m[0]) for m in MAPPING])
async def test_each_status_maps_to_its_error_class_and_only_transient_ones_are_retried(
    panel_emulator: PanelEmulator, status: int, error_class: type[PanelError], transient: bool
) -> None:
    async with make_panel_client(panel_emulator, retries=1) as client:
        error, requests = await _failing_read(panel_emulator, client, status)
    assert type(error) is error_class, (status, type(error), str(error))
    assert isinstance(error, PanelUnavailable) is transient
    assert error.status == status
    # a transient error is retried once (both attempts fail); a final one is not repeated
    assert requests == (2 if transient else 1)
    assert error.attempts == requests


@pytest.mark.parametrize(
    ("status", "error_class", "transient"),
    [(502, PanelUnavailable, True), (503, PanelUnavailable, True), (404, PanelNotFound, False)],
    ids=["502", "503", "404"],
)
async def test_a_proxy_page_instead_of_json_keeps_the_status_class(
    panel_emulator: PanelEmulator, status: int, error_class: type[PanelError], transient: bool
) -> None:
    async with make_panel_client(panel_emulator, retries=1) as client:
        error, requests = await _failing_read(panel_emulator, client, status, PROXY_PAGE)
    assert type(error) is error_class and error.status == status
    assert requests == (2 if transient else 1)
    assert error.panel_message == "" and error.code is None
    # the page itself is never echoed into logs or messages
    assert "nginx" not in str(error) and f"HTTP {status}" in str(error)
    if isinstance(error, PanelNotFound):
        assert not error.route_missing


async def test_a_success_status_with_a_non_json_body_is_a_final_error(panel_emulator: PanelEmulator) -> None:
    """A 200 HTML page (PANEL_URL pointing at a website) is not the panel: a clear, non-transient error."""
    user = panel_emulator.add_user(username="tg_404041", telegramId=404041)
    path = f"/api/users/{user['id']}"
    panel_emulator.fail_next(2, 200, path_prefix=path, body=b"<html>Welcome</html>")
    async with make_panel_client(panel_emulator, retries=1) as client:
        with pytest.raises(PanelError, match="not the panel API") as caught:
            await client.get_user(user["id"])
    assert not isinstance(caught.value, PanelUnavailable)
    assert _gets(panel_emulator, path) == 1


async def test_the_injected_failure_rule_answers_the_given_body_then_stops(
    panel_emulator: PanelEmulator,
) -> None:
    user = panel_emulator.add_user(username="tg_404042", telegramId=404042)
    url = f"{panel_emulator.url}/api/users/{user['id']}"
    headers = {
        "Authorization": f"Bearer {panel_emulator.token}",
        # as through the panel's HTTPS reverse proxy (the panel closes plain connections without these)
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Proto": "https",
    }
    panel_emulator.fail_next(1, 502, path_prefix="/api/users/", body=PROXY_PAGE)
    panel_emulator.fail_next(1, 429, path_prefix="/api/users/")
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(url) as reply:
            assert reply.status == 502 and reply.content_type == "text/html"
            assert await reply.read() == PROXY_PAGE
        async with http.get(url) as reply:
            assert reply.status == 429 and reply.content_type == "application/json"
            assert (await reply.json())["statusCode"] == 429
        async with http.get(url) as reply:
            assert reply.status == 200
            assert (await reply.json())["response"]["username"] == "tg_404042"
