"""Sources per tenant, end to end through the core against a local feed server on 127.0.0.1.

Two Discord servers and two Slack workspaces each add their own feed from chat; none ever sees another's
sources, stories or feed alerts, all see the operator's global feeds, and a broken feed is reported once
per outage to the tenant's managers (in its digest channel), never in answers to members.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from feed_server import FeedServer, Route, story

from bot.briefing.models import Digest, Notice, Reply
from bot.briefing.service import BriefingService
from bot.cli import main
from bot.commands import BriefRequest, CommandError, Requester, feed_request, parse_brief
from bot.scheduler import DigestScheduler
from bot.settings import Settings, get_settings
from bot.sources import health
from bot.sources.presets import load_presets
from bot.sources.service import NOT_MANAGER, SourcesService
from bot.store import SourceScope, Store
from bot.store import feeds as feed_rows
from bot.store.database import MIGRATIONS, make_engine
from bot.store.scope import GLOBAL, tenant_key

LOCAL = ["127.0.0.1", "localhost"]
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def manager(platform: str, workspace: str, channel: str = "C-news") -> Requester:
    return Requester(platform, f"{workspace}-admin", channel, workspace_id=workspace, can_manage=True)


def member(platform: str, workspace: str, channel: str = "C-news") -> Requester:
    return Requester(platform, f"{workspace}-member", channel, workspace_id=workspace)


TENANTS = {  # tenant key -> (manager, topic its feed is about)
    "discord:G1": (manager("discord", "G1"), "lighthouse"),
    "discord:G2": (manager("discord", "G2"), "vineyard"),
    "slack:T1": (manager("slack", "T1"), "glacier"),
    "slack:T2": (manager("slack", "T2"), "orchard"),
}


@dataclass
class Env:
    server: FeedServer
    store: Store
    settings: Settings
    service: BriefingService

    def feed(self, path: str, topic: str, count: int = 2, *, etag: str | None = None) -> str:
        items = [(f"{topic.title()} story {n}", f"https://{topic}.example/{n}", story(topic, path, n))
                 for n in range(count)]
        return self.server.serve_feed(path, f"{topic.title()} News", items, etag=etag)

    def ask(self, request: BriefRequest | str, requester: Requester) -> Reply:
        if isinstance(request, str):
            return self.service.handle_text(request, requester)
        return self.service.handle(request, requester)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer().start()
    yield s
    s.close()


@pytest.fixture
def env(tmp_path: Path, server: FeedServer) -> Iterator[Env]:
    settings = Settings(fetch_allow_hosts=LOCAL, database_url=f"sqlite:///{tmp_path / 'sources.db'}")
    store = Store(settings.database_url)
    yield Env(server, store, settings, BriefingService(store, settings, load_default_model=False))
    store.close()


def titles(reply: Reply) -> str:
    assert isinstance(reply, Digest), reply
    return " | ".join(link.title for s in reply.stories for link in s.links)


def notice(reply: Reply) -> Notice:
    assert isinstance(reply, Notice), reply
    return reply


# -- tenancy ----------------------------------------------------------------------------------------


def test_two_servers_and_two_workspaces_never_see_each_others_sources_or_stories(env: Env) -> None:
    SourcesService(env.store, env.settings).add(GLOBAL, env.feed("/global.xml", "harbour"))
    for who, topic in TENANTS.values():
        added = notice(env.ask(feed_request("add", env.feed(f"/{topic}.xml", topic)), who))
        assert added.ok and added.private and "2 new stories stored now" in added.text, added
    for who, topic in TENANTS.values():
        others = [t for _, t in TENANTS.values() if t != topic]
        seen = titles(env.ask(BriefRequest("digest"), who))
        assert topic.title() in seen and "Harbour" in seen  # its own feed at once, plus the global one
        assert not any(o.title() in seen for o in others)
        for other in others:  # not even by searching for it
            found = env.ask(BriefRequest("topic", arg=other), who)
            assert isinstance(found, Digest) and found.stories == ()
        listed = notice(env.ask(feed_request("list"), who))
        assert listed.private and len(listed.lines) == 1 and f"/{topic}.xml" in listed.lines[0]
        assert "2 stored" in listed.lines[0] and "not polled yet" not in listed.lines[0]
    # a user in another place (a Discord DM, the terminal) sees only global stories
    dm = Requester("discord", "u9", "D1")
    assert titles(env.ask(BriefRequest("digest"), dm)).count("Harbour") == 2
    assert "Lighthouse" not in titles(env.ask(BriefRequest("digest"), dm))
    console = Requester("console", "local", "console", can_manage=True)
    assert "Glacier" not in titles(env.ask("", console))


def test_a_feed_shared_by_two_tenants_is_polled_once_and_both_see_it(env: Env) -> None:
    url = env.feed("/shared.xml", "lighthouse")
    a, b = TENANTS["discord:G1"][0], TENANTS["slack:T2"][0]
    assert notice(env.ask(feed_request("add", url), a)).ok
    assert notice(env.ask(feed_request("add", url), b)).ok
    assert [f.url for f in feed_rows.list_feeds(env.store)] == [url]
    assert "Lighthouse" in titles(env.ask(BriefRequest("digest"), b))
    assert notice(env.ask(feed_request("remove", url), a)).ok
    assert "Lighthouse" not in titles(env.ask(BriefRequest("digest"), a))
    assert "Lighthouse" in titles(env.ask(BriefRequest("digest"), b))


def test_a_link_briefed_in_one_server_stays_in_that_server(env: Env) -> None:
    page = (b"<!doctype html><html><head><title>Dam vote</title></head><body><article><h1>Dam vote</h1><p>"
            + story("reservoir", "Local", 1).encode() + b"</p><p>" + story("reservoir", "Local", 2).encode()
            + b"</p></article></body></html>")
    env.server.routes["/article"] = Route(200, "text/html; charset=utf-8", page)
    a, b = member("discord", "G1"), member("discord", "G2")
    briefed = env.ask(BriefRequest("url", arg=env.server.url("/article")), a)
    assert isinstance(briefed, Digest) and briefed.stories
    assert "Dam vote" in titles(env.ask(BriefRequest("digest"), a))
    assert "Dam vote" not in titles(env.ask(BriefRequest("digest"), b))


def test_articles_without_a_recorded_origin_are_global(env: Env) -> None:
    """Stored by the operator's CLI, or before sources existed: every tenant keeps seeing them."""
    from bot.articles.models import Article

    env.store.add_article(Article(text=story("canal", "cli"), title="Canal story"))
    for who, _ in TENANTS.values():
        assert "Canal story" in titles(env.ask(BriefRequest("digest"), member(who.platform, who.workspace_id or "")))


