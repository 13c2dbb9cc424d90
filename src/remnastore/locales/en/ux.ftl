## "I have paid": what the payment's status really is
order-check-declined = ❌ This payment was declined or cancelled, and nothing was charged. To try again, choose the period and a payment method once more.
order-check-expired = ⌛ This invoice has expired unpaid. Please create a new one from the menu. If you did pay it, the payment is still credited when it arrives.
order-check-refunded = ↩️ This order's payment was refunded.

## Display names of payment providers (admin statistics, customer card)
provider-name-stars = Telegram Stars
provider-name-yookassa = YooKassa
provider-name-cryptobot = CryptoBot
provider-name-heleket = Heleket
provider-name-freekassa = FreeKassa
provider-name-platega = Platega
provider-name-severpay = SeverPay
provider-name-tribute = Tribute
provider-name-yoomoney = YooMoney
provider-name-balance = Balance
subscription-kind-paid = paid
subscription-kind-trial = trial
subscription-kind-bonus = bonus
subscription-kind-gift = gift

## Command menu
cmd-buy = Buy or renew a subscription

## Invoices paid inside Telegram (Stars) and what an invoice says you get
invoice-details = VPN access for { $period }: { $description }. Your subscription is extended as soon as the payment arrives, and the bot tells you in this chat.
addon-invoice-details = { $name } added to your current VPN subscription as soon as the payment arrives.
buy-invoice-stars =
    🧾 <b>Order { $order }</b>
    { $tariff }, { $period }
    Amount: <b>{ $amount }</b>

    Press <b>Pay</b> and confirm in Telegram's payment window: Stars are paid right here in the chat. Your subscription is extended as soon as the payment arrives; you will get a message here.
addon-invoice-stars =
    🧾 <b>Order { $order }</b>
    { $name }
    Amount: <b>{ $amount }</b>

    Press <b>Pay</b> and confirm in Telegram's payment window: Stars are paid right here in the chat. The add-on is applied as soon as the payment arrives; you will get a message here.
