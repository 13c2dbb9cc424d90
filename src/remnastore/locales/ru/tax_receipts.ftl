# Чеки самозанятого («Мой налог»)
tax-receipt-issued = 🧾 Чек на оплату { $amount } зарегистрирован в налоговой.
tax-receipt-open = 🧾 Открыть чек

admin-section-rc = 🧾 Чеки НПД
admin-receipts-off = 🧾 <b>Чеки самозанятого</b> выключены (NALOGO_ENABLED).
admin-receipts-title = 🧾 <b>Чеки, требующие внимания</b>: { $count }
admin-receipts-none = Все чеки зарегистрированы. 👍
admin-receipts-line = Заказ <code>{ $order }</code>, { $amount }: <b>{ $status }</b>, попыток: { $attempts }
    { $reason }
admin-receipt-status-failed = отклонён налоговой
admin-receipt-status-skipped = пропущен
admin-receipt-status-pending = ждёт налоговую
admin-receipt-status-unknown = проверяется в налоговой
btn-receipt-retry = 🔁 Повторить { $order }
admin-receipts-retried = Чек снова поставлен в очередь.
admin-receipts-not-failed = Этот чек не в ошибке (уже повторён или зарегистрирован).

log-tax-receipt-failed = 🧾 <b>Налоговая отклонила чек</b> по заказу <code>{ $order }</code>: { $reason }. Повторить: /admin → Чеки НПД.
log-tax-receipt-credentials = 🧾 <b>Налоговая не принимает вход</b>: проверьте NALOGO_INN, NALOGO_PASSWORD или NALOGO_REFRESH_TOKEN. Чеки пока ждут.
log-tax-receipts-daily = 🧾 <b>Чеки НПД за сутки</b>: зарегистрировано { $registered }, аннулировано { $cancelled }, пропущено { $skipped }. Ждут сейчас: { $waiting }, с ошибкой: { $failed }.
