## Режим обслуживания
maintenance-text = 🛠 Магазин сейчас на техническом обслуживании. Пожалуйста, попробуйте немного позже.
maintenance-custom = 🛠 { $message }
admin-maintenance =
    🛠 <b>Режим обслуживания</b>: { $state }
    Пока он включён, клиенты на любое действие получают сообщение ниже; админы продолжают работать, платежи по-прежнему принимаются и зачисляются.

    Сообщение: { $message }
admin-maintenance-on = 🔴 ВКЛЮЧЁН
admin-maintenance-off = 🟢 выключен
admin-maintenance-default-message = (стандартный текст)
admin-maintenance-prompt = ✏️ Отправьте сообщение, которое клиенты увидят во время обслуживания (до { $limit } символов).
btn-maintenance-on = 🔴 Включить обслуживание
btn-maintenance-off = 🟢 Выключить обслуживание
btn-maintenance-message = ✏️ Сообщение
btn-maintenance-clear = 🗑 Стандартное сообщение

## Состояние
admin-health-title = 🩺 <b>Состояние</b>: всё отвечает
admin-health-title-problems = 🩺 <b>Состояние</b>: ⚠️ часть компонентов недоступна
admin-health-up = 🟢 { $name }: { $detail }
admin-health-down = 🔴 { $name }: НЕДОСТУПЕН ({ $detail })
admin-health-queues = Оплаченных заказов ждут выдачи: { $fulfilment }; неоплаченных заказов: { $payment }
admin-health-broadcasts = Идёт рассылок: { $count }
admin-health-version = Версия { $version }, работает { $uptime }
admin-health-uptime = { $days } д { $hours } ч { $minutes } мин

## Резервные копии
admin-backups-title = 💾 <b>Резервные копии</b>: { $count } в папке копий
admin-backups-empty = Копий пока нет.
admin-backup-line = <code>{ $name }</code> · { $date } · { $size }
btn-backup-create = ➕ Сделать копию сейчас
btn-backup-send = 📤 { $date } · { $size }
admin-backup-started = Делаю резервную копию…
admin-backup-created = ✅ Копия <code>{ $name }</code> готова ({ $size }).
admin-backup-caption = 💾 Резервная копия { $name }
backup-busy = Копия уже создаётся; дождитесь окончания.
backup-failed = Не удалось сделать копию ({ $reason }); подробности в журнале.
backup-not-found = Такой копии больше нет.
backup-too-large = Копия больше 50 МБ, Telegram не позволяет отправить её; заберите её с сервера.

## Журнал магазина
log-new-customer = 👤 <b>Новый клиент</b> { $name } ({ $username }), id <code>{ $customer }</code>
log-trial = 🎁 <b>Пробный период</b> на { $days } дн.: <code>{ $customer }</code>
log-promo = 🏷 <b>Промокод</b> { $code } применил <code>{ $customer }</code>: { $effect }
log-handler-error = 🚨 <b>Ошибка</b> при обработке обновления { $update }: { $error } (подробности в журнале)
