## Админ: настройки, изменяемые в боте
admin-settings-on = вкл.
admin-settings-off = выкл.
admin-settings-saved = ✅ Сохранено.
admin-settings-title =
    ⚙️ <b>Настройки</b>
    Изменения применяются на всех экземплярах магазина за несколько секунд, без перезапуска.

    Тарифов в продаже: { $tariffs }
    Пробный период: { $trial }
    Включено способов оплаты: { $methods }
    Ссылок в меню: { $links }
btn-settings-tariffs = 💰 Тарифы и цены
btn-settings-trial = 🎁 Пробный период
btn-settings-methods = 💳 Способы оплаты
btn-settings-links = 🔗 Ссылки в меню
btn-settings-enable = ✅ Вернуть в продажу
btn-settings-disable = ⛔ Снять с продажи
btn-settings-price = ✏️ Цена в { $currency }
btn-settings-trial-days = ✏️ Дни
btn-settings-trial-traffic_gb = ✏️ Трафик
btn-settings-trial-device_limit = ✏️ Устройства
btn-settings-link-edit = ✏️ { $name }
admin-settings-tariffs = 💰 <b>Тарифы</b> (✅ в продаже, ⛔ сняты с продажи)
admin-settings-tariff =
    💰 <b>{ $name }</b>
    В продаже: { $state }

    Периоды (нажмите, чтобы изменить цену):
admin-settings-period =
    💰 <b>{ $tariff }</b>, { $period }
    В продаже: { $state }
    Цены: { $prices }
admin-settings-price-prompt =
    ✏️ Новая цена в <b>{ $currency }</b> для { $tariff }, { $period } (сейчас { $price }).
    Отправьте сумму, например 249 или 249.50.
admin-settings-trial =
    🎁 <b>Пробный период</b>
    Предлагается: { $state }
    Дней: { $days }
    Трафик, ГБ: { $traffic } (0 = без ограничений)
    Устройств: { $devices } (0 = по умолчанию панели)
admin-settings-trial-prompt-days = ✏️ Отправьте длительность пробного периода в днях (1–365).
admin-settings-trial-prompt-traffic_gb = ✏️ Отправьте трафик пробного периода в ГБ (0 = без ограничений).
admin-settings-trial-prompt-device_limit = ✏️ Отправьте лимит устройств пробного периода (0 = по умолчанию панели).
admin-settings-methods = 💳 <b>Способы оплаты</b> в том порядке, в каком их видят клиенты (нажмите на название, чтобы включить или выключить, стрелки — чтобы переместить)
admin-settings-no-methods = В настройках не включён ни один платёжный провайдер.
admin-settings-links = 🔗 <b>Ссылки главного меню</b>
admin-settings-link-line = { $name }: { $url }
admin-settings-link-prompt = ✏️ Отправьте ссылку для кнопки { $name } (https://… или tg://…).
settings-unknown-item = Этого пункта больше нет. Откройте настройки заново.
settings-bad-price = Это не цена: отправьте положительную сумму, например 249 или 249.50 (не больше знаков после запятой, чем у валюты).
settings-bad-number = Отправьте целое число от { $low } до { $high }.
settings-bad-link = Это не ссылка: отправьте адрес, начинающийся с https://, http:// или tg://.
settings-too-long = Слишком длинно: не больше { $limit } символов.
settings-bad-input = Отправьте значение одним коротким текстовым сообщением.
btn-settings-trial-on = ✅ Предлагать пробный период
btn-settings-trial-off = ⛔ Не предлагать пробный период
