"""Stories: one event told by one or more outlets.

The typed `Story`, how an article is placed in one (`StoryIndex`), and which stories are new or updated
for a channel since its last digest (`stories_for_channel`). This package sits beside `bot.articles`,
below the store, so the store can persist stories in real columns without importing the briefing core.
"""

from bot.stories.cluster import Placement, StoryIndex, cluster_articles
from bot.stories.features import ArticleFeatures, article_features
from bot.stories.models import ChannelStory, Story, outlet_of
from bot.stories.news import stories_for_channel

__all__ = ["ArticleFeatures", "ChannelStory", "Placement", "Story", "StoryIndex", "article_features",
           "cluster_articles", "outlet_of", "stories_for_channel"]
