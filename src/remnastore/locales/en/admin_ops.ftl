## Maintenance mode
maintenance-text = 🛠 The shop is under maintenance right now. Please try again a little later.
maintenance-custom = 🛠 { $message }
admin-maintenance =
    🛠 <b>Maintenance mode</b>: { $state }
    While it is on, customers get the message below for anything they send; admins keep working, and payments are still received and credited.

    Message: { $message }
admin-maintenance-on = 🔴 ON
admin-maintenance-off = 🟢 off
admin-maintenance-default-message = (the standard text)
admin-maintenance-prompt = ✏️ Send the message customers should see during maintenance (up to { $limit } characters).
btn-maintenance-on = 🔴 Turn maintenance on
btn-maintenance-off = 🟢 Turn maintenance off
btn-maintenance-message = ✏️ Message
btn-maintenance-clear = 🗑 Standard message

## Health
admin-health-title = 🩺 <b>Health</b>: everything answers
admin-health-title-problems = 🩺 <b>Health</b>: ⚠️ some components are down
admin-health-up = 🟢 { $name }: { $detail }
admin-health-down = 🔴 { $name }: DOWN ({ $detail })
admin-health-queues = Paid orders waiting for fulfilment: { $fulfilment }; unpaid orders: { $payment }
admin-health-broadcasts = Broadcasts running: { $count }
admin-health-version = Version { $version }, up { $uptime }
admin-health-uptime = { $days }d { $hours }h { $minutes }m

## Backups
admin-backups-title = 💾 <b>Backups</b>: { $count } in the backup folder
admin-backups-empty = No backups yet.
admin-backup-line = <code>{ $name }</code> · { $date } · { $size }
btn-backup-create = ➕ Make a backup now
btn-backup-send = 📤 { $date } · { $size }
admin-backup-started = Making a backup…
admin-backup-created = ✅ Backup <code>{ $name }</code> made ({ $size }).
admin-backup-caption = 💾 Backup { $name }
backup-busy = A backup is being made already; wait for it to finish.
backup-failed = The backup failed ({ $reason }); see the log.
backup-not-found = There is no such backup any more.
backup-too-large = This backup is larger than 50 MB, which Telegram does not allow; copy it from the server.

## Log chat
log-new-customer = 👤 <b>New customer</b> { $name } ({ $username }), id <code>{ $customer }</code>
log-trial = 🎁 <b>Trial</b> for { $days } days: <code>{ $customer }</code>
log-promo = 🏷 <b>Promo code</b> { $code } used by <code>{ $customer }</code>: { $effect }
log-handler-error = 🚨 <b>Error</b> while handling update { $update }: { $error } (details in the log)
