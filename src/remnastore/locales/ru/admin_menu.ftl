## Админка: меню и доступ к нему
admin-menu-title = 🛠 <b>Панель администратора</b>
    Выберите раздел.
admin-section-st = 📊 Статистика
admin-section-cu = 👥 Клиенты
admin-section-or = 🧾 Заказы
admin-section-bc = 📣 Рассылки
admin-section-pr = 🎟 Промокоды
admin-section-cp = 📈 Рекламные кампании
admin-section-sy = 🔄 Синхронизация с панелью
admin-section-se = ⚙️ Настройки
admin-section-mt = 🚧 Техработы
admin-section-he = 🩺 Состояние
admin-section-bk = 💾 Резервные копии
btn-admin-menu = 🛠 Меню администратора
admin-only = ⛔ Эта кнопка только для администраторов магазина.
cmd-admin = Меню администратора
cmd-orders = Заказы
cmd-promos = Промокоды
cmd-campaigns = Рекламные кампании
cmd-broadcast = Новая рассылка
cmd-sync = Синхронизация с панелью
cmd-settings = Настройки магазина
cmd-maintenance = Режим обслуживания
cmd-health = Состояние магазина
cmd-backups = Резервные копии
