# Self-employed tax receipts ("Мой налог")
tax-receipt-issued = 🧾 Your receipt for the payment of { $amount } has been registered with the tax service.
tax-receipt-open = 🧾 Open the receipt

admin-section-rc = 🧾 Tax receipts
admin-receipts-off = 🧾 <b>Tax receipts</b> are off (NALOGO_ENABLED).
admin-receipts-title = 🧾 <b>Tax receipts that need a look</b>: { $count }
admin-receipts-none = Every receipt is registered. 👍
admin-receipts-line = Order <code>{ $order }</code>, { $amount }: <b>{ $status }</b>, attempts: { $attempts }
    { $reason }
admin-receipt-status-failed = refused by the tax service
admin-receipt-status-skipped = skipped
admin-receipt-status-pending = waiting for the tax service
admin-receipt-status-unknown = being checked with the tax service
btn-receipt-retry = 🔁 Retry { $order }
admin-receipts-retried = The receipt is queued again.
admin-receipts-not-failed = This receipt is not failed (already retried or registered).

log-tax-receipt-failed = 🧾 <b>The tax service refused a receipt</b> for order <code>{ $order }</code>: { $reason }. Retry it in /admin → Tax receipts.
log-tax-receipt-credentials = 🧾 <b>The tax service refused the login</b>: check NALOGO_INN, NALOGO_PASSWORD or NALOGO_REFRESH_TOKEN. Receipts wait meanwhile.
log-tax-receipts-daily = 🧾 <b>Tax receipts, last 24 hours</b>: registered { $registered }, cancelled { $cancelled }, skipped { $skipped }. Waiting now: { $waiting }, failed: { $failed }.
