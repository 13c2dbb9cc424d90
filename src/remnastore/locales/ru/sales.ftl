## Buying
btn-buy = 🚀 Купить подписку
btn-renew = 🔄 Продлить подписку
btn-pay = 💳 Оплатить { $amount }
btn-check-payment = 🔄 Я оплатил
btn-other-method = ↩️ Другой способ оплаты
buy-choose-tariff = 🛒 <b>Выберите тариф</b>
buy-tariff-line = <b>{ $name }</b>: { $description }
buy-choose-period = 🛒 <b>{ $tariff }</b>
    { $description }

    Выберите срок:
buy-period-button = { $period } · { $price }
buy-choose-method = 🛒 <b>{ $tariff }</b>, { $period }

    Выберите способ оплаты:
buy-tariff-change = ⚠️ Сейчас у вас тариф <b>{ $current }</b> до { $expires }. Покупка тарифа <b>{ $new }</b> переключит подписку на него: новый срок начнётся сейчас, оставшиеся дни тарифа { $current } не переносятся.
buy-invoice =
    🧾 <b>Заказ { $order }</b>
    { $tariff }, { $period }
    Сумма: <b>{ $amount }</b>

    Нажмите <b>Оплатить</b> и следуйте инструкциям на странице оплаты. Подписка продлится сразу после поступления платежа, мы пришлём сообщение сюда.
buy-nothing-for-sale = Сейчас ничего не продаётся. Попробуйте позже.
buy-no-methods = Для этого срока сейчас нет способа оплаты. Выберите другой срок или попробуйте позже.
order-still-pending = ⏳ Платёж ещё не поступил. Если вы оплатили, он зачислится автоматически в течение нескольких минут.
order-already-paid = ✅ Этот заказ оплачен.
period-months = { $count } { $count ->
        [one] месяц
        [few] месяца
       *[other] месяцев
    }
period-days = { $count } { $count ->
        [one] день
        [few] дня
       *[other] дней
    }
period-months-days = { $months } и { $days }

method-stars = ⭐ Telegram Stars
method-yookassa = 💳 Карта, СБП (ЮKassa)
method-cryptobot = 🪙 Криптовалюта (CryptoBot)
method-heleket = 🪙 Криптовалюта (Heleket)
method-freekassa = 📱 СБП, карты (FreeKassa)
method-platega = 📱 СБП (Platega)
method-severpay = 💳 Карта (SeverPay)
method-tribute = 💎 Tribute

## After paying
order-fulfilled =
    🎉 <b>Оплата получена, спасибо!</b>

    Тариф <b>{ $tariff }</b> активен до <b>{ $expires }</b>.

    Ваша ссылка для подключения:
    <code>{ $link }</code>
payment-failed = ❌ Платёж на { $amount } не прошёл. Можно попробовать снова из меню.
payment-refunded = ↩️ Платёж на { $amount } возвращён.
invoice-title = VPN { $tariff }, { $period }

## Checkout errors
checkout-unknown-item = Это предложение больше недоступно. Выберите снова.
checkout-method-unavailable = Этот способ оплаты недоступен для этой покупки. Выберите другой.
checkout-provider-unavailable = ⏳ Платёжный сервис сейчас не отвечает. Попробуйте через минуту или выберите другой способ.
precheckout-order-invalid = Этот счёт больше не действителен. Создайте новый из меню.

## For the shop's admins and log chat
log-payment = 💰 <b>Оплата</b> { $amount } через { $provider }
    Заказ <code>{ $order }</code>, клиент <code>{ $customer }</code>, { $item }
alert-payment-mismatch = 🚨 Платёж по заказу <code>{ $order }</code> ({ $provider }) не совпадает с заказом: { $reason }. Записан и НЕ зачислен; проверьте вручную.
alert-late-payment = ⚠️ Заказ <code>{ $order }</code> ({ $provider }) оплачен после того, как истёк или не прошёл. Зачислен.
alert-order-stuck = 🚨 Заказ <code>{ $order }</code> оплачен, но не выдан после { $attempts } попыток (панель не отвечает). Попытки продолжаются.
alert-unknown-item = 🚨 Заказ <code>{ $order }</code> оплачен за тариф или срок, которого больше нет в каталоге. Выдайте доступ вручную.
alert-revoke-failed = 🚨 По заказу <code>{ $order }</code> сделан возврат, но доступ на панели отозвать не удалось.

