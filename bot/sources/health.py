"""Feed health policy: when an outage is reported to a tenant's managers, when a feed is paused, and
what the report says.

An outage starts with the first failure after a success and ends at the next success. After
`REPORT_AFTER` of failing, each tenant using the feed is told once (in the channel its digests go to,
else the channel where the feed was added); after `PAUSE_AFTER` the feed is paused and tenants are told
that too. A paused feed is still tried every `PAUSED_RETRY`, and one success clears everything.
Global feeds (the operator's) are never reported in chat: `briefbot feeds` and the log show them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.briefing.models import Notice
from bot.store import Store
from bot.store import feeds as feed_rows
from bot.store.feeds import SourceState
from bot.store.scope import GLOBAL, platform_of

log = logging.getLogger(__name__)

REPORT_AFTER = timedelta(days=1)
PAUSE_AFTER = timedelta(days=7)
PAUSED_RETRY = timedelta(days=1)

Kind = Literal["failing", "paused"]


@dataclass(frozen=True, slots=True)
class HealthReport:
    """A message owed to one tenant's managers about one feed."""

    tenant: str
    url: str
    kind: Kind
    platform: str
    channel_id: str
    notice: Notice


def feed_command(platform: str, action: str) -> str:
    """How managers on this platform spell a feed command: `/feed test` or `/brief feed test`."""
    return f"/feed {action}" if platform == "discord" else f"/brief feed {action}"


def advice(error: str | None) -> str:
    """What a manager can do about a failure, from its reason."""
    e = (error or "").lower()
    if any(code in e for code in ("http 401", "http 403", "http 429")):
        return "The site refuses or rate-limits the bot; check the feed is public, or use another of its feeds."
    if any(code in e for code in ("http 404", "http 410")):
        return "The feed is gone from that address; find its new address on the site, then remove and re-add it."
    if "refused:" in e:
        return "The address is not allowed (a private or local address); use the site's public feed address."
    if "timed out" in e or "could not connect" in e or "could not resolve" in e:
        return "The site is slow or down; if it stays down, remove the feed or replace it."
    if "not an rss" in e or "broken" in e or "not a usable feed" in e:
        return "The address no longer serves a feed; find the site's current RSS link and re-add it."
    return "Open the address in a browser to check it, or remove the feed."


def describe(source: SourceState, now: datetime) -> str:
    """One line of feed state for lists: OK, failing (since, how many tries, why) or paused."""
    feed = source.feed
    if feed.paused_at is not None:
        return f"paused since {feed.paused_at:%Y-%m-%d} after a week of failures: {feed.last_error or '?'}"
    if feed.failures:
        since = feed.failing_since or feed.last_polled_at or now
        return f"failing since {since:%Y-%m-%d %H:%M} UTC ({feed.failures} in a row): {feed.last_error or '?'}"
    if feed.last_success_at is None:
        return "not polled yet"
    return f"OK, last success {feed.last_success_at:%Y-%m-%d %H:%M} UTC"


def report_notice(source: SourceState, kind: Kind, platform: str) -> Notice:
    feed = source.feed
    test, remove = feed_command(platform, "test"), feed_command(platform, "remove")
    since = f"{feed.failing_since:%Y-%m-%d %H:%M} UTC" if feed.failing_since else "a while"
    if kind == "paused":
        head = (f"Feed “{source.label}” has failed for a week and is paused: the bot now checks it once a day "
                "and resumes at the first success.")
    else:
        head = (f"Feed “{source.label}” has been failing since {since} ({feed.failures} tries in a row); "
                "its stories are missing from briefings. It will be paused after a week of failures.")
    lines = (f"Address: {feed.url}", f"Reason: {feed.last_error or 'unknown'}",
             f"What to do: {advice(feed.last_error)} `{test}` shows what the bot sees; `{remove}` stops it.")
    return Notice(head, ok=False, lines=lines)


def report_channel(store: Store, source: SourceState) -> str | None:
    """Where the tenant's managers will see it: the channel its digests go to, else where it was added."""
    platform, _, workspace = source.tenant.partition(":")
    if workspace:
        for sub in store.list_subscriptions(platform, workspace):
            return sub.channel_id
    return source.channel_id


def due_reports(store: Store, now: datetime, platforms: set[str] | frozenset[str]) -> list[HealthReport]:
    """Outage reports owed to tenants on these platforms (each is owed once per outage and kind)."""
    reports: list[HealthReport] = []
    for source in feed_rows.list_sources(store):
        feed = source.feed
        if source.tenant == GLOBAL or feed.failing_since is None:
            continue
        platform = platform_of(source.tenant)
        if platform not in platforms:
            continue
        kind: Kind | None = None
        if feed.paused_at is not None and source.reported_paused_at is None:
            kind = "paused"
        elif now - feed.failing_since >= REPORT_AFTER and source.reported_failing_at is None:
            kind = "failing"
        if kind is None:
            continue
        channel = report_channel(store, source)
        if channel is None:
            log.warning("feed %s of %s is %s but there is no channel to report it in", feed.url, source.tenant,
                        kind)
            continue
        reports.append(HealthReport(source.tenant, feed.url, kind, platform, channel,
                                    report_notice(source, kind, platform)))
    return reports
