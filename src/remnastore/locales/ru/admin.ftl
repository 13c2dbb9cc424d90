## Admin: orders
admin-orders-title = 🧾 <b>Заказы</b>: { $status }, стр. { $page }
admin-orders-empty = Заказов нет.
admin-order-line = <code>{ $order }</code> · { $date } · { $amount } · { $provider } · { $status } · { $customer }
admin-order-card =
    🧾 <b>Заказ</b> <code>{ $order }</code>
    Статус: { $status } ({ $kind })
    Сумма: { $amount } через { $provider }
    Платёж у провайдера: <code>{ $payment }</code>
    Клиент: <code>{ $customer }</code>
    Товар: { $item }
    Создан: { $created }
    Оплачен: { $paid }
    Выдан: { $fulfilled }
    Последняя ошибка: { $error }
admin-orders-csv = Выгрузка заказов (CSV, UTF-8)
admin-refund-confirm = Вернуть <b>{ $amount }</b> клиенту и забрать оплаченный срок?
admin-refund-done = ✅ Возврат выполнен.
admin-refund-failed = Провайдер отклонил возврат (уже возвращено или на счёте магазина у провайдера не хватает денег).
admin-order-not-found = Такого заказа нет.
btn-export-csv = 📥 Выгрузить CSV
btn-refund = ↩️ Вернуть деньги
btn-refund-confirm = ✅ Да, вернуть
btn-cancel = ✖️ Отмена
order-status-all = все
order-status-pending = ожидает оплаты
order-status-paid = оплачен
order-status-fulfilled = выдан
order-status-expired = истёк
order-status-failed = не прошёл
order-status-refunded = возвращён
