## Referral programme
btn-referrals = 🎁 Invite friends
cmd-referrals = Invite friends
referrals-title = 🎁 <b>Invite friends</b>
referrals-link =
    Your personal link:
    { $link }
referrals-stats =
    Invited: <b>{ $invited }</b>
    Paid: <b>{ $paying }</b>
referrals-earned = Earned to balance: <b>{ $amount }</b>
referrals-terms-header = <b>Rewards</b> ({ $when ->
        [every] for every payment of your friend
       *[first] for your friend's first payment
    }):
referrals-terms-days = • { $period }: you get +{ $inviter } { $inviter ->
        [one] day
       *[other] days
    }, your friend +{ $invitee } { $invitee ->
        [one] day
       *[other] days
    }
referrals-terms-commission = • { $percent }% of the payment to your balance
referrals-terms-none = No rewards are offered at the moment.
referrals-btn-share = 📤 Share
referrals-disabled = The referral programme is not available.
referral-days-inviter =
    🎁 Your friend paid for a subscription: <b>+{ $days } { $days ->
        [one] day
       *[other] days
    }</b> for you! Now valid until { $expires }.
referral-days-invitee =
    🎁 Thank you for joining by invitation: <b>+{ $days } { $days ->
        [one] day
       *[other] days
    }</b> as a gift! Now valid until { $expires }.
referral-commission = 🎁 Your friend paid for a subscription: <b>{ $amount }</b> credited to your balance.
