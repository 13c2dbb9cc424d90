## Автопродление
autorenew-title = 🔁 <b>Автопродление</b>
autorenew-state-on = Автопродление <b>включено</b>: { $method }.
autorenew-state-off = Автопродление <b>выключено</b>.
autorenew-plan = Каждое продление: <b>{ $tariff }</b>, { $period }.
autorenew-off-hint = При выключении сохранённая карта сразу удаляется.
autorenew-how = Подписка может продлеваться автоматически незадолго до окончания: оплатите один раз картой и сохраните её для продлений или продлевайте с баланса. Перед каждым списанием мы предупредим, выключить можно одним нажатием.
autorenew-needs-subscription = Для автопродления нужна платная подписка. Сначала купите её.
autorenew-unavailable = Автопродление сейчас недоступно.
autorenew-card = сохранённая карта
autorenew-method-balance = с баланса
autorenew-btn-state-on = 🔁 Автопродление: вкл. (выключить)
autorenew-btn-state-off = 🔁 Автопродление: выкл.
autorenew-btn-off = ❌ Выключить и удалить карту
autorenew-btn-card = 💳 Оплатить картой и продлевать автоматически
autorenew-btn-balance = 👛 Продлевать с баланса
autorenew-btn-buy-with = 🔁 Картой с автопродлением · { $price }
autorenew-btn-manage = 🔁 Автопродление
autorenew-turned-off = Автопродление выключено, сохранённая карта удалена.
autorenew-turned-on = Автопродление включено.
autorenew-upcoming =
    🔁 <b>Автопродление</b>

    { $when } подписка будет продлена: будет списано { $amount } ({ $method }).
    Чтобы отменить, выключите автопродление.
autorenew-succeeded = ✅ <b>Подписка продлена автоматически.</b> Списано { $amount } ({ $method }).
autorenew-failed-retry = ⚠️ Автоматическая оплата продления на { $amount } не прошла ({ $reason }). Попробуем снова { $when }; вы также можете продлить подписку сами.
autorenew-failed-final = ⚠️ Автоматическая оплата продления на { $amount } не прошла ({ $reason }), больше попыток для этого периода не будет. Продлите подписку сами, чтобы доступ не прервался.
autorenew-reason-declined = платёж отклонён
autorenew-reason-balance = недостаточно средств на балансе
