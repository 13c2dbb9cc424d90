## Админка: статистика
admin-stats =
    📊 <b>Статистика</b> (на { $at })

    👥 <b>Клиенты</b>: { $total }
    Новые: { $day } за 24 ч · { $week } за 7 дней · { $month } за 30 дней
    Активные платные подписки: { $paid }
    Активные пробные: { $trials } (всего взяли пробный: { $trials_taken })
    Пробный → оплата: { $converted } из { $trials_taken } ({ $conversion } %)
    Заблокированы: { $banned }
admin-stats-revenue-title = 💰 <b>Выручка</b> (сегодня · 7 дней · 30 дней · всё время)
admin-stats-revenue-line = { $provider }: { $today } · { $week } · { $month } · { $total }
admin-stats-revenue-none = Оплат пока нет.
admin-stats-tariffs-title = 🏆 <b>Популярные тарифы</b> (оплаченные заказы)
admin-stats-tariff-line = { $tariff }: { $count }
admin-stats-tariffs-none = Тарифы пока не продавались.
admin-stats-panel =
    🖥 <b>Панель</b>
    Пользователей: { $users } · онлайн сейчас: { $online }
    Узлов онлайн: { $nodes }
    Трафик за всё время: { $traffic }
admin-stats-panel-down = 🖥 <b>Панель</b>: сейчас не отвечает.
admin-stats-refreshed = Обновлено.
