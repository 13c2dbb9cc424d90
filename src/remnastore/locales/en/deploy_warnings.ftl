# Warnings about the shop's own setup, shown to admins on the /health screen.
admin-health-example-catalogue = ⚠️ You are selling the example prices: the shop uses the shipped example catalogue. Copy it, put your tariffs and prices in it and set CATALOGUE_FILE (see docs/operations.md).
