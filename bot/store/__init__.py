"""Storage: SQLAlchemy 2 on SQLite (default) or PostgreSQL (by URL), migrated with Alembic."""

from bot.store.store import AddOutcome, Store, Subscription

__all__ = ["AddOutcome", "Store", "Subscription"]
