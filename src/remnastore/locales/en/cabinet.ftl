## Customer cabinet (web page and Telegram Mini App)

btn-cabinet = 🗂 Personal cabinet
btn-cabinet-browser = 🌐 Open in a browser
btn-cabinet-mini-app = 📱 Open in Telegram
cabinet-link-text =
    🗂 <b>Personal cabinet</b>

    Your subscription, connection guides for every device, and payment — also in an ordinary browser when Telegram does not open.

    The button below signs you in once, within { $minutes } minutes. Do not forward it: whoever opens it gets into your cabinet. Press "Personal cabinet" again for a new link.
cabinet-disabled = The personal cabinet is not available in this shop.

cabinet-nav = Cabinet sections
cabinet-nav-overview = Subscription
cabinet-nav-connect = Connect
cabinet-nav-buy = Buy
cabinet-nav-account = Account
cabinet-support = Support
cabinet-back = Back to the cabinet

cabinet-too-many-requests = Too many requests. Please wait a minute and try again.
cabinet-forbidden = This request was refused. Reload the page and try again.
cabinet-not-found = Nothing here.
cabinet-bad-request = The request could not be understood.
cabinet-link-refused = This sign-in link is no longer valid: it was already used, it expired, or you signed out everywhere. Ask the bot for a new one with the "Personal cabinet" button.

cabinet-login-title = Sign in
cabinet-login-text = Sign in with your personal link: press "Personal cabinet" in the bot and open the link it sends.
cabinet-login-button = Sign in
cabinet-login-ready = Your personal sign-in link is ready.
cabinet-login-signed-in = You are signed in.
cabinet-open = Open the cabinet

cabinet-app-title = Signing in…
cabinet-app-wait = Signing you in with your Telegram account…
cabinet-app-refused = Could not sign you in. Close the cabinet and open it again from the bot.

cabinet-overview-title = My subscription
cabinet-status = Status
cabinet-expires = Valid until
cabinet-left = Left
cabinet-days-left = { $days ->
        [one] { $days } day
       *[other] { $days } days
    }
cabinet-under-a-day = less than a day
cabinet-traffic = Traffic
cabinet-no-subscription = You have no subscription yet.
cabinet-link-title = Connection link
cabinet-link-hint = Add this link to a VPN app, or scan the QR code from another device.
cabinet-copy = Copy link
cabinet-copied = Copied
cabinet-qr-alt = QR code of your connection link
cabinet-devices-title = Devices
cabinet-devices-count = { $count } of { $limit }
cabinet-devices-none = No devices are connected.
cabinet-device-since = connected { $since }
cabinet-device-unknown = Device
cabinet-device-disconnect = Disconnect
cabinet-notice-device-disconnected = ✅ The device was disconnected.
cabinet-notice-language-changed = ✅ Language changed.
cabinet-notice-signed-out-everywhere = ✅ You were signed out on every device. Your old sign-in links no longer work.
cabinet-renew = Renew
cabinet-buy-first = Buy a subscription
cabinet-how-to-connect = How to connect

cabinet-connect-title = Connect a device
cabinet-connect-text = Choose your device:
cabinet-platform-ios = iPhone and iPad
cabinet-platform-android = Android
cabinet-platform-windows = Windows
cabinet-platform-macos = macOS
cabinet-platform-linux = Linux
cabinet-platform-androidtv = Android TV
cabinet-guide-title = Connect on { $platform }
cabinet-guide-steps =
    1. Install one of the apps below.
    2. Tap "Add to the app": the app opens and adds your subscription.
    3. In the app, switch the VPN on.
cabinet-guide-manual = If the button does not open the app, copy the connection link and add it in the app by hand ("Import from clipboard" or "+").
cabinet-guide-install = Install { $app }
cabinet-guide-import = Add to { $app }
cabinet-guide-no-link = Buy a subscription first: the import buttons appear once you have one.
cabinet-guide-none = No app for this device is offered yet. Ask support.
cabinet-guide-other = Other devices

cabinet-buy-title = Buy or renew
cabinet-buy-pay = { $method } · { $price }
cabinet-buy-none = Nothing can be paid for here right now. Please use the bot.
cabinet-buy-period = Period
cabinet-buy-note = Prices are final. After paying you come back here and see the new expiry date.

cabinet-return-title = Payment
cabinet-return-checking = Checking the payment…
cabinet-return-no-order = There is no recent order to check.
cabinet-return-new-expiry = Your subscription is now valid until { $expires }.
cabinet-order-pending = Waiting for the payment. This page updates by itself.
cabinet-order-paid = ✅ Payment received. Extending your subscription…
cabinet-order-fulfilled = ✅ Paid. Thank you!
cabinet-order-expired = The order expired without a payment. You can start a new one.
cabinet-order-failed = The payment did not go through. You can try again.
cabinet-order-refunded = The payment was refunded.

cabinet-account-title = Account
cabinet-signed-in-as = Signed in as { $name }
cabinet-balance = Balance
cabinet-topup-amount = Top up by
cabinet-topup-method = Pay with
cabinet-topup = Top up
cabinet-topup-done = Your balance is now { $balance }.
cabinet-referral-title = Invite friends
cabinet-referral-stats = Invited: { $invited }, paid: { $paying }
cabinet-referral-earned = Earned: { $amount }
cabinet-promo-title = Promo code
cabinet-promo-label = Enter a promo code
cabinet-promo-apply = Apply
cabinet-promo-days = ✅ Promo code applied: +{ $days } { $days ->
        [one] day
       *[other] days
    }, valid until { $expires }.
cabinet-promo-credit = ✅ Promo code applied: { $amount } added to your balance.
cabinet-promo-discount = ✅ Promo code saved: the discount applies to your next purchase.
cabinet-language-title = Language
cabinet-language-save = Change language
cabinet-sign-out = Sign out
cabinet-sign-out-everywhere = Sign out everywhere
cabinet-sign-out-everywhere-hint = Ends the sessions on all your devices and voids unused sign-in links.
cabinet-topup-typed = Or type an amount from { $low } to { $high }
cabinet-addons-title = Add to your subscription
cabinet-addons-note = Added to your current subscription as soon as the payment arrives.
cabinet-addon-done = ✅ Added to your subscription.
btn-cabinet-code = 🔢 Sign-in code
cabinet-code-text =
    🔢 Your sign-in code: <code>{ $code }</code>

    Type it on the cabinet's sign-in page, { $url }, within { $minutes } minutes. It works once. Never tell it to anybody: whoever types it gets into your cabinet.
cabinet-code-disabled = Sign-in codes are not offered in this shop. Use the "Personal cabinet" link.
cabinet-code-title = Sign in with a code
cabinet-code-label = The code from the bot ("Personal cabinet" → "Sign-in code")
cabinet-code-refused = This code is not valid: it is wrong, it expired or it was already used. Ask the bot for a new one; after several wrong codes, wait a few minutes.
cabinet-code-busy = No sign-in code can be given right now. Please try again in a few minutes, or use the "Personal cabinet" link.
