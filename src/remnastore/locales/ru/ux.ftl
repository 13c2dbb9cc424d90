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
provider-name-balance = Баланс
subscription-kind-paid = платная
subscription-kind-trial = пробная
subscription-kind-bonus = бонусная
subscription-kind-gift = подарок
