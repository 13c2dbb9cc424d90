## Admin: settings changed in the bot
admin-settings-on = on
admin-settings-off = off
admin-settings-saved = ✅ Saved.
admin-settings-title =
    ⚙️ <b>Settings</b>
    Changes apply to every instance of the shop within seconds, without a restart.

    Tariffs on sale: { $tariffs }
    Free trial: { $trial }
    Payment methods enabled: { $methods }
    Menu links: { $links }
btn-settings-tariffs = 💰 Tariffs and prices
btn-settings-trial = 🎁 Free trial
btn-settings-methods = 💳 Payment methods
btn-settings-links = 🔗 Menu links
btn-settings-enable = ✅ Put on sale
btn-settings-disable = ⛔ Take off sale
btn-settings-price = ✏️ Price in { $currency }
btn-settings-trial-days = ✏️ Days
btn-settings-trial-traffic_gb = ✏️ Traffic
btn-settings-trial-device_limit = ✏️ Devices
btn-settings-link-edit = ✏️ { $name }
admin-settings-tariffs = 💰 <b>Tariffs</b> (✅ on sale, ⛔ not on sale)
admin-settings-tariff =
    💰 <b>{ $name }</b>
    On sale: { $state }

    Periods (press one to change its price):
admin-settings-period =
    💰 <b>{ $tariff }</b>, { $period }
    On sale: { $state }
    Prices: { $prices }
admin-settings-price-prompt =
    ✏️ New price in <b>{ $currency }</b> for { $tariff }, { $period } (now { $price }).
    Send the amount, e.g. 249 or 249.50.
admin-settings-trial =
    🎁 <b>Free trial</b>
    Offered: { $state }
    Days: { $days }
    Traffic, GB: { $traffic } (0 = unlimited)
    Devices: { $devices } (0 = the panel's default)
admin-settings-trial-prompt-days = ✏️ Send the trial length in days (1–365).
admin-settings-trial-prompt-traffic_gb = ✏️ Send the trial traffic in GB (0 = unlimited).
admin-settings-trial-prompt-device_limit = ✏️ Send the trial device limit (0 = the panel's default).
admin-settings-methods = 💳 <b>Payment methods</b> in the order customers see them (press a name to turn it on or off, arrows to move it)
admin-settings-no-methods = No payment provider is enabled in the configuration.
admin-settings-links = 🔗 <b>Main menu links</b>
admin-settings-link-line = { $name }: { $url }
admin-settings-link-prompt = ✏️ Send the link for the button { $name } (https://… or tg://…).
settings-unknown-item = This item no longer exists. Open the settings again.
settings-bad-price = That is not a price: send a positive amount such as 249 or 249.50 (no more decimals than the currency has).
settings-bad-number = Send a whole number from { $low } to { $high }.
settings-bad-link = That is not a link: send an address starting with https://, http:// or tg://.
settings-too-long = Too long: at most { $limit } characters.
settings-bad-input = Send the value as one short text message.
btn-settings-trial-on = ✅ Offer the trial
btn-settings-trial-off = ⛔ Stop offering the trial