# -- managers only, privately -------------------------------------------------------------------------


def test_members_are_refused_privately_and_nothing_changes(env: Env) -> None:
    url = env.feed("/lighthouse.xml", "lighthouse")
    for request in (feed_request("add", url), feed_request("list"), feed_request("test", url),
                    feed_request("remove", url), feed_request("add", preset="us")):
        reply = notice(env.ask(request, member("slack", "T1")))
        assert not reply.ok and reply.text == NOT_MANAGER.format(place="workspace")
    assert feed_rows.list_sources(env.store) == [] and env.store.count_articles() == 0
    assert env.server.requests == []  # not even fetched
    dm = notice(env.ask(feed_request("list"), Requester("discord", "u1", "D1", can_manage=True)))
    assert not dm.ok and "server or workspace" in dm.text


# -- validation, discovery, test ------------------------------------------------------------------------


def test_feed_test_shows_title_count_and_newest_three_and_stores_nothing(env: Env) -> None:
    url = env.feed("/five.xml", "glacier", count=5)
    reply = notice(env.ask(f"feed test {url}", TENANTS["slack:T1"][0]))
    assert reply.ok and reply.private
    assert reply.text.startswith("“Glacier News” works: 5 items")
    assert [line.split(" (")[0] for line in reply.lines] == [
        "• Glacier story 0", "• Glacier story 1", "• Glacier story 2"]
    assert env.store.count_articles() == 0 and feed_rows.list_sources(env.store) == []


def test_add_resolves_a_web_page_to_the_feed_it_links_to(env: Env) -> None:
    feed = env.feed("/rss/politics.xml", "vineyard")
    page = env.server.serve_page("/politics", "/rss/politics.xml")
    reply = notice(env.ask(feed_request("add", page, "Vineyard politics"), TENANTS["discord:G2"][0]))
    assert reply.ok and f"That page links to its feed: {feed}" in reply.lines
    [source] = feed_rows.list_sources(env.store, "discord:G2")
    assert (source.url, source.name) == (feed, "Vineyard politics")


