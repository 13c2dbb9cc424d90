## Админ: рассылки
broadcasts-title = 📣 <b>Рассылки</b>
broadcasts-empty = Рассылок ещё не было.
broadcasts-line = #{ $id } · { $status } · { $audience } · { $sent }/{ $total }
btn-broadcast-new = ➕ Новая рассылка
btn-broadcast-skip = ⏭ Без кнопок
btn-broadcast-drop = ✖️ Отменить
btn-broadcast-send = ✅ Отправить
btn-broadcast-pause = ⏸ Пауза
btn-broadcast-resume = ▶️ Продолжить
btn-broadcast-cancel = ⏹ Остановить рассылку
broadcast-ask-message = Пришлите сообщение для рассылки: текст с форматированием, фото, видео или документ. Получатели увидят его копию как есть.
broadcast-ask-buttons =
    Добавьте кнопки-ссылки: по одной в строке, <code>Текст | https://example.com</code>.
    Или нажмите «Без кнопок».
broadcast-bad-buttons = Строка { $line } не похожа на «Текст | https://адрес» (не больше 8 кнопок, текст до 64 символов). Пришлите кнопки ещё раз.
broadcast-ask-audience = Кому отправить рассылку?
broadcast-audience-all = Всем
broadcast-audience-active = С активной подпиской
broadcast-audience-expired = С истёкшей подпиской
broadcast-audience-trial = Только пробный период
broadcast-audience-unpaid = Ни разу не платили
broadcast-audience-lang = Язык: { $language }
broadcast-confirm = ☝️ Так рассылку увидят получатели.
    Аудитория: { $audience } — <b>{ $count }</b> получателей.
    Отправить?
broadcast-cannot-copy = Это сообщение нельзя разослать. Пришлите другое.
broadcast-draft-gone = Этот черновик уже закрыт.
broadcast-dropped = Рассылка отменена.
broadcast-started = 🚀 Рассылка #{ $id } запущена: { $total } получателей. Ход рассылки — ниже.
broadcast-not-found = Такой рассылки нет.
broadcast-status-running = идёт
broadcast-status-paused = на паузе
broadcast-status-cancelled = остановлена
broadcast-status-done = завершена
broadcast-progress =
    📣 <b>Рассылка #{ $id }</b>: { $status }
    Аудитория: { $audience }
    Доставлено: { $sent } · Заблокировали бота: { $blocked } · Ошибки: { $failed }
    Осталось: { $left } из { $total }
broadcast-report =
    ✅ <b>Рассылка #{ $id } завершена</b>
    Доставлено: { $sent }
    Заблокировали бота: { $blocked }
    Ошибки: { $failed }
    Неизвестно (прервано, не повторялось): { $unknown }
    Всего: { $total }
broadcast-report-cancelled =
    ⏹ <b>Рассылка #{ $id } остановлена</b>
    Доставлено: { $sent }
    Заблокировали бота: { $blocked }
    Ошибки: { $failed }
    Неизвестно (прервано, не повторялось): { $unknown }
    Не отправлено: { $left } из { $total }
