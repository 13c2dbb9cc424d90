## Required channel
channel-required =
    📢 <b>Join our channel first</b>

    The shop is open to members of our channel. Join it, then press <b>I have joined</b>.
channel-btn-join = 📢 Join the channel
channel-btn-check = ✅ I have joined
channel-not-joined = You are not in our channel yet. Join it, then press "I have joined".
channel-thanks = 🎉 Thank you for joining! The shop is open to you now: press the button below.

## Inline sharing
inline-invite-title = 🎁 Invite a friend
inline-invite-description = Send your personal invitation link
inline-invite-text =
    👋 I use this VPN and recommend it: fast and private, set up in a couple of taps.

    Join through my invitation: { $link }
inline-invite-button = 🚀 Open the bot
