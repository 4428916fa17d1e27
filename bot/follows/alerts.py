"""The direct message a follower gets: who said what, the three things, the link — for every story
found since their last alert, in one message.

The alert is an ordinary `Digest` (one `StoryBrief` per story: its outlets and every link), so each
platform's renderer — and its limits and mention-neutralising — applies unchanged. Why the story is
there ("Angela Merkel said: “…”", "topic: budget") leads the story's note; an update to a story already
alerted says so in its title, and its points are told from the articles that are new to the follower.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from bot.articles.models import Article
from bot.briefing.models import Digest, StoryBrief
from bot.follows.matching import Reason, story_key
from bot.follows.store import FIGURE, Alert
from bot.stories.models import ChannelStory, Story
from bot.text import truncate

log = logging.getLogger(__name__)

HEADING = "New on what you follow"
HEADING_NAMES_CHARS = 120
UPDATE_PREFIX = "Update: "


def why_lines(reasons: Sequence[Reason]) -> list[str]:
    """One line per follow that matched: the quote for a figure, the topic otherwise; no repeats."""
    lines: dict[str, None] = {}
    for r in reasons:
        if r.kind == FIGURE:
            line = f"{r.name} said: “{r.quote}”" if r.quote else f"{r.name} is quoted"
        else:
            line = f"Topic you follow: {r.name}"
        lines.setdefault(line, None)
    return list(lines)


def compose_alert(alerts: Sequence[Alert], articles: Mapping[int, Article], stories: Sequence[Story],
                  brief: Callable[[ChannelStory], StoryBrief], now: datetime) -> Digest | None:
    """One message for a batch of alerts (one per story); None when none of their articles is left.
    `stories` are the stored stories of the alerts' articles (every outlet's link comes from there)."""
    by_key = {f"story:{st.id}": st for st in stories}
    briefs: list[StoryBrief] = []
    names: dict[str, None] = {}
    for alert in alerts:
        group = [articles[i] for i in alert.article_ids if i in articles]
        if not group:
            log.info("alert %d: its articles are gone; nothing to say", alert.id)
            continue
        stored = by_key.get(alert.story_key) or by_key.get(story_key(group[0]))
        story_of = stored or Story(-alert.id, group[0].label, tuple(group), now, now)
        reasons = [Reason.from_dict(r) for r in alert.reasons]
        for r in reasons:
            names.setdefault(r.name, None)
        # An update tells what is new to this follower: the articles of this alert, not the whole story.
        story = brief(ChannelStory(story_of, tuple(group), update=alert.generation > 0))
        note = "\n".join([*why_lines(reasons), *([story.note] if story.note else [])])
        title = f"{UPDATE_PREFIX}{story.title}" if alert.generation > 0 else story.title
        briefs.append(replace(story, title=title, note=note or None))
    if not briefs:
        return None
    heading = f"{HEADING}: {truncate(', '.join(names), HEADING_NAMES_CHARS)}" if names else HEADING
    return Digest(heading=heading, stories=tuple(briefs), generated_at=now)