## Balance
btn-balance = 💰 Баланс
method-balance = 💰 С баланса
balance-title = 💰 <b>Ваш баланс: { $balance }</b>
balance-line = { $date } · { $amount } · { $reason }
balance-no-movements = Движений пока нет.
balance-topup-choose = Пополнить на:
balance-topup-method = 💰 Пополнение на <b>{ $amount }</b>. Выберите способ оплаты:
balance-topup-title = Пополнение баланса на { $amount }
balance-topup-invoice =
    🧾 <b>Заказ { $order }</b>
    Пополнение баланса: <b>{ $amount }</b>

    Нажмите <b>Оплатить</b> и следуйте инструкциям на странице оплаты. Баланс пополнится сразу после поступления платежа.
balance-topped-up = 💰 Баланс пополнен на { $amount }. Баланс: <b>{ $balance }</b>.
balance-insufficient = На балансе недостаточно средств. Пополните его или выберите другой способ оплаты.
balance-disabled = Баланс в этом магазине не используется.
paid-from-balance = ✅ Оплачено { $amount } с баланса. Подписка продлевается, через мгновение придёт сообщение.
ledger-topup = пополнение
ledger-purchase = покупка
ledger-refund = возврат
ledger-referral = реферальная награда
ledger-promo = промокод
ledger-admin = корректировка
btn-topup-other = ✏️ Другая сумма
balance-topup-ask = ✏️ Напишите сумму пополнения, от { $low } до { $high }:
balance-amount-invalid = Напишите сумму от { $low } до { $high }, например 250.

## Add-ons
btn-more-traffic = ➕ Больше трафика
btn-more-devices = ➕ Больше устройств
addon-choose-traffic = ➕ <b>Больше трафика</b>

    Гигабайты добавляются к текущему лимиту трафика. Выберите пакет:
addon-choose-devices = ➕ <b>Больше устройств</b>

    Устройства добавляются к текущему лимиту устройств. Выберите пакет:
addon-button = { $name } · { $price }
addon-none = Сейчас к вашей подписке нечего добавить из этого раздела.
addon-choose-method = ➕ <b>{ $name }</b>

    Выберите способ оплаты:
addon-invoice =
    🧾 <b>Заказ { $order }</b>
    { $name }
    Сумма: <b>{ $amount }</b>

    Нажмите <b>Оплатить</b> и следуйте инструкциям на странице оплаты. Дополнение подключится сразу после поступления платежа, мы пришлём сообщение сюда.
addon-invoice-title = VPN: { $name }
addon-paid-from-balance = ✅ Оплачено { $amount } с баланса. Дополнение подключается, через мгновение придёт сообщение.
addon-needs-subscription = Дополнения доступны при активной платной подписке. Сначала купите подписку.
addon-not-applicable = Это дополнение не подходит к вашей подписке (например, трафик у вас уже безлимитный).
addon-fulfilled-traffic = ✅ <b>Добавлено { $added } ГБ трафика.</b> Лимит трафика теперь <b>{ $total } ГБ</b>.
addon-fulfilled-devices = ✅ <b>{ $added ->
        [one] Добавлено { $added } устройство.
        [few] Добавлено { $added } устройства.
       *[other] Добавлено { $added } устройств.
    }</b> Теперь можно подключить до <b>{ $total } { $total ->
        [one] устройства
       *[other] устройств
    }</b>.
alert-addon-not-applied = 🚨 Заказ дополнения <code>{ $order }</code> оплачен, но лимит клиента безлимитный или взят из настроек панели по умолчанию, поэтому ничего не добавлено. Рассмотрите возврат.
