## Реферальная программа
btn-referrals = 🎁 Пригласить друзей
cmd-referrals = Пригласить друзей
referrals-title = 🎁 <b>Пригласите друзей</b>
referrals-link =
    Ваша личная ссылка:
    { $link }
referrals-stats =
    Приглашено: <b>{ $invited }</b>
    Оплатили: <b>{ $paying }</b>
referrals-earned = Начислено на баланс: <b>{ $amount }</b>
referrals-terms-header = <b>Награды</b> ({ $when ->
        [every] за каждую оплату друга
       *[first] за первую оплату друга
    }):
referrals-terms-days = • { $period }: вам +{ $inviter } { $inviter ->
        [one] день
        [few] дня
       *[many] дней
    }, другу +{ $invitee } { $invitee ->
        [one] день
        [few] дня
       *[many] дней
    }
referrals-terms-commission = • { $percent }% от оплаты на ваш баланс
referrals-terms-none = Сейчас награды не начисляются.
referrals-btn-share = 📤 Поделиться
referrals-disabled = Реферальная программа недоступна.
referral-days-inviter =
    🎁 Ваш друг оплатил подписку: вам <b>+{ $days } { $days ->
        [one] день
        [few] дня
       *[many] дней
    }</b>! Подписка действует до { $expires }.
referral-days-invitee =
    🎁 Спасибо, что пришли по приглашению: <b>+{ $days } { $days ->
        [one] день
        [few] дня
       *[many] дней
    }</b> в подарок! Подписка действует до { $expires }.
referral-commission = 🎁 Ваш друг оплатил подписку: на ваш баланс начислено <b>{ $amount }</b>.