@pytest.mark.parametrize(("setup", "expected"), [
    ("missing", "HTTP 404"),
    ("broken", "HTTP 503"),
    ("page-without-feed", "links to no feed"),
    ("private", "refused: 10.0.0.5 is a private address"),
    ("not-http", "not a feed address"),
])
def test_feed_test_says_exactly_why_a_feed_fails(env: Env, setup: str, expected: str) -> None:
    env.server.fail("/broken", 503)
    env.server.routes["/plain"] = Route(200, "text/html", b"<html><body><p>No feeds here.</p></body></html>")
    url = {"missing": env.server.url("/nope"), "broken": env.server.url("/broken"),
           "page-without-feed": env.server.url("/plain"), "private": "http://10.0.0.5/rss",
           "not-http": "ftp://example.org/rss"}[setup]
    reply = notice(env.ask(f"feed test {url}", TENANTS["discord:G1"][0]))
    assert not reply.ok and expected in reply.text
    assert feed_rows.list_sources(env.store) == []


def test_loopback_is_refused_without_the_test_allow_list(server: FeedServer, tmp_path: Path) -> None:
    url = server.serve_feed("/x.xml", "X", [("a", "https://x.example/a", story("x", "y"))])
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        reply = SourcesService(store, Settings()).handle(feed_request("test", url), manager("discord", "G1"))
    finally:
        store.close()
    assert not reply.ok and "127.0.0.1 is a loopback address" in reply.text and server.requests == []


def test_at_most_the_tenant_limit_of_feeds(env: Env) -> None:
    env.settings.max_feeds_per_tenant = 2
    who = TENANTS["discord:G1"][0]
    for n in range(2):
        assert notice(env.ask(feed_request("add", env.feed(f"/f{n}.xml", f"topic{n}")), who)).ok
    refused = notice(env.ask(feed_request("add", env.feed("/f3.xml", "topic3")), who))
    assert not refused.ok and "already has 2 feeds (at most 2)" in refused.text
    assert not notice(env.ask(feed_request("add", preset="uk"), who)).ok
    assert notice(env.ask(feed_request("add", env.feed("/f0.xml", "topic0")), who)).ok  # re-adding is fine
    assert notice(env.ask(feed_request("add", env.feed("/f3.xml", "topic3")), TENANTS["slack:T1"][0])).ok


# -- presets ------------------------------------------------------------------------------------------


def test_presets_file_has_named_regional_sets_of_public_feeds() -> None:
    presets = load_presets()
    assert {"us", "uk", "eu", "world"} <= set(presets)
    urls = [f.url for p in presets.values() for f in p.feeds]
    assert len(urls) == len(set(urls)) and all(u.startswith("https://") for u in urls)
    assert all(p.region and p.feeds and all(f.name for f in p.feeds) for p in presets.values())


def test_preset_adds_its_feeds_for_the_tenant_only(env: Env) -> None:
    reply = notice(env.ask("feed add preset:uk", Requester("console", "local", "console", can_manage=True)))
    assert reply.ok and "Preset uk: 4 feeds added" in reply.text
    sources = feed_rows.list_sources(env.store)
    assert {s.tenant for s in sources} == {"console"} and len(sources) == 4
    assert {s.origin for s in sources} == {"preset"}
    assert not notice(env.ask("feed add preset:mars", TENANTS["slack:T2"][0])).ok


# -- polling: politeness, health, reports ------------------------------------------------------------------


class Recorder:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.posts: list[tuple[str, Reply]] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        self.posts.append((channel_id, reply))
        return None


async def test_feed_pass_polls_each_host_one_request_at_a_time_with_conditional_get(env: Env) -> None:
    env.server.delay = 0.05
    env.settings.feed_poll_workers = 4
    sources = SourcesService(env.store, env.settings, clock=lambda: T0)
    urls = []
    for n in range(6):
        env.feed(f"/h{n}.xml", f"polite{n}", etag=f'"v{n}"')
        host = LOCAL[n % 2]
        urls.append(sources.add(f"discord:G{n}", env.server.url(f"/h{n}.xml", host)).url)
    env.server.requests.clear()
    sched = DigestScheduler(env.store, env.service, {}, env.settings, clock=lambda: T0)
    due = T0 + timedelta(minutes=env.settings.feed_poll_minutes + 2)
    outcomes = await sched.poll_due(due)
    assert sorted(o.url for o in outcomes) == sorted(urls) and all(o.ok for o in outcomes)
    assert set(env.server.max_in_flight) == {"127.0.0.1", "localhost"}
    assert max(env.server.max_in_flight.values()) == 1  # never two requests to one host at once
    again = await sched.poll_due(due + timedelta(minutes=env.settings.feed_poll_minutes + 2))
    assert len(again) == 6 and all(o.not_modified for o in again) and env.server.not_modified == 6
    assert await sched.poll_due(due + timedelta(minutes=1)) == []  # nothing due in between
    sched.shutdown()


