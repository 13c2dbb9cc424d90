## Admin: orders
admin-orders-title = 🧾 <b>Orders</b>: { $status }, page { $page }
admin-orders-empty = No orders.
admin-order-line = <code>{ $order }</code> · { $date } · { $amount } · { $provider } · { $status } · { $customer }
admin-order-card =
    🧾 <b>Order</b> <code>{ $order }</code>
    Status: { $status } ({ $kind })
    Amount: { $amount } via { $provider }
    Provider payment: <code>{ $payment }</code>
    Customer: <code>{ $customer }</code>
    Item: { $item }
    Created: { $created }
    Paid: { $paid }
    Fulfilled: { $fulfilled }
    Last error: { $error }
admin-orders-csv = Orders export (CSV, UTF-8)
admin-refund-confirm = Refund <b>{ $amount }</b> to the customer and take the period back?
admin-refund-done = ✅ Refunded.
admin-refund-failed = The provider refused the refund (already refunded, or not enough money on the shop's account there).
admin-order-not-found = No such order.
btn-export-csv = 📥 Export CSV
btn-refund = ↩️ Refund
btn-refund-confirm = ✅ Yes, refund
btn-cancel = ✖️ Cancel
order-status-all = all
order-status-pending = pending
order-status-paid = paid
order-status-fulfilled = fulfilled
order-status-expired = expired
order-status-failed = failed
order-status-refunded = refunded
