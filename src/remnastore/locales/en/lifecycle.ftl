gift-refunded = Sorry, this gift was refunded to the person who bought it, so the link no longer works.
admin-refund-not-refundable = This order cannot be refunded: only paid or fulfilled orders with a payment at the provider can.
admin-refund-provider-cannot = { $provider } does not support refunds through its API. Refund the payment in the provider's dashboard; its notification then takes the access back.
admin-refund-provider-off = The payment method of this order is switched off, so it cannot be refunded from here.
buy-renewal-traffic-reset = 🔄 Renewing gives a fresh traffic limit; traffic bought on top ends with the period.
buy-renewal-traffic-keep_addons = 🔄 Renewing gives a fresh traffic limit and keeps the traffic you bought on top.
buy-renewal-traffic-carry_over = 🔄 Renewing gives a fresh traffic limit, and unused traffic carries over.
