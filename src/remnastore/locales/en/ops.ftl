## Rate limiting
throttle-warning = ✋ You are sending messages too fast. Please slow down a little, or the bot will pause answering you for a while.
throttle-banned = ⏸ Too many messages in a row. The bot will not answer you until { $until } ({ $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }).
throttle-ban-ended = ▶️ The pause is over: the bot answers you again. Press /start to open the menu.