async def test_broken_feed_is_reported_once_per_outage_to_managers_then_paused(env: Env) -> None:
    sources = SourcesService(env.store, env.settings, clock=lambda: T0)
    url = sources.add("discord:G1", env.feed("/flaky.xml", "lighthouse"), channel_id="C-added").url
    sources.add("slack:T1", url, channel_id="C-slack")  # shared: the Slack workspace is told too
    sources.add("discord:G2", env.feed("/fine.xml", "vineyard"), channel_id="C-g2")
    env.store.add_subscription("discord", "C-digest", "08:00", "UTC", workspace_id="G1")
    discord, slack = Recorder("discord"), Recorder("slack")
    sched = DigestScheduler(env.store, env.service, {"discord": discord, "slack": slack}, env.settings,
                            clock=lambda: T0)
    env.server.fail("/flaky.xml", 503)
    at = T0 + timedelta(minutes=40)
    while at < T0 + timedelta(days=9):
        await sched.poll_due(at)
        at += timedelta(hours=3)
    [(channel, first), (channel2, paused)] = discord.posts
    assert channel == channel2 == "C-digest"  # where G1's digests go, not where it was added
    assert isinstance(first, Notice) and "has been failing since" in first.text
    assert "Reason: HTTP 503 Service Unavailable" in first.lines and "/feed test" in first.lines[-1]
    assert isinstance(paused, Notice) and "paused" in paused.text
    assert [c for c, _ in slack.posts] == ["C-slack", "C-slack"]  # no subscription: where it was added
    assert "/brief feed test" in slack.posts[0][1].lines[-1]  # type: ignore[union-attr]
    feed = feed_rows.get_feed(env.store, url)
    assert feed is not None and feed.paused_at is not None
    # members never get it: their /brief answers carry no feed health
    reply = env.ask(BriefRequest("digest"), member("discord", "G1"))
    assert isinstance(reply, Digest) and not any("failing" in n or "paused" in n for n in reply.notices)
    # one success clears it; a new outage is reported again
    env.feed("/flaky.xml", "lighthouse", count=3)
    while not any(o.url == url and o.ok for o in await sched.poll_due(at)):
        at += timedelta(hours=3)
    state = feed_rows.list_sources(env.store, "discord:G1")[0]
    assert (state.feed.failures, state.feed.paused_at, state.reported_failing_at) == (0, None, None)
    assert health.describe(state, at).startswith("OK")
    env.server.fail("/flaky.xml", 404)
    end = at + timedelta(days=2)
    while at < end:
        at += timedelta(hours=3)
        await sched.poll_due(at)
    assert len(discord.posts) == 3 and "HTTP 404" in " ".join(discord.posts[-1][1].lines)  # type: ignore[union-attr]
    assert "gone from that address" in discord.posts[-1][1].lines[-1]  # type: ignore[union-attr]
    sched.shutdown()


async def test_scheduled_digest_holds_only_the_channels_tenant_stories(env: Env) -> None:
    for who, topic in TENANTS.values():
        env.ask(feed_request("add", env.feed(f"/{topic}.xml", topic)), who)
    sub = env.store.add_subscription("slack", "C-t2", "08:00", "UTC", workspace_id="T2")
    sched = DigestScheduler(env.store, env.service, {}, env.settings, clock=lambda: T0)
    now = datetime.now(UTC)
    digest = sched.deliverer.build_digest(sub, now, now)
    assert "Orchard" in titles(digest) and "Lighthouse" not in titles(digest) and "Glacier" not in titles(digest)
    sched.shutdown()


# -- grammar, scope, migration, CLI ---------------------------------------------------------------------


