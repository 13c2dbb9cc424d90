"""Importers: bring a predecessor shop's customers, subscriptions and history into this shop's database.

``remnastore import machka --from postgresql://...`` reads a machka-pasla/remnawave-tg-shop database
(:mod:`.machka_source`) and writes this shop's own rows (:mod:`.machka`), remembering every imported row
by its key in the source (``import_keys``), so that a second run changes nothing and a later run brings
only what changed. Nothing is sent to customers or to the panel while importing; :mod:`.panel_check`
afterwards reads the panel (never writes to it) to confirm the imported links. See docs/migration.md.
"""
