## Start and main menu
welcome-new = 👋 Добро пожаловать, <b>{ $name }</b>! Здесь можно подключить быстрый и приватный VPN в пару касаний.
main-menu = Что хотите сделать?
menu-trial-hint = 🎁 Попробуйте сервис бесплатно: { $days } { $days ->
        [one] день
        [few] дня
       *[other] дней
    }.

btn-trial = 🎁 Пробный период
btn-subscription = 🔐 Моя подписка
btn-devices = 📱 Мои устройства
btn-language = 🌐 Язык
btn-support = 💬 Поддержка
btn-status = 📊 Статус сервиса
btn-terms = 📄 Условия использования
btn-channel = 📢 Наш канал
btn-feedback = ⭐ Оставить отзыв
btn-back = ⬅️ Назад
btn-menu = 🏠 Главное меню
btn-connect = 🚀 Подключиться
btn-qr = 🔳 QR-код
btn-refresh = 🔄 Обновить
btn-disconnect = ❌ Отключить { $index }

## Language
language-name-ru = 🇷🇺 Русский
language-name-en = 🇬🇧 English
language-choose = 🌐 Выберите язык:
language-set = ✅ Язык изменён: русский

## Trial
trial-activated =
    🎉 <b>Пробный период активирован!</b>

    Доступ до <b>{ $expires }</b> ({ $days } { $days ->
        [one] день
        [few] дня
       *[other] дней
    }), трафик { $traffic }, устройств: { $devices }.

    Нажмите <b>Подключиться</b>, чтобы добавить подписку в VPN-приложение, или скопируйте ссылку:
    <code>{ $link }</code>
trial-already-used = Вы уже использовали пробный период. Он доступен один раз на аккаунт.
trial-disabled = Пробный период сейчас недоступен.
trial-has-access = У вас уже есть активная подписка до { $expires }, пробный период не нужен.
trial-busy = Пробный период уже активируется, подождите немного.

## Subscription
subscription-none = У вас пока нет подписки.
subscription-none-trial = У вас пока нет подписки. Попробуйте сервис бесплатно!
subscription-overview =
    🔐 <b>Моя подписка</b>

    Статус: { $status }
    Действует до: <b>{ $expires }</b>
    { $left }
    Трафик: { $traffic }
    Устройства: { $devices }

    Ссылка для подключения (нажмите, чтобы скопировать):
    <code>{ $link }</code>
subscription-days-left = Осталось: <b>{ $days } { $days ->
        [one] день
        [few] дня
       *[other] дней
    }</b>
subscription-hours-left = Осталось меньше суток!
subscription-expired-ago = Истекла { $days ->
        [0] сегодня
       *[other] { $days } { $days ->
            [one] день
            [few] дня
           *[other] дней
        } назад
    }
subscription-qr-caption = Отсканируйте QR-код в VPN-приложении, чтобы добавить подписку.
status-ACTIVE = ✅ активна
status-EXPIRED = ⛔ истекла
status-DISABLED = 🚫 отключена
status-LIMITED = ⚠️ лимит трафика исчерпан
status-UNKNOWN = ❔ неизвестно
traffic-used-of = { $used } из { $limit }
traffic-unlimited-used = { $used } из безлимита
traffic-unlimited = безлимитный
devices-of = { $count } из { $limit }
devices-unlimited = { $count } (без ограничений)
size-gb = { $value } ГБ
size-mb = { $value } МБ

## Devices
devices-title = 📱 <b>Мои устройства</b> ({ $count } из { $limit })
devices-title-unlimited = 📱 <b>Мои устройства</b> ({ $count })
devices-item = { $index }. { $model } · { $platform } · с { $since }
devices-none = 📱 Подключённых устройств пока нет. Устройство появится здесь после первого подключения по вашей ссылке.
devices-note = Отключённое устройство появится снова при следующем подключении, если не удалить подписку из приложения на нём.
device-disconnected = ✅ Устройство отключено.
device-not-found = Этого устройства уже нет в списке.
devices-disabled = Управление устройствами отключено.
device-unknown-model = Неизвестное устройство

## Errors and fallbacks
error-generic = 😔 У нас что-то пошло не так. Попробуйте ещё раз через минуту.
error-panel-unavailable = ⏳ VPN-сервис временно недоступен. Попробуйте через несколько минут.
error-no-panel-user = У вас пока нет активного доступа.
button-outdated = Эта кнопка устарела. Вот актуальное меню.
unknown-input = Я не понял сообщение. Пожалуйста, воспользуйтесь кнопками ниже.
unknown-command = Неизвестная команда. Воспользуйтесь меню ниже.
banned = 🚫 Доступ к магазину заблокирован. Если это ошибка, напишите в поддержку.

## Bot commands (the menu next to the input field)
cmd-start = Главное меню
cmd-subscription = Моя подписка
cmd-devices = Мои устройства
cmd-language = Язык