def test_feed_command_grammar() -> None:
    assert parse_brief("feed add https://x.example/rss My  Feed") == BriefRequest(
        "feed-add", arg="https://x.example/rss", name="My Feed")
    assert parse_brief("feed add preset:UK") == BriefRequest("feed-add", preset="uk")
    assert parse_brief("feed add preset eu") == BriefRequest("feed-add", preset="eu")
    assert parse_brief("feed remove <https://x.example/rss|x.example/rss>").arg == "https://x.example/rss"
    assert parse_brief("feed test https://x.example/rss").kind == "feed-test"
    assert parse_brief("feed list") == BriefRequest("feed-list")
    for bad in ("feed", "feed list now", "feed add", "feed remove javascript:alert(1)", "feed drop https://x.example"):
        with pytest.raises(CommandError):
            parse_brief(bad)


def test_tenant_keys() -> None:
    assert tenant_key("discord", "1") == "discord:1" and tenant_key("slack", "T1") == "slack:T1"
    assert tenant_key("console", None) == "console" and tenant_key("discord", None) is None
    assert SourceScope(None).tenants == (GLOBAL,)


def test_migration_makes_config_feeds_global_and_keeps_old_articles_visible(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql("INSERT INTO feeds (url, name, poll_minutes, failures) "
                             "VALUES ('https://old.example/rss', 'Old', 30, 0)")
        conn.exec_driver_sql("INSERT INTO articles (title, text, content_hash, added_at) "
                             "VALUES ('Old story', 'text', 'h1', '2026-01-01 00:00:00')")
    engine.dispose()
    store = Store(url)
    try:
        [source] = feed_rows.list_sources(store)
        assert (source.tenant, source.url, source.origin) == (GLOBAL, "https://old.example/rss", "config")
        assert [a.title for a in store.latest_articles(scope=SourceScope("slack:T9"))] == ["Old story"]
    finally:
        store.close()


def test_cli_feeds_add_list_remove_and_test(server: FeedServer, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOW_HOSTS", '["127.0.0.1"]')
    get_settings.cache_clear()
    url = server.serve_feed("/cli.xml", "CLI News", [("One", "https://cli.example/1", story("cli", "a"))])
    assert main(["feeds", "add", url, "--name", "Operator feed"]) == 0
    assert main(["feeds", "add", "--preset", "eu", "--tenant", "slack:T1"]) == 0
    assert main(["feeds"]) == 0
    listed = capsys.readouterr().out
    assert "global" in listed and "Operator feed" in listed and "slack:T1" in listed and "Politico Europe" in listed
    assert main(["feeds", "test", server.url("/missing")]) == 1
    assert "HTTP 404" in capsys.readouterr().err
    assert main(["feeds", "remove", url]) == 0
    assert main(["feeds", "--tenant", GLOBAL]) == 0
    assert "No feeds" in capsys.readouterr().out


def test_polling_interval_has_a_floor(env: Env) -> None:
    env.settings.feed_poll_minutes = 2
    sources = SourcesService(env.store, env.settings)
    assert sources.poll_minutes == env.settings.feed_min_poll_minutes == 10
    url = sources.add("slack:T1", env.feed("/fast.xml", "glacier"), poll_minutes=1).url
    feed = feed_rows.get_feed(env.store, url)
    assert feed is not None and feed.poll_minutes == 10


def test_a_story_shared_across_tenants_shows_each_only_its_own_outlets(env: Env) -> None:
    """Two outlets' copies of one story, each in another server's feed: one stored story, but each server
    sees only its own outlet's link and title (a story's title is its first article's)."""
    text = story("ferry", "desk")
    env.server.serve_feed("/a.xml", "Outlet A", [("Ferry strike (Outlet A)", "https://a.example/ferry", text)])
    env.server.serve_feed("/b.xml", "Outlet B", [("Ferry strike: talks fail (Outlet B)", "https://b.example/ferry",
                                                  text + " Talks failed late on Monday, the union said.")])
    a, b = TENANTS["discord:G1"][0], TENANTS["slack:T2"][0]
    env.ask(feed_request("add", env.server.url("/a.xml")), a)
    env.ask(feed_request("add", env.server.url("/b.xml")), b)
    [shared] = env.store.latest_stories()  # the operator's view: one story, both outlets
    assert len(shared.articles) == 2
    for who, mine, other in ((a, "Outlet A", "Outlet B"), (b, "Outlet B", "Outlet A")):
        digest = env.ask(BriefRequest("digest"), who)
        assert isinstance(digest, Digest) and len(digest.stories) == 1
        [brief] = digest.stories
        assert mine in brief.title and other not in brief.title
        assert [link.url for link in brief.links] == [f"https://{mine[-1].lower()}.example/ferry"]
