## Личный кабинет (веб-страница и Telegram Mini App)

btn-cabinet = 🗂 Личный кабинет
btn-cabinet-browser = 🌐 Открыть в браузере
btn-cabinet-mini-app = 📱 Открыть в Telegram
cabinet-link-text =
    🗂 <b>Личный кабинет</b>

    Подписка, инструкции по подключению для любого устройства и оплата — и в обычном браузере, если Telegram не открывается.

    Кнопка ниже входит в кабинет один раз в течение { $minutes } мин. Не пересылайте её: кто откроет ссылку, попадёт в ваш кабинет. За новой ссылкой нажмите «Личный кабинет» ещё раз.
cabinet-disabled = Личный кабинет в этом магазине недоступен.

cabinet-nav = Разделы кабинета
cabinet-nav-overview = Подписка
cabinet-nav-connect = Подключение
cabinet-nav-buy = Купить
cabinet-nav-account = Аккаунт
cabinet-support = Поддержка
cabinet-back = Вернуться в кабинет

cabinet-too-many-requests = Слишком много запросов. Подождите минуту и попробуйте снова.
cabinet-forbidden = Запрос отклонён. Обновите страницу и попробуйте снова.
cabinet-not-found = Здесь ничего нет.
cabinet-bad-request = Не удалось разобрать запрос.
cabinet-link-refused = Эта ссылка для входа больше не действует: ею уже воспользовались, истёк срок или вы вышли на всех устройствах. Получите новую в боте кнопкой «Личный кабинет».

cabinet-login-title = Вход
cabinet-login-text = Войдите по личной ссылке: нажмите «Личный кабинет» в боте и откройте присланную ссылку.
cabinet-login-button = Войти
cabinet-login-ready = Ваша личная ссылка для входа готова.
cabinet-login-signed-in = Вы вошли в кабинет.
cabinet-open = Открыть кабинет

cabinet-app-title = Вход…
cabinet-app-wait = Входим через ваш аккаунт Telegram…
cabinet-app-refused = Не удалось войти. Закройте кабинет и откройте его снова из бота.

cabinet-overview-title = Моя подписка
cabinet-status = Статус
cabinet-expires = Действует до
cabinet-left = Осталось
cabinet-days-left = { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[many] { $days } дней
    }
cabinet-under-a-day = меньше суток
cabinet-traffic = Трафик
cabinet-no-subscription = У вас пока нет подписки.
cabinet-link-title = Ссылка для подключения
cabinet-link-hint = Добавьте ссылку в VPN-приложение или отсканируйте QR-код с другого устройства.
cabinet-copy = Скопировать ссылку
cabinet-copied = Скопировано
cabinet-qr-alt = QR-код ссылки для подключения
cabinet-devices-title = Устройства
cabinet-devices-count = { $count } из { $limit }
cabinet-devices-none = Подключённых устройств нет.
cabinet-device-since = подключено { $since }
cabinet-device-unknown = Устройство
cabinet-device-disconnect = Отключить
cabinet-notice-device-disconnected = ✅ Устройство отключено.
cabinet-notice-language-changed = ✅ Язык изменён.
cabinet-notice-signed-out-everywhere = ✅ Вы вышли на всех устройствах. Старые ссылки для входа больше не работают.
cabinet-renew = Продлить
cabinet-buy-first = Купить подписку
cabinet-how-to-connect = Как подключиться

cabinet-connect-title = Подключить устройство
cabinet-connect-text = Выберите устройство:
cabinet-platform-ios = iPhone и iPad
cabinet-platform-android = Android
cabinet-platform-windows = Windows
cabinet-platform-macos = macOS
cabinet-platform-linux = Linux
cabinet-platform-androidtv = Android TV
cabinet-guide-title = Подключение: { $platform }
cabinet-guide-steps =
    1. Установите одно из приложений ниже.
    2. Нажмите «Добавить в приложение»: приложение откроется и добавит подписку.
    3. Включите VPN в приложении.
