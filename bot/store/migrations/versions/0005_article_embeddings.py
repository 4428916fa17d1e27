"""Article embeddings: each stored article keeps its sentence embedding for story placement.

`articles.embedding` holds the headline-and-lead vector of all-MiniLM-L6-v2 (float16, 768 bytes; see
bot.stories.embedding), computed once when the article is stored, so rebuilding a story's signature
never runs the model again. Existing articles have none (NULL): their stories are placed on the lexical
features, as before, and new articles joining them add their vectors.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("embedding", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("embedding")
