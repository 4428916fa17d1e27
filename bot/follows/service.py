"""`/follow`, `/unfollow` and `/following`: the core side, shared by every platform.

A figure is resolved like `/brief who` resolves it (the figure Q&A over the stored articles: exact name,
alias, surname, role, close spelling), so "merkel" or "Angela Merkle" follows "Angela Merkel"; an
ambiguous or unknown name gets the closest names as suggestions instead of a guess. Slack and the
terminal may leave the kind out (`/brief follow budget`): a name the articles know is a figure, a
near-miss gets suggestions, anything else is a topic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from bot.briefing.models import FigureAnswer, Notice
from bot.commands import BriefRequest, Requester
from bot.follows.store import (
    FIGURE,
    MAX_FOLLOWS,
    TOPIC,
    Follow,
    FollowKind,
    TooManyFollows,
    add_follow,
    list_follows,
    remove_follow,
)
from bot.store import Store
from summarizers.people.names import match_name
from summarizers.types import Person

log = logging.getLogger(__name__)

MIN_CHARS = 2
NOTHING = "You don't follow anyone or anything yet. Try `/brief follow Angela Merkel` or `/brief follow budget`."


def utc_now() -> datetime:
    return datetime.now(UTC)


def _notice(text: str, *, ok: bool = True, lines: tuple[str, ...] = ()) -> Notice:
    """What someone follows is their own business: every answer here is shown only to them."""
    return Notice(text, ok=ok, lines=lines, personal=True)


def describe(follow: Follow) -> str:
    line = f"{follow.name} ({follow.kind})"
    if follow.paused_at is not None:
        line += " — paused: I could not message you directly. Allow DMs from me, then follow again to resume."
    return line


class FollowCommands:
    """Follow, unfollow and list, for one requester at a time. `identify(name)` answers "who is <name>?"
    from the stored articles (the briefing service's figure Q&A)."""

    def __init__(self, store: Store, identify: Callable[[str], FigureAnswer], *,
                 clock: Callable[[], datetime] = utc_now, alerts_per_hour: int | None = None) -> None:
        self.store = store
        self.identify = identify
        self.clock = clock
        self.alerts_per_hour = alerts_per_hour

    def handle(self, request: BriefRequest, requester: Requester) -> Notice:
        if request.kind == "following":
            return self.following(requester)
        name = " ".join((request.arg or "").split())
        if len(name) < MIN_CHARS:
            return _notice(f"Tell me who or what to {request.kind}, e.g. `/brief {request.kind} Angela Merkel`.",
                          ok=False)
        kind: FollowKind | None = FIGURE if request.subject == FIGURE else TOPIC if request.subject == TOPIC else None
        if request.kind == "unfollow":
            return self.unfollow(requester, name, kind)
        return self.follow(requester, name, kind)

    def follow(self, requester: Requester, name: str, kind: FollowKind | None) -> Notice:
        if kind == TOPIC:
            return self._add(requester, TOPIC, name)
        answer = self.identify(name)
        if answer.figure:
            return self._add(requester, FIGURE, answer.figure)
        if answer.suggestions:
            hint = ("Follow one of them with `/brief follow figure <name>`" +
                    ("." if kind == FIGURE else f", or follow the words with `/brief follow topic {name}`."))
            return _notice(f"I don't know anyone called “{name}” in my articles. Did you mean: "
                          + ", ".join(answer.suggestions) + "?", ok=False, lines=(hint,))
        if kind == FIGURE:
            return self._add(requester, FIGURE, name, unseen=True)
        return self._add(requester, TOPIC, name)

    def _add(self, requester: Requester, kind: FollowKind, name: str, *, unseen: bool = False) -> Notice:
        try:
            follow, created = add_follow(self.store, requester.platform, requester.user_id, kind, name,
                                         now=self.clock(), workspace_id=requester.workspace_id)
        except TooManyFollows:
            log.info("%s/%s is at the follow limit", requester.platform, requester.user_id)
            return _notice(f"You already follow {MAX_FOLLOWS} figures and topics, the most I keep. "
                          "Unfollow one first (`/brief following` lists them).", ok=False)
        what = (f"I'll message you when an article quotes {follow.name}." if kind == FIGURE
                else f"I'll message you when an article is about “{follow.name}”.")
        if unseen:
            what += f" I have no articles quoting {follow.name} yet."
        cap = f" At most {self.alerts_per_hour} messages an hour." if self.alerts_per_hour else ""
        head = f"You now follow {follow.name}." if created else f"You follow {follow.name} (resumed)."
        return _notice(head, lines=(what + cap,))

    def unfollow(self, requester: Requester, name: str, kind: FollowKind | None) -> Notice:
        removed = remove_follow(self.store, requester.platform, requester.user_id, name, kind)
        if not removed and kind != TOPIC:  # "merkel" for "Angela Merkel": the same alias rules as following
            figures = [f for f in list_follows(self.store, requester.platform, requester.user_id) if f.kind == FIGURE]
            person = match_name(name, [Person(f.name) for f in figures]).person
            if person is not None:
                removed = remove_follow(self.store, requester.platform, requester.user_id, person.name, FIGURE)
        if not removed:
            return _notice(f"You don't follow “{name}”. `/brief following` lists what you follow.", ok=False)
        return _notice(f"You no longer follow {removed[0].name}.")

    def following(self, requester: Requester) -> Notice:
        follows = list_follows(self.store, requester.platform, requester.user_id)
        if not follows:
            return _notice(NOTHING)
        return _notice(f"You follow {len(follows)} of at most {MAX_FOLLOWS}:",
                      lines=tuple(f"• {describe(f)}" for f in follows))
