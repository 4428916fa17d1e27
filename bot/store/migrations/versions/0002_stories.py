"""Stories in real columns: a `stories` table and `articles.story_id`, replacing `articles.story_of`.

Existing links are kept: every article that linked to a first copy (`story_of`) joins that copy's story;
each story takes its first article's id. Signatures are left empty here (a migration should not import
the clustering code) and are rebuilt from the stories' articles the first time the store places an article.

Revision ID: 0002
Revises: 0001
"""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("event_first", sa.DateTime(), nullable=True),
        sa.Column("event_last", sa.DateTime(), nullable=True),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("signature", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_index("ix_stories_last_seen", ["last_seen"], unique=False)
        batch_op.create_index("ix_stories_updated_at", ["updated_at"], unique=False)
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_id", sa.Integer(), nullable=True))

    bind = op.get_bind()
    articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("story_of", sa.Integer),
                        sa.column("story_id", sa.Integer), sa.column("title", sa.Text),
                        sa.column("added_at", sa.DateTime), sa.column("published", sa.DateTime))
    stories = sa.table("stories", sa.column("id", sa.Integer), sa.column("title", sa.Text),
                       sa.column("first_seen", sa.DateTime), sa.column("last_seen", sa.DateTime),
                       sa.column("event_first", sa.DateTime), sa.column("event_last", sa.DateTime),
                       sa.column("article_count", sa.Integer), sa.column("signature", sa.JSON),
                       sa.column("updated_at", sa.DateTime))
    members: dict[int, list[Any]] = defaultdict(list)
    for row in bind.execute(sa.select(articles.c.id, articles.c.story_of, articles.c.title, articles.c.added_at,
                                      articles.c.published).order_by(articles.c.id)):
        members[row.story_of or row.id].append(row)
    new_rows = []
    for story_id, rows in members.items():
        stored = [r.added_at for r in rows]
        dates = [r.published for r in rows if r.published is not None]
        new_rows.append({"id": story_id, "title": rows[0].title or "", "first_seen": min(stored),
                         "last_seen": max(stored), "event_first": min(dates) if dates else None,
                         "event_last": max(dates) if dates else None, "article_count": len(rows),
                         "signature": {}, "updated_at": max(stored)})
    if new_rows:
        op.bulk_insert(stories, new_rows)  # type: ignore[arg-type]
        bind.execute(sa.text("UPDATE articles SET story_id = COALESCE(story_of, id)"))
        if bind.dialect.name == "postgresql":  # explicit ids: move the id sequence past them
            bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('stories', 'id'), (SELECT MAX(id) FROM stories))"))

    with _keeping_summaries(bind), op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("story_of")
        batch_op.create_foreign_key("fk_articles_story_id", "stories", ["story_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_articles_story_id", ["story_id"], unique=False)


@contextmanager
def _keeping_summaries(bind: Any) -> Iterator[None]:
    """SQLite rebuilds `articles` to drop a column; with foreign keys on, dropping the old table deletes
    the summaries that cascade from it. Keep a copy and put it back (same article ids) afterwards."""
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.execute(sa.text("CREATE TEMP TABLE _summaries_keep AS SELECT * FROM summaries"))
    yield
    bind.execute(sa.text("DELETE FROM summaries"))
    bind.execute(sa.text("INSERT INTO summaries SELECT * FROM _summaries_keep"))
    bind.execute(sa.text("DROP TABLE _summaries_keep"))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_of", sa.Integer(), nullable=True))
    op.get_bind().execute(sa.text(
        "UPDATE articles SET story_of = (SELECT MIN(b.id) FROM articles b WHERE b.story_id = articles.story_id) "
        "WHERE story_id IS NOT NULL AND id <> (SELECT MIN(b.id) FROM articles b WHERE b.story_id = articles.story_id)"))
    with _keeping_summaries(op.get_bind()), op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_story_id")
        batch_op.drop_constraint("fk_articles_story_id", type_="foreignkey")
        batch_op.drop_column("story_id")
        batch_op.create_foreign_key("fk_articles_story_of", "articles", ["story_of"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_index("ix_stories_updated_at")
        batch_op.drop_index("ix_stories_last_seen")
    op.drop_table("stories")
