## Expiry reminders
reminder-left-hours = { $hours } { $hours ->
        [one] час
        [few] часа
       *[other] часов
    }
reminder-left-days = { $days } { $days ->
        [one] день
        [few] дня
       *[other] дней
    }
reminder-before-trial =
    ⏳ <b>Пробный период закончится через { $left }</b>: { $expires }.

    Выберите тариф сейчас, чтобы VPN работал без перерыва.
reminder-before-paid =
    ⏳ <b>Подписка закончится через { $left }</b>: { $expires }.

    Продлите её сейчас, чтобы VPN работал без перерыва.
reminder-at-trial =
    ⛔ <b>Пробный период закончился.</b>

    Выберите тариф, чтобы снова включить VPN: это займёт минуту.
reminder-at-paid =
    ⛔ <b>Подписка истекла.</b>

    Продлите её, чтобы снова включить VPN: настройки сохранены.
reminder-after-trial =
    👋 Пробный период закончился { $ago } назад. Понравилось? Выберите тариф, чтобы вернуть VPN.
reminder-after-paid =
    👋 Подписка истекла { $ago } назад. Продлите её, чтобы вернуть VPN: настройки сохранены.
reminder-btn-renew = 🔄 Продлить
reminder-btn-buy = 🚀 Выбрать тариф
reminder-cabinet-link =
    🗂 Ваш личный кабинет, и в браузере, если Telegram не откроется: { $link }
    Ссылка входит в кабинет один раз в течение { $hours } { $hours ->
        [one] часа
       *[other] часов
    }. Не пересылайте её.
