## Buying
btn-buy = 🚀 Buy subscription
btn-renew = 🔄 Renew subscription
btn-pay = 💳 Pay { $amount }
btn-check-payment = 🔄 I have paid
btn-other-method = ↩️ Another payment method
buy-choose-tariff = 🛒 <b>Choose a tariff</b>
buy-tariff-line = <b>{ $name }</b>: { $description }
buy-choose-period = 🛒 <b>{ $tariff }</b>
    { $description }

    Choose the period:
buy-period-button = { $period } · { $price }
buy-choose-method = 🛒 <b>{ $tariff }</b>, { $period }

    Choose how to pay:
buy-tariff-change = ⚠️ You now have the <b>{ $current }</b> tariff until { $expires }. Buying <b>{ $new }</b> switches your subscription to it: the new period starts now and the days left on { $current } are not carried over.
buy-invoice =
    🧾 <b>Order { $order }</b>
    { $tariff }, { $period }
    Amount: <b>{ $amount }</b>

    Press <b>Pay</b> and follow the payment page. Your subscription is extended as soon as the payment arrives; you will get a message here.
buy-nothing-for-sale = Nothing is for sale right now. Please try later.
buy-no-methods = There is no payment method for this period right now. Please choose another period or try later.
order-still-pending = ⏳ The payment has not arrived yet. If you have paid, it will be credited automatically within a few minutes.
order-already-paid = ✅ This order is paid.
period-months = { $count ->
        [one] { $count } month
       *[other] { $count } months
    }
period-days = { $count ->
        [one] { $count } day
       *[other] { $count } days
    }
period-months-days = { $months } and { $days }

method-stars = ⭐ Telegram Stars
method-yookassa = 💳 Card, SBP (YooKassa)
method-cryptobot = 🪙 Crypto (CryptoBot)
method-heleket = 🪙 Crypto (Heleket)
method-freekassa = 📱 SBP, cards (FreeKassa)
method-platega = 📱 SBP (Platega)
method-severpay = 💳 Card (SeverPay)
method-tribute = 💎 Tribute

## After paying
order-fulfilled =
    🎉 <b>Payment received, thank you!</b>

    Tariff <b>{ $tariff }</b> is active until <b>{ $expires }</b>.

    Your connection link:
    <code>{ $link }</code>
payment-failed = ❌ The payment of { $amount } did not go through. You can try again from the menu.
payment-refunded = ↩️ The payment of { $amount } was refunded.
invoice-title = VPN { $tariff }, { $period }

## Checkout errors
checkout-unknown-item = This offer is no longer available. Please choose again.
checkout-method-unavailable = This payment method is not available for this purchase. Please choose another one.
checkout-provider-unavailable = ⏳ The payment service is not answering right now. Please try again in a minute or choose another method.
precheckout-order-invalid = This invoice is no longer valid. Please create a new one from the menu.

## For the shop's admins and log chat
log-payment = 💰 <b>Payment</b> { $amount } via { $provider }
    Order <code>{ $order }</code>, customer <code>{ $customer }</code>, { $item }
alert-payment-mismatch = 🚨 A payment for order <code>{ $order }</code> ({ $provider }) does not match the order: { $reason }. It was recorded and NOT credited; check it by hand.
alert-late-payment = ⚠️ Order <code>{ $order }</code> ({ $provider }) was paid after it had expired or failed. It was credited.
alert-order-stuck = 🚨 Order <code>{ $order }</code> is paid but still not fulfilled after { $attempts } attempts (the panel keeps failing). Retries continue.
alert-unknown-item = 🚨 Order <code>{ $order }</code> is paid for a tariff or period that is no longer in the catalogue. Fulfil it by hand.
alert-revoke-failed = 🚨 Order <code>{ $order }</code> was refunded but its access could not be taken back on the panel.

## Balance
btn-balance = 💰 Balance
method-balance = 💰 From balance
balance-title = 💰 <b>Your balance: { $balance }</b>
balance-line = { $date } · { $amount } · { $reason }
balance-no-movements = No movements yet.
balance-topup-choose = Top up by:
balance-topup-method = 💰 Top up by <b>{ $amount }</b>. Choose how to pay:
balance-topup-title = Balance top-up { $amount }
balance-topup-invoice =
    🧾 <b>Order { $order }</b>
    Balance top-up: <b>{ $amount }</b>

    Press <b>Pay</b> and follow the payment page. The balance is credited as soon as the payment arrives.
balance-topped-up = 💰 Your balance was topped up by { $amount }. Balance: <b>{ $balance }</b>.
balance-insufficient = Not enough money on your balance. Top it up or choose another payment method.
balance-disabled = The balance is not available in this shop.
paid-from-balance = ✅ Paid { $amount } from your balance. Your subscription is being extended; you will get a message in a moment.
ledger-topup = top-up
ledger-purchase = purchase
ledger-refund = refund
ledger-referral = referral reward
ledger-promo = promo code
ledger-admin = correction
btn-topup-other = ✏️ Another amount
balance-topup-ask = ✏️ Type the amount to top up, from { $low } to { $high }:
balance-amount-invalid = Please type an amount from { $low } to { $high }, for example 250.

## Add-ons
btn-more-traffic = ➕ More traffic
btn-more-devices = ➕ More devices
addon-choose-traffic = ➕ <b>More traffic</b>

    The gigabytes are added to your current traffic limit. Choose a package:
addon-choose-devices = ➕ <b>More devices</b>

    The devices are added to your current device limit. Choose a package:
addon-button = { $name } · { $price }
addon-none = There is nothing of this kind to add to your subscription right now.
addon-choose-method = ➕ <b>{ $name }</b>

    Choose how to pay:
addon-invoice =
    🧾 <b>Order { $order }</b>
    { $name }
    Amount: <b>{ $amount }</b>

    Press <b>Pay</b> and follow the payment page. The add-on is applied as soon as the payment arrives; you will get a message here.
addon-invoice-title = VPN: { $name }
addon-paid-from-balance = ✅ Paid { $amount } from your balance. The add-on is being applied; you will get a message in a moment.
addon-needs-subscription = Add-ons are available with an active paid subscription. Please buy a subscription first.
addon-not-applicable = This add-on does not apply to your subscription (for example, your traffic is already unlimited).
addon-fulfilled-traffic = ✅ <b>{ $added } GB of traffic added.</b> Your traffic limit is now <b>{ $total } GB</b>.
addon-fulfilled-devices = ✅ <b>{ $added ->
        [one] { $added } device added.
       *[other] { $added } devices added.
    }</b> You can now connect up to <b>{ $total ->
        [one] { $total } device
       *[other] { $total } devices
    }</b>.
alert-addon-not-applied = 🚨 Add-on order <code>{ $order }</code> was paid, but the customer's limit is unlimited or the panel's default, so nothing was added. Consider a refund.
