## Админ: промокоды
admin-yes = Да
admin-no = Нет
admin-promos-title = 🎟 <b>Промокоды</b> (страница { $page })
admin-promos-empty = Промокодов пока нет.
admin-promo-line = <code>{ $code }</code> · { $value } · использован { $used }/{ $limit } · { $state }
admin-promo-on = активен
admin-promo-off = отключён
admin-promo-unlimited = без ограничения
admin-promo-no-end = бессрочно
admin-promo-all-tariffs = Все тарифы
admin-promo-generated = сгенерированный
admin-promo-days = { $days ->
    [one] { $days } день
    [few] { $days } дня
   *[other] { $days } дней
}
admin-promo-kind-days = 📅 Бонусные дни
admin-promo-kind-percent = 🏷 Скидка в процентах
admin-promo-kind-fixed = 💵 Фиксированная скидка
admin-promo-kind-balance = 💰 Зачисление на баланс
admin-promo-value-days = +{ $value } дн.
admin-promo-value-percent = −{ $value }%
admin-promo-status-reserved = зарезервирован
admin-promo-status-consumed = оплачен
admin-promo-status-applied = применён
admin-promo-status-released = освобождён
admin-promo-card =
    🎟 <b>Промокод <code>{ $code }</code></b> — { $state }

    Вид: { $kind }
    Значение: { $value }
    Использован: { $used } из { $limit }
    Действует до: { $until }
    Только первая покупка: { $first }
    Тарифы: { $tariffs }

    Активации: { $consumed } использовано, { $reserved } в резерве, { $released } освобождено
admin-promo-activations-title = 🎟 <b>Активации <code>{ $code }</code></b> (страница { $page })
admin-promo-activations-empty = Этот код ещё никто не использовал.
admin-promo-activation-line = { $date } · покупатель <code>{ $customer }</code> · { $status } · заказ { $order }
admin-promo-turned-off = Код отключён.
admin-promo-turned-on = Код снова активен.
admin-promo-created = Код создан.
admin-promo-ask-new-limit = Сколько всего активаций у <code>{ $code }</code>? Отправьте число (0 — без ограничения).
admin-promo-ask-new-validity = Сколько дней с этого момента действует <code>{ $code }</code>? Отправьте число (0 — бессрочно).
admin-promo-ask-code = Шаг 1. Отправьте новый код (3–32 латинские буквы, цифры, _ или -) или сгенерируйте его.
admin-promo-ask-count = Шаг 1. Сколько кодов? Отправьте число от 1 до { $high }.
admin-promo-ask-kind = Шаг 2. Что даёт код?
admin-promo-ask-value-days = Шаг 3. Сколько бонусных дней? Отправьте число.
admin-promo-ask-value-percent = Шаг 3. Скидка в процентах? Отправьте число от 1 до 99.
admin-promo-ask-value-fixed = Шаг 3. Размер скидки? Отправьте сумму, например <code>100</code> ({ $currency }) или <code>50 XTR</code>.
admin-promo-ask-value-balance = Шаг 3. Сколько зачислить на баланс? Отправьте сумму, например <code>100</code> ({ $currency }).
admin-promo-ask-limit = Шаг 4. Сколько всего активаций? Отправьте число или выберите «без ограничения».
admin-promo-ask-validity = Шаг 5. Сколько дней действует код? Отправьте число или выберите «бессрочно».
admin-promo-ask-first = Шаг 6. Только для первой покупки?
admin-promo-ask-tariffs = Шаг 7. Для каких тарифов? Выберите один, все или отправьте их коды через запятую.
admin-promo-confirm-one = код <code>{ $code }</code>
admin-promo-confirm-bulk = { $count } сгенерированных кодов
admin-promo-confirm =
    Шаг 8. Создать { $what }?

    Вид: { $kind }
    Значение: { $value }
    Активаций: { $limit }
    Срок: { $validity }
    Только первая покупка: { $first }
    Тарифы: { $tariffs }
admin-promo-bulk-done = 🎟 Промокоды ({ $count }), по одному в строке, со ссылками.
admin-promo-bad-value = Отправьте целое число от 1 до { $high }.
admin-promo-bad-amount = Отправьте сумму, например 100 или 100.50, можно с валютой (RUB, USD, XTR).
admin-promo-bad-kind = Выберите вид кнопкой.
admin-promo-bad-number = Отправьте целое число от 1 до { $high } (или 0, где можно «без ограничения»).
admin-promo-bad-tariffs = Неизвестный тариф. Тарифы: { $known }
admin-promo-bad-code = Код — это 3–32 символа: латинские буквы, цифры, _ или -.
admin-promo-code-taken = Такой код уже есть (регистр букв не различается).
admin-promo-not-found = Этого промокода больше нет.
btn-promo-new = ➕ Новый код
btn-promo-bulk = 📦 Много кодов
btn-promo-generate = 🎲 Сгенерировать
btn-promo-no-limit = ∞ Без ограничения
btn-promo-no-end = ∞ Бессрочно
btn-promo-create = ✅ Создать
btn-promo-activations = 👥 Активации
btn-promo-limit = 🔢 Лимит
btn-promo-validity = 📅 Срок
btn-promo-off = ⛔ Отключить
btn-promo-on = ✅ Включить

## Админ: рекламные кампании
admin-campaigns-title = 📣 <b>Рекламные кампании</b> (страница { $page })
admin-campaigns-empty = Кампаний пока нет.
admin-campaign-card =
    📣 <b>{ $title }</b> (<code>{ $code }</code>), с { $created }
    Ссылка: { $link }

    Запустили бота: <b>{ $starts }</b>
    Взяли пробный период: <b>{ $trials }</b>
    Оплатили: <b>{ $payers }</b>
    Выручка: <b>{ $revenue }</b>
    Затраты: { $cost }
admin-campaign-balance = Итог: <b>{ $result }</b> (окупилось { $percent }% затрат)
admin-campaign-created = Кампания создана: делитесь её ссылкой.
admin-campaign-ask-title = Шаг 1. Название кампании (видно только вам), например «Канал X, март».
admin-campaign-ask-code = Шаг 2. Код в ссылке (2–64 латинские буквы, цифры, _ или -; не начинается с ref_ или promo_) или сгенерируйте его.
admin-campaign-ask-cost = Шаг 3. Сколько стоила кампания? Отправьте сумму, например <code>5000</code> ({ $currency }) или <code>40 USD</code>, или выберите «бесплатно».
admin-campaign-bad-code = Код кампании — 2–64 латинские буквы, цифры, _ или -, и он не начинается с ref_ или promo_.
admin-campaign-bad-title = Название должно быть длиной от 1 до 128 символов.
admin-campaign-bad-cost = Отправьте сумму, например 5000 или 5000 RUB.
admin-campaign-code-taken = Кампания с таким кодом уже есть.
admin-campaign-not-found = Этой кампании больше нет.
btn-campaign-new = ➕ Новая кампания
btn-campaign-generate = 🎲 Сгенерировать
btn-campaign-free = 🆓 Бесплатно
