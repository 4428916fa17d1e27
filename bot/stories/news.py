"""What is new for a channel: a story comes back only with articles the channel has not been shown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.stories.models import ChannelStory, Story


def stories_for_channel(stories: Sequence[Story], shown: Iterable[int], *,
                        fresh: Iterable[int] | None = None) -> list[ChannelStory]:
    """The stories a channel's next digest should carry, in the given order.

    `shown` are the ids of articles earlier digests of this channel already posted. A story none of whose
    articles was shown is new; one with shown and unshown articles is an update that tells only the
    unshown ones; one with nothing unshown is left out. `fresh`, when given, restricts "unshown" to those
    article ids (the ones stored since the last digest), so an old article that was never posted does not
    make a story come back on its own.
    """
    seen = set(shown)
    allowed = set(fresh) if fresh is not None else None
    out = []
    for story in stories:
        new = tuple(a for a in story.articles if a.id not in seen and (allowed is None or a.id in allowed))
        if not new:
            continue
        update = any(a.id in seen for a in story.articles)
        out.append(ChannelStory(story, new, update))
    return out
