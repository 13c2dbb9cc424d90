## Admin: the menu and access to it
admin-menu-title = 🛠 <b>Admin panel</b>
    Choose a section.
admin-section-st = 📊 Statistics
admin-section-cu = 👥 Customers
admin-section-or = 🧾 Orders
admin-section-bc = 📣 Broadcasts
admin-section-pr = 🎟 Promo codes
admin-section-cp = 📈 Ad campaigns
admin-section-sy = 🔄 Panel sync
admin-section-se = ⚙️ Settings
admin-section-mt = 🚧 Maintenance
admin-section-he = 🩺 Health
admin-section-bk = 💾 Backups
btn-admin-menu = 🛠 Admin menu
admin-only = ⛔ This button is for the shop's administrators only.
cmd-admin = Admin menu
cmd-orders = Orders
cmd-promos = Promo codes
cmd-campaigns = Ad campaigns
cmd-broadcast = New broadcast
cmd-sync = Panel sync
cmd-settings = Shop settings
cmd-maintenance = Maintenance mode
cmd-health = Health of the shop
cmd-backups = Backups
