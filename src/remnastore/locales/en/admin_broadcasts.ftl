## Admin: broadcasts
broadcasts-title = 📣 <b>Broadcasts</b>
broadcasts-empty = No broadcasts yet.
broadcasts-line = #{ $id } · { $status } · { $audience } · { $sent }/{ $total }
btn-broadcast-new = ➕ New broadcast
btn-broadcast-skip = ⏭ No buttons
btn-broadcast-drop = ✖️ Discard
btn-broadcast-send = ✅ Send
btn-broadcast-pause = ⏸ Pause
btn-broadcast-resume = ▶️ Resume
btn-broadcast-cancel = ⏹ Cancel broadcast
broadcast-ask-message = Send the message to broadcast: text with formatting, a photo, a video or a document. It is copied to every recipient as it is.
broadcast-ask-buttons =
    Add link buttons: one per line, <code>Text | https://example.com</code>.
    Or press «No buttons».
broadcast-bad-buttons = Line { $line } is not «Text | https://address» (at most 8 buttons, 64 characters of text). Send the buttons again.
broadcast-ask-audience = Who gets the broadcast?
broadcast-audience-all = Everybody
broadcast-audience-active = Active subscription
broadcast-audience-expired = Expired subscription
broadcast-audience-trial = Trial only
broadcast-audience-unpaid = Never paid
broadcast-audience-lang = Language: { $language }
broadcast-confirm = ☝️ This is how recipients see it.
    Audience: { $audience } — <b>{ $count }</b> recipients.
    Send it?
broadcast-cannot-copy = This message cannot be broadcast. Send another one.
broadcast-draft-gone = This draft is no longer open.
broadcast-dropped = Broadcast discarded.
broadcast-started = 🚀 Broadcast #{ $id } started: { $total } recipients. Its progress follows.
broadcast-not-found = No such broadcast.
broadcast-status-running = sending
broadcast-status-paused = paused
broadcast-status-cancelled = cancelled
broadcast-status-done = finished
broadcast-progress =
    📣 <b>Broadcast #{ $id }</b>: { $status }
    Audience: { $audience }
    Delivered: { $sent } · Blocked the bot: { $blocked } · Failed: { $failed }
    Left: { $left } of { $total }
broadcast-report =
    ✅ <b>Broadcast #{ $id } finished</b>
    Delivered: { $sent }
    Blocked the bot: { $blocked }
    Failed: { $failed }
    Outcome unknown (interrupted, not repeated): { $unknown }
    Total: { $total }
broadcast-report-cancelled =
    ⏹ <b>Broadcast #{ $id } cancelled</b>
    Delivered: { $sent }
    Blocked the bot: { $blocked }
    Failed: { $failed }
    Outcome unknown (interrupted, not repeated): { $unknown }
    Not sent: { $left } of { $total }