cabinet-guide-manual = Если кнопка не открывает приложение, скопируйте ссылку для подключения и добавьте её в приложении вручную («Импорт из буфера обмена» или «+»).
cabinet-guide-install = Установить { $app }
cabinet-guide-import = Добавить в { $app }
cabinet-guide-no-link = Сначала купите подписку: кнопки импорта появятся, когда она будет.
cabinet-guide-none = Для этого устройства приложения пока не предложены. Напишите в поддержку.
cabinet-guide-other = Другие устройства

cabinet-buy-title = Купить или продлить
cabinet-buy-pay = { $method } · { $price }
cabinet-buy-none = Сейчас здесь нечего оплатить. Воспользуйтесь ботом.
cabinet-buy-period = Срок
cabinet-buy-note = Цены окончательные. После оплаты вы вернётесь сюда и увидите новую дату окончания.

cabinet-return-title = Оплата
cabinet-return-checking = Проверяем оплату…
cabinet-return-no-order = Нет недавнего заказа для проверки.
cabinet-return-new-expiry = Подписка теперь действует до { $expires }.
cabinet-order-pending = Ждём оплату. Страница обновляется сама.
cabinet-order-paid = ✅ Оплата получена. Продлеваем подписку…
cabinet-order-fulfilled = ✅ Оплачено. Спасибо!
cabinet-order-expired = Заказ истёк без оплаты. Можно оформить новый.
cabinet-order-failed = Оплата не прошла. Попробуйте ещё раз.
cabinet-order-refunded = Платёж возвращён.

cabinet-account-title = Аккаунт
cabinet-signed-in-as = Вы вошли как { $name }
cabinet-balance = Баланс
cabinet-topup-amount = Пополнить на
cabinet-topup-method = Способ оплаты
cabinet-topup = Пополнить
cabinet-topup-done = Баланс теперь { $balance }.
cabinet-referral-title = Пригласить друзей
cabinet-referral-stats = Приглашено: { $invited }, оплатили: { $paying }
cabinet-referral-earned = Заработано: { $amount }
cabinet-promo-title = Промокод
cabinet-promo-label = Введите промокод
cabinet-promo-apply = Применить
cabinet-promo-days = ✅ Промокод применён: +{ $days } { $days ->
        [one] день
        [few] дня
       *[many] дней
    }, подписка до { $expires }.
cabinet-promo-credit = ✅ Промокод применён: на баланс зачислено { $amount }.
cabinet-promo-discount = ✅ Промокод сохранён: скидка будет применена к следующей покупке.
cabinet-language-title = Язык
cabinet-language-save = Сменить язык
cabinet-sign-out = Выйти
cabinet-sign-out-everywhere = Выйти на всех устройствах
cabinet-sign-out-everywhere-hint = Завершает сеансы на всех ваших устройствах и отменяет неиспользованные ссылки для входа.
cabinet-topup-typed = Или введите сумму от { $low } до { $high }
cabinet-addons-title = Добавить к подписке
cabinet-addons-note = Добавляется к текущей подписке, как только придёт оплата.
cabinet-addon-done = ✅ Добавлено к вашей подписке.
btn-cabinet-code = 🔢 Код для входа
cabinet-code-text =
    🔢 Ваш код для входа: <code>{ $code }</code>

    Введите его на странице входа в кабинет, { $url }, в течение { $minutes } мин. Код действует один раз. Никому его не сообщайте: кто введёт код, попадёт в ваш кабинет.
cabinet-code-disabled = Коды для входа в этом магазине не выдаются. Воспользуйтесь ссылкой «Личный кабинет».
cabinet-code-title = Вход по коду
cabinet-code-label = Код из бота («Личный кабинет» → «Код для входа»)
cabinet-code-refused = Этот код не подходит: он неверный, истёк или уже использован. Получите в боте новый; после нескольких неверных кодов подождите несколько минут.
cabinet-code-busy = Сейчас не получается выдать код для входа. Попробуйте через несколько минут или воспользуйтесь ссылкой «Личный кабинет».
