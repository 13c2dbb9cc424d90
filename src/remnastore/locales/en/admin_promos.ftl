## Admin: promo codes
admin-yes = Yes
admin-no = No
admin-promos-title = 🎟 <b>Promo codes</b> (page { $page })
admin-promos-empty = No promo codes yet.
admin-promo-line = <code>{ $code }</code> · { $value } · used { $used }/{ $limit } · { $state }
admin-promo-on = active
admin-promo-off = switched off
admin-promo-unlimited = no limit
admin-promo-no-end = no end date
admin-promo-all-tariffs = All tariffs
admin-promo-generated = generated
admin-promo-days = { $days ->
    [one] { $days } day
   *[other] { $days } days
}
admin-promo-kind-days = 📅 Bonus days
admin-promo-kind-percent = 🏷 Percent discount
admin-promo-kind-fixed = 💵 Fixed discount
admin-promo-kind-balance = 💰 Balance credit
admin-promo-value-days = +{ $value } d
admin-promo-value-percent = −{ $value }%
admin-promo-status-reserved = reserved
admin-promo-status-consumed = paid
admin-promo-status-applied = applied
admin-promo-status-released = released
admin-promo-card =
    🎟 <b>Promo code <code>{ $code }</code></b> — { $state }

    Kind: { $kind }
    Value: { $value }
    Used: { $used } of { $limit }
    Valid until: { $until }
    First purchase only: { $first }
    Tariffs: { $tariffs }

    Activations: { $consumed } used, { $reserved } reserved, { $released } released
admin-promo-activations-title = 🎟 <b>Activations of <code>{ $code }</code></b> (page { $page })
admin-promo-activations-empty = Nobody has used this code yet.
admin-promo-activation-line = { $date } · customer <code>{ $customer }</code> · { $status } · order { $order }
admin-promo-turned-off = The code is switched off.
admin-promo-turned-on = The code is active again.
admin-promo-created = The code is created.
admin-promo-ask-new-limit = How many activations may <code>{ $code }</code> have in total? Send a number (0: no limit).
admin-promo-ask-new-validity = For how many days from now is <code>{ $code }</code> valid? Send a number (0: no end date).
admin-promo-ask-code = Step 1. Send the new code (3–32 letters, digits, _ or -), or let the shop generate one.
admin-promo-ask-count = Step 1. How many codes? Send a number from 1 to { $high }.
admin-promo-ask-kind = Step 2. What does the code give?
admin-promo-ask-value-days = Step 3. How many bonus days? Send a number.
admin-promo-ask-value-percent = Step 3. How many percent off? Send a number from 1 to 99.
admin-promo-ask-value-fixed = Step 3. How much off? Send an amount, e.g. <code>100</code> ({ $currency }) or <code>50 XTR</code>.
admin-promo-ask-value-balance = Step 3. How much goes to the balance? Send an amount, e.g. <code>100</code> ({ $currency }).
admin-promo-ask-limit = Step 4. How many activations in total? Send a number, or choose no limit.
admin-promo-ask-validity = Step 5. For how many days is it valid? Send a number, or choose no end date.
admin-promo-ask-first = Step 6. For the first purchase only?
admin-promo-ask-tariffs = Step 7. For which tariffs? Choose one, all, or send their codes separated by commas.
admin-promo-confirm-one = code <code>{ $code }</code>
admin-promo-confirm-bulk = { $count } generated codes
admin-promo-confirm =
    Step 8. Create { $what }?

    Kind: { $kind }
    Value: { $value }
    Activations: { $limit }
    Valid: { $validity }
    First purchase only: { $first }
    Tariffs: { $tariffs }
admin-promo-bulk-done = 🎟 { $count } promo codes, one per line, with their links.
admin-promo-bad-value = Send a whole number from 1 to { $high }.
admin-promo-bad-amount = Send an amount such as 100 or 100.50, optionally followed by a currency (RUB, USD, XTR).
admin-promo-bad-kind = Choose the kind with a button.
admin-promo-bad-number = Send a whole number from 1 to { $high } (or 0 where "none" is allowed).
admin-promo-bad-tariffs = Unknown tariff. Tariffs: { $known }
admin-promo-bad-code = A code has 3–32 characters: Latin letters, digits, _ or -.
admin-promo-code-taken = This code already exists (codes do not distinguish upper and lower case).
admin-promo-not-found = This promo code no longer exists.
btn-promo-new = ➕ New code
btn-promo-bulk = 📦 Many codes
btn-promo-generate = 🎲 Generate
btn-promo-no-limit = ∞ No limit
btn-promo-no-end = ∞ No end date
btn-promo-create = ✅ Create
btn-promo-activations = 👥 Activations
btn-promo-limit = 🔢 Limit
btn-promo-validity = 📅 Validity
btn-promo-off = ⛔ Switch off
btn-promo-on = ✅ Switch on

## Admin: campaigns
admin-campaigns-title = 📣 <b>Ad campaigns</b> (page { $page })
admin-campaigns-empty = No campaigns yet.
admin-campaign-card =
    📣 <b>{ $title }</b> (<code>{ $code }</code>), since { $created }
    Link: { $link }

    Started the bot: <b>{ $starts }</b>
    Took the trial: <b>{ $trials }</b>
    Paid: <b>{ $payers }</b>
    Revenue: <b>{ $revenue }</b>
    Cost: { $cost }
admin-campaign-balance = Result: <b>{ $result }</b> ({ $percent }% of the cost returned)
admin-campaign-created = The campaign is created: share its link.
admin-campaign-ask-title = Step 1. The campaign's name (for you only), e.g. "Channel X, March".
admin-campaign-ask-code = Step 2. The code in the link (2–64 Latin letters, digits, _ or -; not starting with ref_ or promo_), or generate one.
admin-campaign-ask-cost = Step 3. What did the campaign cost? Send an amount, e.g. <code>5000</code> ({ $currency }) or <code>40 USD</code>, or choose free.
admin-campaign-bad-code = A campaign code has 2–64 Latin letters, digits, _ or - and does not start with ref_ or promo_.
admin-campaign-bad-title = The name must be 1–128 characters long.
admin-campaign-bad-cost = Send an amount such as 5000 or 5000 RUB.
admin-campaign-code-taken = A campaign with this code already exists.
admin-campaign-not-found = This campaign no longer exists.
btn-campaign-new = ➕ New campaign
btn-campaign-generate = 🎲 Generate
btn-campaign-free = 🆓 Free
