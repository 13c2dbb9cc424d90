"""The cabinet's settings (refusals name the variable) and its connect guides (the seller's choice)."""

from __future__ import annotations

import pytest

from remnastore.cabinet.guides import guide
from remnastore.config import load_settings
from remnastore.settings_base import ConfigError
from tests.unit.test_config import REQUIRED

LINK = "https://sub.example/api/sub/AbC123"


def test_defaults_offer_every_platform_and_app_and_keep_the_cabinet_off() -> None:
    cabinet = load_settings(None, REQUIRED).cabinet
    assert not cabinet.enabled
    assert cabinet.platforms == ["ios", "android", "windows", "macos", "linux", "androidtv"]
    assert cabinet.apps == ["happ", "v2raytun", "hiddify", "streisand", "v2box"]


def test_the_seller_chooses_platforms_apps_and_colours() -> None:
    cabinet = load_settings(
        None,
        {
            **REQUIRED,
            "CABINET_PLATFORMS": "Android, iOS",
            "CABINET_APPS": "v2box,happ",
            "CABINET_ACCENT_COLOUR": "#0A5C36",
        },
    ).cabinet
    assert cabinet.platforms == ["android", "ios"] and cabinet.apps == ["v2box", "happ"]
    assert cabinet.accent_colour == "#0a5c36"
    apps = guide("ios", cabinet.apps, LINK, "My VPN")
    assert [a.app.code for a in apps] == ["v2box", "happ"]  # the seller's order
    assert (
        apps[0].deep_link
        == "v2box://install-sub?url=https%3A%2F%2Fsub.example%2Fapi%2Fsub%2FAbC123&name=My%20VPN"
    )
    assert apps[1].deep_link == f"happ://add/{LINK}"
    assert [a.app.code for a in guide("windows", cabinet.apps, LINK, "My VPN")] == ["happ"]
    assert [a.deep_link for a in guide("android", cabinet.apps, None, "My VPN")] == [None, None]


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("CABINET_PLATFORMS", "ios,symbian", "unknown platform(s) symbian"),
        ("CABINET_APPS", "happ,nekoray", "unknown app(s) nekoray"),
        ("CABINET_ACCENT_COLOUR", "red;}body{display:none", "must be a colour"),
        ("CABINET_SUPPORT_URL", "javascript:alert(1)", "http(s)://"),
        ("CABINET_LINK_MINUTES", "0", "greater than or equal to 1"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(variable: str, value: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, {**REQUIRED, variable: value})
    assert reason in caught.value.problems[variable]
