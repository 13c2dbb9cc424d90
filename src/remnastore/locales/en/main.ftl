## Start and main menu
welcome-new = 👋 Welcome, <b>{ $name }</b>! Here you can get a fast and private VPN in a couple of taps.
main-menu = What would you like to do?
menu-trial-hint = 🎁 You can try the service for free for { $days ->
        [one] { $days } day
       *[other] { $days } days
    }.

btn-trial = 🎁 Free trial
btn-subscription = 🔐 My subscription
btn-devices = 📱 My devices
btn-language = 🌐 Language
btn-support = 💬 Support
btn-status = 📊 Service status
btn-terms = 📄 Terms of service
btn-channel = 📢 Our channel
btn-feedback = ⭐ Leave feedback
btn-back = ⬅️ Back
btn-menu = 🏠 Main menu
btn-connect = 🚀 Connect
btn-qr = 🔳 QR code
btn-refresh = 🔄 Refresh
btn-disconnect = ❌ Disconnect { $index }

## Language
language-name-ru = 🇷🇺 Русский
language-name-en = 🇬🇧 English
language-choose = 🌐 Choose your language:
language-set = ✅ Language set: English

## Trial
trial-activated =
    🎉 <b>Your free trial is active!</b>

    It runs until <b>{ $expires }</b> ({ $days ->
        [one] { $days } day
       *[other] { $days } days
    }), traffic { $traffic }, devices: { $devices }.

    Press <b>Connect</b> to add the subscription to your VPN app, or copy the link:
    <code>{ $link }</code>
trial-already-used = You have already used your free trial. It is available once per account.
trial-disabled = The free trial is not available at the moment.
trial-has-access = You already have an active subscription until { $expires }, so a trial is not needed.
trial-busy = Your trial is being activated, please wait a moment.

## Subscription
subscription-none = You have no subscription yet.
subscription-none-trial = You have no subscription yet. Try the service for free first!
subscription-overview =
    🔐 <b>My subscription</b>

    Status: { $status }
    Valid until: <b>{ $expires }</b>
    { $left }
    Traffic: { $traffic }
    Devices: { $devices }

    Your connection link (tap to copy):
    <code>{ $link }</code>
subscription-days-left = Days left: <b>{ $days }</b>
subscription-hours-left = Less than a day left!
subscription-expired-ago = Expired { $days ->
        [0] today
        [one] { $days } day ago
       *[other] { $days } days ago
    }
subscription-qr-caption = Scan this QR code in your VPN app to add the subscription.
status-ACTIVE = ✅ active
status-EXPIRED = ⛔ expired
status-DISABLED = 🚫 disabled
status-LIMITED = ⚠️ traffic limit reached
status-UNKNOWN = ❔ unknown
traffic-used-of = { $used } of { $limit }
traffic-unlimited-used = { $used } of unlimited
traffic-unlimited = unlimited
devices-of = { $count } of { $limit }
devices-unlimited = { $count } (no limit)
size-gb = { $value } GB
size-mb = { $value } MB

## Devices
devices-title = 📱 <b>My devices</b> ({ $count } of { $limit })
devices-title-unlimited = 📱 <b>My devices</b> ({ $count })
devices-item = { $index }. { $model } · { $platform } · since { $since }
devices-none = 📱 No devices are connected yet. A device appears here after it first connects with your link.
devices-note = A disconnected device appears again when it connects next time, unless you remove the subscription from it.
device-disconnected = ✅ Device disconnected.
device-not-found = That device is no longer in the list.
devices-disabled = Device management is turned off.
device-unknown-model = Unknown device

## Errors and fallbacks
error-generic = 😔 Something went wrong on our side. Please try again in a minute.
error-panel-unavailable = ⏳ The VPN service is temporarily unavailable. Please try again in a few minutes.
error-no-panel-user = You have no active access yet.
button-outdated = This button is outdated. Here is the current menu.
unknown-input = I did not understand that. Please use the buttons below.
unknown-command = Unknown command. Please use the menu below.
banned = 🚫 Your access to this shop has been blocked. If you think this is a mistake, contact support.

## Bot commands (the menu next to the input field)
cmd-start = Main menu
cmd-subscription = My subscription
cmd-devices = My devices
cmd-language = Language
