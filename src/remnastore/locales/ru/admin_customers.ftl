## Админка: клиенты
admin-customers-title = 👥 <b>Клиенты</b>, стр. { $page }
admin-customers-hint = Сначала новые. Откройте клиента или воспользуйтесь поиском.
admin-customers-empty = Клиентов пока нет.
btn-customer-search = 🔎 Поиск
btn-customers-list = 👥 Все клиенты
admin-customer-search-prompt = 🔎 Отправьте Telegram id, @username или имя пользователя в панели.
admin-customer-search-none = По запросу «{ $query }» никого нет. Отправьте другой запрос.
admin-customer-search-results = Найдено: { $count }
admin-customer-card =
    👤 <b>Клиент</b> #{ $id }
    Telegram id: <code>{ $telegram_id }</code>
    Имя: { $name } · { $username } · язык: { $language }
    Регистрация: { $created }
    Был в боте: { $seen }
    Состояние: { $state }
    Пробный период: { $trial }
    Баланс: { $balance }
admin-customer-state-active = активен
admin-customer-state-banned = 🚫 заблокирован
admin-customer-trial-unused = не брал
admin-customer-subscription = Подписка: { $kind }, тариф { $tariff }, до { $expires }
admin-customer-panel =
    Пользователь панели <code>{ $username }</code>: { $status } до { $expires }
    Трафик: { $used } из { $limit } · лимит устройств: { $devices }
    Ссылка: <code>{ $link }</code>
admin-customer-no-panel = Панель: пользователя пока нет.
admin-customer-panel-unavailable = Панель: сейчас не отвечает.
admin-customer-orders = Заказов: { $count } · оплачено: { $paid }
admin-customer-order-line = · <code>{ $order }</code> { $date } { $amount } { $provider } ({ $status })
admin-customer-referrals = Пригласил: { $invited } (оплатили: { $paying }) · пригласил его: { $referrer }
admin-customer-promos = Промокоды: { $promos }
btn-customer-ban = 🚫 Заблокировать
btn-customer-unban = ✅ Разблокировать
btn-customer-extend = ➕ Продлить
btn-customer-expiry = 📅 Дата окончания
btn-customer-devices = 📱 Лимит устройств
btn-customer-traffic = 🔄 Сбросить трафик
btn-customer-revoke = 🔑 Новая ссылка
btn-customer-trial = 🎁 Сбросить пробный
btn-customer-message = ✉️ Написать
btn-customer-refund = ↩️ Возврат
btn-customer-delete = 🗑 Удалить
admin-customer-extend-prompt = ➕ На сколько дней продлить? Отправьте число (1–3650).
admin-customer-expiry-prompt = 📅 Отправьте новую дату окончания: <code>2027-01-31</code>, <code>31.01.2027</code> или <code>2027-01-31 18:00</code> (время магазина).
admin-customer-devices-prompt = 📱 Отправьте лимит устройств (0 — по умолчанию панели).
admin-customer-message-prompt = ✉️ Отправьте сообщение для клиента: текст, фото, видео, документ — оно будет доставлено как есть.
admin-customer-delete-prompt =
    🗑 Клиент, его пользователь в панели, заказы и история баланса будут удалены навсегда.
    Для подтверждения отправьте Telegram id клиента: <code>{ $telegram_id }</code>
admin-customer-banned-done = 🚫 Заблокирован; пользователь панели отключён.
admin-customer-unbanned-done = ✅ Разблокирован; пользователь панели включён.
admin-customer-extended = ✅ Добавлено дней: { $days }; доступ до { $expires }.
admin-customer-expiry-set = ✅ Доступ до { $expires }.
admin-customer-devices-set = ✅ Лимит устройств: { $limit }.
admin-customer-traffic-reset = ✅ Трафик сброшен.
admin-customer-link-revoked = ✅ Выдана новая ссылка подписки; старая больше не работает.
admin-customer-trial-reset = ✅ Пробный период можно взять снова.
admin-customer-message-sent = ✅ Сообщение доставлено.
admin-customer-message-failed = ⚠️ Не доставлено: клиент заблокировал бота или недоступен.
admin-customer-deleted = 🗑 Клиент удалён.
admin-customer-refund-title = ↩️ Платежи, которые можно вернуть:
admin-customer-refund-none = У клиента нет платежей, которые можно вернуть из бота.
admin-customer-not-found = Такого клиента нет (возможно, удалён).
admin-customer-no-panel-user = У клиента ещё нет пользователя в панели.
admin-customer-panel-refused = Панель отклонила изменение.
admin-customer-bad-days = Отправьте число дней от 1 до { $max }.
admin-customer-bad-date = Отправьте дату в будущем: <code>2027-01-31</code> или <code>31.01.2027</code>.
admin-customer-bad-devices = Отправьте лимит устройств от 0 до { $max }.
admin-customer-not-a-number = Отправьте целое число.
admin-customer-delete-mismatch = Id не совпадает; ничего не удалено.
