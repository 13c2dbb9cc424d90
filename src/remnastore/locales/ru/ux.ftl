## «Я оплатил»: каков на самом деле статус платежа
order-check-declined = ❌ Этот платёж отклонён или отменён, деньги не списаны. Чтобы попробовать снова, выберите период и способ оплаты ещё раз.
order-check-expired = ⌛ Срок этого счёта истёк, он не оплачен. Создайте новый счёт из меню. Если вы всё же оплатили его, платёж зачислится, когда поступит.
order-check-refunded = ↩️ Платёж по этому заказу возвращён.

## Названия платёжных систем (статистика, карточка клиента)
provider-name-stars = Telegram Stars
provider-name-yookassa = ЮKassa
provider-name-cryptobot = CryptoBot
provider-name-heleket = Heleket
provider-name-freekassa = FreeKassa
provider-name-platega = Platega
provider-name-severpay = SeverPay
provider-name-tribute = Tribute
provider-name-yoomoney = ЮMoney
provider-name-balance = Баланс
subscription-kind-paid = платная
subscription-kind-trial = пробная
subscription-kind-bonus = бонусная
subscription-kind-gift = подарок

## Меню команд
cmd-buy = Купить или продлить подписку

## Счета, оплачиваемые внутри Telegram (Stars), и что покупатель получает
invoice-details = Доступ к VPN на { $period }: { $description }. Подписка продлится, как только поступит оплата, и бот сообщит об этом в этом чате.
addon-invoice-details = { $name } добавится к вашей подписке на VPN, как только поступит оплата.
buy-invoice-stars =
    🧾 <b>Заказ { $order }</b>
    { $tariff }, { $period }
    Сумма: <b>{ $amount }</b>

    Нажмите <b>Оплатить</b> и подтвердите платёж в окне Telegram: звёзды оплачиваются прямо здесь, в чате. Подписка продлится, как только поступит оплата; вы получите сообщение здесь.
addon-invoice-stars =
    🧾 <b>Заказ { $order }</b>
    { $name }
    Сумма: <b>{ $amount }</b>

    Нажмите <b>Оплатить</b> и подтвердите платёж в окне Telegram: звёзды оплачиваются прямо здесь, в чате. Дополнение применится, как только поступит оплата; вы получите сообщение здесь.
