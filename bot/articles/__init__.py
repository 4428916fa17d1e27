"""Article ingestion: files, feeds and URLs in; clean, split, de-duplicated stories out."""

from bot.articles.models import Article, content_hash

__all__ = ["Article", "content_hash"]
