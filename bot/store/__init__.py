"""Storage: SQLAlchemy 2 on SQLite (default) or PostgreSQL (by URL), migrated with Alembic."""

from bot.store.scope import SourceScope
from bot.store.store import AddOutcome, ArticleOrigin, Store, Subscription

__all__ = ["AddOutcome", "ArticleOrigin", "SourceScope", "Store", "Subscription"]
