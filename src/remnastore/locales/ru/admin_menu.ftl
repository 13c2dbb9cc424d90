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
