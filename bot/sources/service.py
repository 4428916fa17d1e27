"""A tenant's feeds: add (validated, stored at once), remove, list with health, test, presets.

The chat commands (`/feed ...` on Discord, `/brief feed ...` on Slack and the terminal) and the operator's
`briefbot feeds` both come here, so the limits (50 feeds per tenant, the interval floor) and the
validation are the same everywhere. Every chat answer is private to the manager who asked, and every
refusal says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.briefing.models import Notice
from bot.commands import BriefRequest, Requester
from bot.settings import Settings
from bot.sources import health
from bot.sources.inspect import FeedPreview, FeedProblem, inspect_feed
from bot.sources.presets import PresetError, get_preset, presets
from bot.store import ArticleOrigin, Store
from bot.store import feeds as feed_rows
from bot.store.feeds import CHAT, PRESET, SourceState
from bot.store.scope import tenant_key

log = logging.getLogger(__name__)

Inspector = Callable[[str, Settings], FeedPreview]
NOT_MANAGER = "Only people who can manage this {place} can change or see its feeds."
NO_TENANT = "Feeds belong to a server or workspace: use this command in one of its channels."


class SourceLimit(Exception):
    """The tenant already has the most feeds allowed."""


def inert(text: str) -> str:
    """Feed-written text shown as plain words: no Markdown or Slack link syntax that could make a
    link the feed chose look like something else."""
    return text.replace("[", "(").replace("]", ")").replace("<", "‹").replace(">", "›")


@dataclass(frozen=True, slots=True)
class Added:
    url: str
    name: str
    new: bool
    stored: int
    preview: FeedPreview | None = None


class SourcesService:
    """Tenants' feeds on one store. `inspect` is replaceable for tests (default: a real fetch)."""

    def __init__(self, store: Store, settings: Settings, *, inspect: Inspector | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.settings = settings
        self._inspect = inspect or (lambda url, s: inspect_feed(url, s))
        self.clock = clock

    @property
    def poll_minutes(self) -> int:
        return max(self.settings.feed_poll_minutes, self.settings.feed_min_poll_minutes)

    # -- operations (chat and CLI) ----------------------------------------------------------------

    def test(self, url: str) -> FeedPreview:
        """Fetch now and describe; stores nothing. FeedProblem says why it is unusable."""
        return self._inspect(url, self.settings)

    def _check_room(self, tenant: str, url: str, adding: int = 1) -> None:
        limit = self.settings.max_feeds_per_tenant
        if feed_rows.has_source(self.store, tenant, url):
            return
        count = feed_rows.count_sources(self.store, tenant)
        if count + adding > limit:
            raise SourceLimit(f"This {place(tenant)} already has {count} feeds (at most {limit}); "
                              "remove one before adding another.")

    def add(self, tenant: str, url: str, *, name: str | None = None, added_by: str | None = None,
            channel_id: str | None = None, origin: str = CHAT, poll_minutes: int | None = None) -> Added:
        """Validate by fetching, then store the source and what the fetch found, so the tenant's next
        `/brief` shows it at once. Raises FeedProblem or SourceLimit."""
        self._check_room(tenant, url.strip())
        preview = self.test(url)
        self._check_room(tenant, preview.url)  # discovery may have led to a feed the tenant has
        now = self.clock()
        minutes = max(poll_minutes or self.poll_minutes, self.settings.feed_min_poll_minutes)
        # Entries without text are fetched page by page by the poller: poll at once. Otherwise the
        # fetch just made counts as this interval's poll.
        needs_poll = preview.item_count > len(preview.articles)
        label = name or preview.name
        new = feed_rows.add_source(self.store, tenant, preview.url, name=label, poll_minutes=minutes,
                                   origin=origin, added_by=added_by, channel_id=channel_id,
                                   next_poll_at=None if needs_poll else now + timedelta(minutes=minutes),
                                   fetched_at=now)
        origin_row = ArticleOrigin(feed_url=preview.url)
        stored = sum(self.store.add_article(a, origin=origin_row).status != "duplicate" for a in preview.articles)
        log.info("%s feed %s for %s (%d items, %d new articles)", "added" if new else "re-added", preview.url,
                 tenant, preview.item_count, stored)
        return Added(preview.url, label, new, stored, preview)

    def add_preset(self, tenant: str, name: str, *, added_by: str | None = None,
                   channel_id: str | None = None) -> list[Added]:
        """Add every feed of a preset, unchecked (they are curated; the first poll checks them, and
        `/feed list` shows the result). Raises PresetError or SourceLimit (then nothing is added)."""
        preset = get_preset(name)
        missing = [f for f in preset.feeds if not feed_rows.has_source(self.store, tenant, f.url)]
        if missing:
            self._check_room(tenant, missing[0].url, adding=len(missing))
        added = []
        for feed in preset.feeds:
            new = feed_rows.add_source(self.store, tenant, feed.url, name=feed.name, poll_minutes=self.poll_minutes,
                                       origin=PRESET, added_by=added_by, channel_id=channel_id)
            added.append(Added(feed.url, feed.name, new, 0))
        log.info("added preset %s for %s (%d new feeds)", preset.name, tenant, sum(a.new for a in added))
        return added

    def remove(self, tenant: str, url: str) -> bool:
        removed = feed_rows.remove_source(self.store, tenant, url.strip())
        if removed:
            log.info("removed feed %s from %s", url, tenant)
        return removed

    def list(self, tenant: str | None = None) -> list[SourceState]:
        return feed_rows.list_sources(self.store, tenant)

    # -- chat ------------------------------------------------------------------------------------

    def handle(self, request: BriefRequest, requester: Requester) -> Notice:
        """Run a feed command for its tenant; managers only, and every answer is private."""
        tenant = tenant_key(requester.platform, requester.workspace_id)
        if tenant is None:
            return Notice(NO_TENANT, ok=False)
        if not requester.can_manage:
            log.info("refused %s by %s/%s: not a manager", request.kind, requester.platform, requester.user_id)
            return Notice(NOT_MANAGER.format(place=place(tenant)), ok=False)
        try:
            match request.kind:
                case "feed-list":
                    return self._list_notice(tenant, requester.platform)
                case "feed-test":
                    return _preview_notice(self.test(request.arg or ""))
                case "feed-remove":
                    if self.remove(tenant, request.arg or ""):
                        return Notice(f"Removed {request.arg}: its new stories stop appearing here.", personal=True)
                    return Notice(f"This {place(tenant)} has no feed {request.arg}. "
                                  f"`{health.feed_command(requester.platform, 'list')}` shows its feeds.", ok=False)
                case "feed-presets":
                    return _presets_notice(requester.platform)
                case "feed-add" if request.preset:
                    added = self.add_preset(tenant, request.preset, added_by=requester.user_id,
                                            channel_id=requester.channel_id)
                    return _preset_added_notice(request.preset, added, requester.platform)
                case "feed-add":
                    done = self.add(tenant, request.arg or "", name=request.name, added_by=requester.user_id,
                                    channel_id=requester.channel_id)
                    return _added_notice(done, self.poll_minutes)
        except FeedProblem as exc:
            return Notice(f"That feed can't be used: {inert(str(exc))}", ok=False)
        except (SourceLimit, PresetError) as exc:
            return Notice(str(exc), ok=False)
        return Notice("Unknown feed command.", ok=False)

    def _list_notice(self, tenant: str, platform: str) -> Notice:
        sources = self.list(tenant)
        limit = self.settings.max_feeds_per_tenant
        if not sources:
            add = health.feed_command(platform, "add")
            return Notice(f"This {place(tenant)} has no feeds of its own yet (it sees the operator's global "
                          f"feeds). Add one with `{add}` or a starter set with `{add} preset:us`.", personal=True)
        now = self.clock()
        lines = tuple(f"• {inert(s.label)} — {s.url} — {s.items} stored — {inert(health.describe(s, now))}"
                      for s in sources)
        return Notice(f"Feeds of this {place(tenant)} ({len(sources)} of at most {limit}):", lines=lines,
                      personal=True)


def place(tenant: str) -> str:
    return {"discord": "server", "slack": "workspace"}.get(tenant.split(":", 1)[0], "terminal")


def _preview_lines(preview: FeedPreview) -> tuple[str, ...]:
    lines = []
    if preview.discovered:
        lines.append(f"That page links to its feed: {preview.url}")
    for item in preview.newest:
        date = f" ({item.published:%Y-%m-%d})" if item.published else ""
        lines.append(f"• {inert(item.title)}{date}")
    lines.extend(f"Note: {inert(w)}" for w in preview.warnings[:3])
    return tuple(lines)


def _preview_notice(preview: FeedPreview) -> Notice:
    return Notice(f"“{inert(preview.name)}” works: {preview.item_count} items. Newest:",
                  lines=_preview_lines(preview), personal=True)


def _added_notice(done: Added, minutes: int) -> Notice:
    head = (f"Added “{inert(done.name)}” ({done.url}): {done.stored} new stories stored now, "
            f"checked every {minutes} min." if done.new else
            f"“{inert(done.name)}” ({done.url}) was already a feed here; checked it again "
            f"({done.stored} new stories).")
    return Notice(head, lines=_preview_lines(done.preview) if done.preview else (), personal=True)


def _preset_added_notice(name: str, added: list[Added], platform: str) -> Notice:
    new = [a for a in added if a.new]
    lines = tuple(f"• {a.name} — {a.url}" + ("" if a.new else " (already here)") for a in added)
    return Notice(f"Preset {name}: {len(new)} feeds added. They are checked on their first poll; "
                  f"`{health.feed_command(platform, 'list')}` shows how each is doing.", lines=lines, personal=True)


def _presets_notice(platform: str) -> Notice:
    add = health.feed_command(platform, "add")
    lines = tuple(f"• {p.name} — {p.region}: {p.description} ({len(p.feeds)} feeds)" for p in presets().values())
    return Notice(f"Starter sets (`{add} preset:<name>`):", lines=lines, personal=True)
