"""Sources per tenant: feeds gain health columns; sources, feed_articles and tenant_articles.

Existing feeds (from the config file) become global sources. Articles already stored have no recorded
origin, which `bot.store.scope` treats as global, so existing subscriptions keep receiving them.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_success_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("paused_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_feeds_next_poll_at", ["next_poll_at"], unique=False)
    op.create_table(
        "sources",
        sa.Column("tenant", sa.String(length=160), nullable=False),
        sa.Column("feed_url", sa.String(length=2048), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=True),
        sa.Column("channel_id", sa.String(length=128), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("reported_failing_at", sa.DateTime(), nullable=True),
        sa.Column("reported_paused_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["feed_url"], ["feeds.url"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant", "feed_url"),
    )
    op.create_index("ix_sources_feed_url", "sources", ["feed_url"], unique=False)
    op.create_table(
        "feed_articles",
        sa.Column("feed_url", sa.String(length=2048), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["feed_url"], ["feeds.url"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("feed_url", "article_id"),
    )
    op.create_index("ix_feed_articles_article_id", "feed_articles", ["article_id"], unique=False)
    op.create_table(
        "tenant_articles",
        sa.Column("tenant", sa.String(length=160), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant", "article_id"),
    )
    op.create_index("ix_tenant_articles_article_id", "tenant_articles", ["article_id"], unique=False)
    # Config-file feeds become global sources (the only feeds there were).
    op.execute("INSERT INTO sources (tenant, feed_url, name, origin, added_at) "
               "SELECT 'global', url, name, 'config', CURRENT_TIMESTAMP FROM feeds")


def downgrade() -> None:
    op.drop_index("ix_tenant_articles_article_id", table_name="tenant_articles")
    op.drop_table("tenant_articles")
    op.drop_index("ix_feed_articles_article_id", table_name="feed_articles")
    op.drop_table("feed_articles")
    op.drop_index("ix_sources_feed_url", table_name="sources")
    op.drop_table("sources")
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_index("ix_feeds_next_poll_at")
        batch_op.drop_column("paused_at")
        batch_op.drop_column("failing_since")
        batch_op.drop_column("last_success_at")
