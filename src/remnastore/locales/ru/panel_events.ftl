## Сообщения об изменениях доступа к VPN, сделанных в панели (каждое — один раз на событие)
panel-event-user-limited =
    📊 <b>Трафик на этот период закончился</b>, VPN приостановлен.

    Докупите трафик или выберите тариф побольше, чтобы продолжить сразу.
panel-event-user-traffic_reset =
    🔄 <b>Счётчик трафика сброшен.</b> Весь объём снова доступен.
panel-event-user-first_connected =
    ✅ <b>VPN подключён.</b> Приятного пользования! Устройства и подписка — в разделе «Моя подписка».
panel-event-user-not_connected =
    👋 Вы ещё не подключились к VPN. Откройте свою ссылку в приложении VPN, чтобы начать:
    { $link }
panel-event-user-disabled =
    ⏸ <b>Доступ к VPN приостановлен</b> магазином. Если вы этого не ждали, напишите в поддержку.
panel-event-user-enabled =
    ▶️ <b>Доступ к VPN снова включён.</b>
panel-event-user-deleted =
    ⛔ <b>Ваша подписка на VPN удалена.</b> Выберите тариф, чтобы снова получить доступ.
panel-event-user-revoked =
    🔑 <b>Ссылка подписки изменилась</b>, старая больше не работает. Добавьте новую ссылку в приложение VPN:
    { $link }
panel-event-btn-traffic = 📊 Докупить трафик
panel-event-btn-buy = 🚀 Выбрать тариф
panel-event-btn-subscription = 🔐 Моя подписка

## Статус клиента в панели, как его видят администраторы
panel-status-active = ✅ активен
panel-status-disabled = ⏸ отключён в панели
panel-status-limited = 📊 трафик исчерпан
panel-status-expired = ⌛ истёк
panel-status-deleted = 🗑 удалён в панели
admin-customer-panel-status = Статус в панели (последний известный): { $status }
