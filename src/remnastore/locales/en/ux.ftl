## "I have paid": what the payment's status really is
order-check-declined = ❌ This payment was declined or cancelled, and nothing was charged. To try again, choose the period and a payment method once more.
order-check-expired = ⌛ This invoice has expired unpaid. Please create a new one from the menu. If you did pay it, the payment is still credited when it arrives.
order-check-refunded = ↩️ This order's payment was refunded.
