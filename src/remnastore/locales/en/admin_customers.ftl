## Admin: customers
admin-customers-title = 👥 <b>Customers</b>, page { $page }
admin-customers-hint = Newest first. Open a customer, or search.
admin-customers-empty = No customers yet.
btn-customer-search = 🔎 Search
btn-customers-list = 👥 All customers
admin-customer-search-prompt = 🔎 Send a Telegram id, an @username or a panel username.
admin-customer-search-none = Nobody found for «{ $query }». Send another query.
admin-customer-search-results = Found: { $count }
admin-customer-card =
    👤 <b>Customer</b> #{ $id }
    Telegram id: <code>{ $telegram_id }</code>
    Name: { $name } · { $username } · language: { $language }
    Registered: { $created }
    Last seen: { $seen }
    State: { $state }
    Trial: { $trial }
    Balance: { $balance }
admin-customer-state-active = active
admin-customer-state-banned = 🚫 blocked
admin-customer-trial-unused = not taken
admin-customer-subscription = Subscription: { $kind }, tariff { $tariff }, until { $expires }
admin-customer-panel =
    Panel user <code>{ $username }</code>: { $status } until { $expires }
    Traffic: { $used } of { $limit } · device limit: { $devices }
    Link: <code>{ $link }</code>
admin-customer-no-panel = Panel: no user yet.
admin-customer-panel-unavailable = Panel: not answering right now.
admin-customer-orders = Orders: { $count } · paid: { $paid }
admin-customer-order-line = · <code>{ $order }</code> { $date } { $amount } { $provider } ({ $status })
admin-customer-referrals = Invited: { $invited } (paid: { $paying }) · invited by: { $referrer }
admin-customer-promos = Promo codes: { $promos }
btn-customer-ban = 🚫 Block
btn-customer-unban = ✅ Unblock
btn-customer-extend = ➕ Extend
btn-customer-expiry = 📅 Set expiry
btn-customer-devices = 📱 Device limit
btn-customer-traffic = 🔄 Reset traffic
btn-customer-revoke = 🔑 New link
btn-customer-trial = 🎁 Reset trial
btn-customer-message = ✉️ Message
btn-customer-refund = ↩️ Refund
btn-customer-delete = 🗑 Delete
admin-customer-extend-prompt = ➕ How many days to add? Send a number (1–3650).
admin-customer-expiry-prompt = 📅 Send the new expiry: <code>2027-01-31</code>, <code>31.01.2027</code> or <code>2027-01-31 18:00</code> (shop time).
admin-customer-devices-prompt = 📱 Send the device limit (0 = the panel's default).
admin-customer-message-prompt = ✉️ Send the message for the customer: text, photo, video, document — it is delivered as it is.
admin-customer-delete-prompt =
    🗑 This deletes the customer, their panel user, orders and balance history for good.
    To confirm, send the customer's Telegram id: <code>{ $telegram_id }</code>
admin-customer-banned-done = 🚫 Blocked; the panel user is disabled.
admin-customer-unbanned-done = ✅ Unblocked; the panel user is enabled.
admin-customer-extended = ✅ Added { $days } days; access until { $expires }.
admin-customer-expiry-set = ✅ Access until { $expires }.
admin-customer-devices-set = ✅ Device limit: { $limit }.
admin-customer-traffic-reset = ✅ Traffic reset.
admin-customer-link-revoked = ✅ New subscription link issued; the old one no longer works.
admin-customer-trial-reset = ✅ The trial can be taken again.
admin-customer-message-sent = ✅ Message delivered.
admin-customer-message-failed = ⚠️ Not delivered: the customer has blocked the bot or cannot be reached.
admin-customer-deleted = 🗑 Customer deleted.
admin-customer-refund-title = ↩️ Payments that can be refunded:
admin-customer-refund-none = This customer has no payment that can be refunded from the bot.
admin-customer-not-found = No such customer (perhaps deleted).
admin-customer-no-panel-user = The customer has no panel user yet.
admin-customer-panel-refused = The panel refused the change.
admin-customer-bad-days = Send a number of days from 1 to { $max }.
admin-customer-bad-date = Send a date in the future: <code>2027-01-31</code> or <code>31.01.2027</code>.
admin-customer-bad-devices = Send a device limit from 0 to { $max }.
admin-customer-not-a-number = Send a whole number.
admin-customer-delete-mismatch = The id does not match; nothing was deleted.
