"""Who may see which articles: the one place the tenant visibility rule lives.

A tenant is a Discord server, a Slack workspace or the terminal. Articles are stored once and shared;
a tenant sees an article when
- it came from a feed the tenant uses, or from a global feed (the operator's, from the config file);
- a user of the tenant ingested it (`/brief <url>`), or the operator granted it to everyone; or
- nothing records where it came from (stored by the operator's CLI, or before sources existed).
Every query that answers a tenant (digests, `/brief`, questions, alerts) takes a `SourceScope` and
applies `visible_to` to its article rows; `None` instead of a scope means the operator's view: all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select

from bot.store.schema import ArticleRow, FeedArticleRow, SourceRow, TenantArticleRow

GLOBAL = "global"
CONSOLE = "console"
PRIVATE = "private"  # articles a user ingested outside any tenant (a Discord DM): no tenant sees them


def tenant_key(platform: str, workspace_id: str | None, user_id: str | None = None) -> str | None:
    """The tenant of a Discord server ("discord:<guild>"), a Slack workspace ("slack:<team>") or the
    terminal ("console"). Outside a server (a Discord DM) there is none, and only global sources are
    seen; given the user, the DM is a tenant of its own ("discord:dm:<user>") that owns no feeds but
    keeps the links that user briefed there."""
    if platform == CONSOLE:
        return CONSOLE
    if workspace_id:
        return f"{platform}:{workspace_id}"
    return f"{platform}:dm:{user_id}" if user_id else None


def platform_of(tenant: str) -> str:
    return tenant.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class SourceScope:
    """What one tenant may see. `tenant=None` sees only global sources."""

    tenant: str | None

    @classmethod
    def of(cls, platform: str, workspace_id: str | None, user_id: str | None = None) -> SourceScope:
        return cls(tenant_key(platform, workspace_id, user_id))

    @property
    def tenants(self) -> tuple[str, ...]:
        return (GLOBAL, self.tenant) if self.tenant and self.tenant != GLOBAL else (GLOBAL,)


def visible_to(scope: SourceScope) -> ColumnElement[bool]:
    """A WHERE clause on `articles` rows: the article is visible to the scope's tenant."""
    tenants = scope.tenants
    via_feed = exists(select(FeedArticleRow.article_id).join(
        SourceRow, SourceRow.feed_url == FeedArticleRow.feed_url).where(
        FeedArticleRow.article_id == ArticleRow.id, SourceRow.tenant.in_(tenants)))
    granted = exists(select(TenantArticleRow.article_id).where(
        TenantArticleRow.article_id == ArticleRow.id, TenantArticleRow.tenant.in_(tenants)))
    no_origin = and_(
        not_(exists(select(FeedArticleRow.article_id).where(FeedArticleRow.article_id == ArticleRow.id))),
        not_(exists(select(TenantArticleRow.article_id).where(TenantArticleRow.article_id == ArticleRow.id))))
    return or_(via_feed, granted, no_origin)
