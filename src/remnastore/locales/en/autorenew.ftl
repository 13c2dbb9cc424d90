## Auto-renewal
autorenew-title = 🔁 <b>Auto-renewal</b>
autorenew-state-on = Auto-renewal is <b>on</b>: { $method }.
autorenew-state-off = Auto-renewal is <b>off</b>.
autorenew-plan = Each renewal: <b>{ $tariff }</b>, { $period }.
autorenew-off-hint = Turning it off deletes the saved card at once.
autorenew-how = Your subscription can be renewed automatically shortly before it expires: pay once by card and keep the card for renewals, or renew from your balance. You are told before every charge and can turn it off with one tap.
autorenew-needs-subscription = Auto-renewal needs a paid subscription. Buy one first.
autorenew-unavailable = Auto-renewal is not available right now.
autorenew-card = saved card
autorenew-method-balance = from the balance
autorenew-btn-state-on = 🔁 Auto-renewal: on (turn off)
autorenew-btn-state-off = 🔁 Auto-renewal: off
autorenew-btn-off = ❌ Turn off and delete the card
autorenew-btn-card = 💳 Pay by card and renew automatically
autorenew-btn-balance = 👛 Renew from the balance
autorenew-btn-buy-with = 🔁 Card with auto-renewal · { $price }
autorenew-btn-manage = 🔁 Auto-renewal
autorenew-turned-off = Auto-renewal is off; the saved card is deleted.
autorenew-turned-on = Auto-renewal is on.
autorenew-upcoming =
    🔁 <b>Auto-renewal</b>

    On { $when } your subscription will be renewed: { $amount } will be charged { $method }.
    To cancel, turn auto-renewal off.
autorenew-succeeded = ✅ <b>Subscription renewed automatically.</b> Charged { $amount } ({ $method }).
autorenew-failed-retry = ⚠️ The automatic renewal payment of { $amount } did not go through ({ $reason }). We will try again on { $when }; you can also renew yourself.
autorenew-failed-final = ⚠️ The automatic renewal payment of { $amount } did not go through ({ $reason }), and we will not try again for this period. Please renew yourself so that your access does not stop.
autorenew-reason-declined = the payment was declined
autorenew-reason-balance = not enough money on the balance
autorenew-card-kept = 🔁 Auto-renewal is on: { $card } will be charged shortly before your subscription expires. You are told before every charge.
autorenew-card-not-saved = ⚠️ The payment went through, but the card was not saved for auto-renewal (not every payment method can be kept). You can renew by hand or try another card.
