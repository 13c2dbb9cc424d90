## Messages about changes the panel made to a customer's VPN access (each sent once per event)
panel-event-user-limited =
    📊 <b>Your traffic for this period is used up</b>, so the VPN is paused.

    Add traffic or choose a bigger plan to go on right away.
panel-event-user-traffic_reset =
    🔄 <b>Your traffic counter was reset.</b> The full allowance is available again.
panel-event-user-first_connected =
    ✅ <b>Your VPN is connected.</b> Enjoy! Your devices and subscription are under "My subscription".
panel-event-user-not_connected =
    👋 You have not connected to the VPN yet. Open your personal link in the VPN app to start:
    { $link }
panel-event-user-disabled =
    ⏸ <b>Your VPN access has been paused</b> by the shop. Write to support if you did not expect this.
panel-event-user-enabled =
    ▶️ <b>Your VPN access is on again.</b>
panel-event-user-deleted =
    ⛔ <b>Your VPN subscription was removed.</b> Choose a plan to get access again.
panel-event-user-revoked =
    🔑 <b>Your subscription link has changed</b>; the old one no longer works. Add the new link in your VPN app:
    { $link }
panel-event-btn-traffic = 📊 Add traffic
panel-event-btn-buy = 🚀 Choose a plan
panel-event-btn-subscription = 🔐 My subscription

## The panel's status of a customer, as admins read it
panel-status-active = ✅ active
panel-status-disabled = ⏸ disabled in the panel
panel-status-limited = 📊 traffic used up
panel-status-expired = ⌛ expired
panel-status-deleted = 🗑 deleted in the panel
admin-customer-panel-status = Panel status (last known): { $status }

## Configuration problems the panel revealed
alert-panel-unknown-squads =
    🚨 <b>The panel has no internal squad</b> <code>{ $squads }</code>, which the shop's settings or catalogue name (PANEL_SQUADS, TRIAL_SQUADS or a tariff's squads). The panel refused { $what } with a configuration error (500 A018/A039).
    Paid orders stay paid and are fulfilled once the squad exists or the setting is corrected; run <code>remnastore check</code> to verify.
error-panel-account-conflict = ⚠️ Your VPN account could not be created automatically: the panel already has other accounts under your name. Nothing was charged. Please write to support and we will set it up by hand.

## Device limits as the panel enforces them
devices-no-limit = no limit
