## Expiry reminders
reminder-left-hours = { $hours ->
        [one] { $hours } hour
       *[other] { $hours } hours
    }
reminder-left-days = { $days ->
        [one] { $days } day
       *[other] { $days } days
    }
reminder-before-trial =
    ⏳ <b>Your free trial ends in { $left }</b>: { $expires }.

    Choose a plan now to keep your VPN without a break.
reminder-before-paid =
    ⏳ <b>Your subscription ends in { $left }</b>: { $expires }.

    Renew it now to keep your VPN without a break.
reminder-at-trial =
    ⛔ <b>Your free trial has ended.</b>

    Choose a plan to turn your VPN back on: it takes a minute.
reminder-at-paid =
    ⛔ <b>Your subscription has expired.</b>

    Renew it to turn your VPN back on: your settings are kept.
reminder-after-trial =
    👋 Your free trial ended { $ago } ago. Did you like it? Choose a plan to get your VPN back.
reminder-after-paid =
    👋 Your subscription expired { $ago } ago. Renew it to get your VPN back: your settings are kept.
reminder-btn-renew = 🔄 Renew
reminder-btn-buy = 🚀 Choose a plan
reminder-cabinet-link =
    🗂 Your personal cabinet, also in a browser when Telegram does not open: { $link }
    The link signs you in once, within { $hours ->
        [one] { $hours } hour
       *[other] { $hours } hours
    }. Do not forward it.
