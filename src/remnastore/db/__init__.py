"""Persistence: models, the database connection, migrations and repositories."""

from remnastore.db.session import Database, normalize_url

__all__ = ["Database", "normalize_url"]
