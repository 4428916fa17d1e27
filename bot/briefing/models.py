"""Plain results of the briefing core. Renderers (text, Discord, Slack) turn these into messages;
nothing here knows about any platform or any model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from summarizers.types import Point, StoryThreeThings


@dataclass(frozen=True, slots=True)
class Link:
    """Where a story or a quote can be read: one outlet's copy of it."""

    title: str
    url: str | None = None
    source: str | None = None
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoryBrief:
    """One story: its three things to know and every outlet's link to it.

    `outlets` are the distinct outlets behind the story; `update` marks a story an earlier digest of the
    channel already carried, whose points then tell only what is new since (see `note`).

    When the articles told come from several outlets, `outlet_brief` is the brief written from all of
    them: each point's citing outlets, and where outlets disagree, who says what (its `Citation.article`
    indexes its own `links`). `points` then repeats its points, each with its first citation's sentences
    as `sources`, so every reader of `points` keeps working. None when one outlet tells the story."""

    title: str
    points: tuple[Point, ...]
    links: tuple[Link, ...]
    published: datetime | None = None
    note: str | None = None
    article_ids: tuple[int, ...] = ()
    outlets: tuple[str, ...] = ()
    story_id: int | None = None
    update: bool = False
    outlet_brief: StoryThreeThings | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    """A briefing of several stories (daily digest, `/brief`, `/brief topic`, `/brief url`)."""

    heading: str
    stories: tuple[StoryBrief, ...]
    generated_at: datetime
    empty_message: str | None = None
    notices: tuple[str, ...] = ()

    @property
    def private(self) -> bool:
        """Briefings are for the whole channel (see `Notice.private`)."""
        return False


@dataclass(frozen=True, slots=True)
class QuoteItem:
    """An attributed quote with the article it came from."""

    speaker: str
    quote: str
    partial: bool
    link: Link


@dataclass(frozen=True, slots=True)
class MentionItem:
    """A sentence about a figure with the article it came from."""

    sentence: str
    link: Link


@dataclass(frozen=True, slots=True)
class FigureAnswer:
    """The answer to "what did X say?", "who is X?" or "what's the latest on X?"."""

    question: str
    figure: str | None
    intent: Literal["said", "who", "latest"]
    quotes: tuple[QuoteItem, ...] = ()
    mentions: tuple[MentionItem, ...] = ()
    suggestions: tuple[str, ...] = ()
    message: str | None = None

    @property
    def private(self) -> bool:
        """Answers are for the whole channel (see `Notice.private`)."""
        return False


@dataclass(frozen=True, slots=True)
class Notice:
    """A short message: a confirmation, a usage hint or an error the user should see.

    `ok=False` marks errors, which platforms show privately (ephemeral) where they can; `personal=True`
    asks the same for an answer only its asker should see (feed lists and tests, for managers).
    """

    text: str
    ok: bool = True
    lines: tuple[str, ...] = field(default_factory=tuple)
    personal: bool = False  # about the requester alone (what they follow): shown only to them, like errors

    @property
    def private(self) -> bool:
        """The privacy rule of replies, for every platform: an error is shown only to whoever made it
        (ephemeral on Discord and Slack), so nobody else sees the mistake, and so is a personal answer
        (a manager's feed list, what a user follows); everything else goes to the channel."""
        return not self.ok or self.personal


Reply = Digest | FigureAnswer | Notice
