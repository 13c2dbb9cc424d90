## Gifts
gift-btn-buy = 🎁 Buy as a gift
gift-choose-method = 🎁 <b>Gift: { $tariff }</b>, { $period }
    Choose how to pay. After the payment you get a link to send to the person you give it to.
gift-ready =
    🎁 <b>Your gift is paid!</b>

    <b>{ $tariff }</b>, { $period }. Send this link to the person you give it to; it can be activated once:
    { $link }
    All your gifts: /gifts
gift-share-text = A VPN subscription for you, as a gift 🎁
gift-btn-share = 📤 Send the gift
gift-accepted = 🎁 <b>Gift accepted!</b> { $tariff }, { $days } { $days ->
        [one] day
       *[other] days
    } are being added to your subscription.
gift-active = 🎁 <b>Your gift is active:</b> { $tariff } until <b>{ $expires }</b>.
gift-buyer-notified = 🎁 Your gift ({ $tariff }) has been activated. Thank you!
gift-unknown = This gift link is not valid. Please check it with the person who sent it.
gift-already-activated = Sorry, this gift has already been activated. A gift link works only once.
gift-unavailable = Gifts are not available right now.
cmd-gifts = Gifts I bought
gift-list-title = 🎁 <b>Gifts you bought</b>
gift-list-empty = You have not bought any gifts yet. Choose a plan in "Buy subscription" and press "Buy as a gift".
gift-list-waiting = • { $tariff }, { $period }: not activated yet, link: { $link }
gift-list-activated = • { $tariff }, { $period }: activated { $when }
