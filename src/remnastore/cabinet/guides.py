"""Connect guides as data: which client apps run on which platform, where to get them, and the deep link
that imports a subscription in one tap. The seller picks platforms and apps (CABINET_PLATFORMS,
CABINET_APPS); adding an app is one entry here and its name in the settings' list.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class ClientApp:
    code: str
    name: str
    #: platform -> where to install it (store page or the project's download page)
    downloads: dict[str, str]
    #: how the app imports a subscription: {url} is the link as it is, {quoted} percent-encoded,
    #: {name} the shop's name percent-encoded
    import_link: str

    def deep_link(self, subscription_url: str, shop_name: str) -> str:
        return self.import_link.format(
            url=subscription_url, quoted=quote(subscription_url, safe=""), name=quote(shop_name, safe="")
        )


_APP_STORE = "https://apps.apple.com/app/"
_PLAY = "https://play.google.com/store/apps/details?id="

APPS: dict[str, ClientApp] = {
    app.code: app
    for app in (
        ClientApp(
            "happ",
            "Happ",
            {
                "ios": _APP_STORE + "happ-proxy-utility/id6504287215",
                "android": _PLAY + "com.happproxy",
                "androidtv": _PLAY + "com.happproxy",
                "windows": "https://www.happ.su/main",
                "macos": _APP_STORE + "happ-proxy-utility/id6504287215",
                "linux": "https://www.happ.su/main",
            },
            "happ://add/{url}",
        ),
        ClientApp(
            "v2raytun",
            "v2RayTun",
            {
                "ios": _APP_STORE + "v2raytun/id6476628951",
                "android": _PLAY + "com.v2raytun.android",
                "androidtv": _PLAY + "com.v2raytun.android",
                "windows": "https://v2raytun.com/",
                "macos": _APP_STORE + "v2raytun/id6476628951",
            },
            "v2raytun://import/{url}",
        ),
        ClientApp(
            "hiddify",
            "Hiddify",
            {
                "ios": _APP_STORE + "hiddify-proxy-vpn/id6596777532",
                "android": _PLAY + "app.hiddify.com",
                "androidtv": _PLAY + "app.hiddify.com",
                "windows": "https://github.com/hiddify/hiddify-app/releases",
                "macos": "https://github.com/hiddify/hiddify-app/releases",
                "linux": "https://github.com/hiddify/hiddify-app/releases",
            },
            "hiddify://import/{url}#{name}",
        ),
        ClientApp(
            "streisand",
            "Streisand",
            {
                "ios": _APP_STORE + "streisand/id6450534064",
                "macos": _APP_STORE + "streisand/id6450534064",
            },
            "streisand://import/{url}#{name}",
        ),
        ClientApp(
            "v2box",
            "V2Box",
            {
                "ios": _APP_STORE + "v2box-v2ray-client/id6446814690",
                "android": _PLAY + "dev.hexasoftware.v2box",
                "macos": _APP_STORE + "v2box-v2ray-client/id6446814690",
            },
            "v2box://install-sub?url={quoted}&name={name}",
        ),
    )
}


@dataclass(frozen=True)
class GuideApp:
    app: ClientApp
    download: str
    deep_link: str | None


def guide(
    platform: str,
    apps: list[str],
    subscription_url: str | None,
    shop_name: str,
    *,
    happ_link: str | None = None,
) -> list[GuideApp]:
    """The chosen apps that run on ``platform``, in the seller's order, each with its import link
    (None while the customer has no subscription link). Happ imports the panel's encrypted link
    (``happ_link``, ``happ://crypt…``) when the panel offers one, so the address stays unreadable in
    the app; else the plain one."""
    found: list[GuideApp] = []
    for code in apps:
        app = APPS.get(code)
        if app is None or platform not in app.downloads:
            continue
        link = app.deep_link(subscription_url, shop_name) if subscription_url else None
        if code == "happ" and subscription_url and happ_link:
            link = happ_link
        found.append(GuideApp(app, app.downloads[platform], link))
    return found
