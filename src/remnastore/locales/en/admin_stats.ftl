## Admin: statistics
admin-stats =
    📊 <b>Statistics</b> (as of { $at })

    👥 <b>Customers</b>: { $total }
    New: { $day } in 24 h · { $week } in 7 days · { $month } in 30 days
    Active paid subscriptions: { $paid }
    Active trials: { $trials } (trials taken: { $trials_taken })
    Trial → paid: { $converted } of { $trials_taken } ({ $conversion } %)
    Banned: { $banned }
admin-stats-revenue-title = 💰 <b>Revenue</b> (today · 7 days · 30 days · all time)
admin-stats-revenue-line = { $provider }: { $today } · { $week } · { $month } · { $total }
admin-stats-revenue-none = No payments yet.
admin-stats-tariffs-title = 🏆 <b>Top tariffs</b> (paid orders)
admin-stats-tariff-line = { $tariff }: { $count }
admin-stats-tariffs-none = No tariff has been sold yet.
admin-stats-panel =
    🖥 <b>Panel</b>
    Users: { $users } · online now: { $online }
    Nodes online: { $nodes }
    Traffic served (lifetime): { $traffic }
admin-stats-panel-down = 🖥 <b>Panel</b>: not answering right now.
admin-stats-refreshed = Refreshed.
