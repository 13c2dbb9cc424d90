## Промокоды (для покупателя)
cmd-promo = Ввести промокод
btn-promo = 🎟 Промокод
promo-ask =
    🎟 <b>Промокод</b>

    Отправьте промокод сообщением.
promo-ask-again = Проверьте код и отправьте его ещё раз или вернитесь назад.
promo-disabled = Промокоды в этом магазине недоступны.
promo-not-found = Такого промокода нет.
promo-inactive = Этот промокод отключён.
promo-not-started = Этот промокод ещё не действует.
promo-expired = Срок действия промокода истёк.
promo-already-used = Вы уже использовали этот промокод.
promo-used-up = Этот промокод уже израсходован.
promo-first-purchase-only = Этот промокод действует только на первую покупку.
promo-not-for-tariff = Этот промокод не подходит для вашего тарифа.
promo-balance-off = Этот промокод сейчас нельзя использовать.
promo-needs-subscription = Сначала возьмите пробный период или купите подписку, затем введите код ещё раз.
promo-discount-saved =
    ✅ Промокод <b>{ $code }</b> принят: скидка <b>{ $discount }</b> на следующую покупку.

    Скидка видна при выборе тарифа и применяется при оплате.
promo-discount-tariffs = Действует для тарифов: { $tariffs }
promo-credit-applied = ✅ Промокод <b>{ $code }</b> применён: на баланс зачислено <b>{ $amount }</b>.
promo-days-applied =
    ✅ Промокод <b>{ $code }</b> применён: <b>+{ $days ->
        [one] { $days } день
        [few] { $days } дня
       *[other] { $days } дней
    }</b>.
    Подписка активна до <b>{ $expires }</b>.
promo-price = <s>{ $old }</s> <b>{ $new }</b>
promo-price-button = { $old } → { $new }
promo-checkout-note = 🎟 Промокод <b>{ $code }</b>: цены со скидкой указаны на кнопках.
promo-checkout-price = 🎟 Промокод <b>{ $code }</b>: { $price }
promo-invoice-discount = 🎟 Промокод <b>{ $code }</b> применён: { $price }
promo-refused-full-price = ⚠️ Промокод не удалось применить ({ $reason }), поэтому цена полная.
promo-link-refused = 🎟 Промокод из ссылки не удалось применить: { $reason }
