## Admin: panel sync
sync-title = 🔄 <b>Panel sync</b>
    Imports the panel's users that have a Telegram id: creates missing customers, links them and takes the expiry from the panel.
sync-never = The panel has not been synced yet.
sync-running = A sync is running right now.
sync-last = Last sync: { $when }
sync-report =
    Panel users: { $users } (without a Telegram id, skipped: { $skipped })
    New customers: { $created }
    Links set: { $linked }
    Subscriptions created or updated: { $updated }
    Already in agreement: { $unchanged }
btn-sync-run = 🔄 Sync now
sync-started = 🔄 Sync started…
sync-progress-fetch = 🔄 Reading the panel: { $done } of { $total } users…
sync-progress-apply = 🔄 Saving: { $done } of { $total } customers…
sync-done = ✅ <b>Sync finished</b>
sync-failed = ⚠️ The sync failed (the panel or the database did not answer). Nothing was lost; try again later.
