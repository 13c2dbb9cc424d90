## Promo codes (customer side)
cmd-promo = Enter a promo code
btn-promo = 🎟 Promo code
promo-ask =
    🎟 <b>Promo code</b>

    Send the promo code as a message.
promo-ask-again = Check the code and send it again, or go back.
promo-disabled = Promo codes are not available in this shop.
promo-not-found = There is no such promo code.
promo-inactive = This promo code has been switched off.
promo-not-started = This promo code is not valid yet.
promo-expired = This promo code has expired.
promo-already-used = You have already used this promo code.
promo-used-up = This promo code has been used up.
promo-first-purchase-only = This promo code is for the first purchase only.
promo-not-for-tariff = This promo code is not valid for your tariff.
promo-balance-off = This promo code cannot be used in this shop right now.
promo-needs-subscription = Take the free trial or buy a subscription first, then enter the code again.
promo-discount-saved =
    ✅ Promo code <b>{ $code }</b> accepted: <b>{ $discount }</b> off your next purchase.

    The discount is shown when you choose a plan and is used when you pay.
promo-discount-tariffs = Valid for tariffs: { $tariffs }
promo-credit-applied = ✅ Promo code <b>{ $code }</b> applied: <b>{ $amount }</b> added to your balance.
promo-days-applied =
    ✅ Promo code <b>{ $code }</b> applied: <b>+{ $days ->
        [one] { $days } day
       *[other] { $days } days
    }</b>.
    Your subscription is active until <b>{ $expires }</b>.
promo-price = <s>{ $old }</s> <b>{ $new }</b>
promo-price-button = { $old } → { $new }
promo-checkout-note = 🎟 Promo code <b>{ $code }</b>: the discounted prices are shown on the buttons.
promo-checkout-price = 🎟 Promo code <b>{ $code }</b>: { $price }
promo-invoice-discount = 🎟 Promo code <b>{ $code }</b> applied: { $price }
promo-refused-full-price = ⚠️ Your promo code could not be applied ({ $reason }), so this is the full price.
promo-link-refused = 🎟 The promo code from the link could not be applied: { $reason }
