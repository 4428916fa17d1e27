"""Follows end to end through the core: commands, matching, the alert job's passes at explicit instants.

A recording DM sender stands in for a platform (the Discord and Slack transports are driven for real in
tests/test_follows_e2e.py). Every scenario asserts what the follower received, not only the rows.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dbtest import db_url_fixture  # noqa: F401
from sqlalchemy import inspect, update

from bot.articles.models import Article
from bot.briefing.models import Digest, Notice, Reply
from bot.briefing.runner import AsyncBriefing
from bot.briefing.service import BriefingService
from bot.cli import main
from bot.commands import CommandError, Requester, follow_request, parse_brief
from bot.delivery import DirectMessagesClosed
from bot.follows import store as rows
from bot.follows.matching import story_key
from bot.follows.schema import FollowRow
from bot.scheduler.follow_alerts import FollowAlerter
from bot.settings import Settings
from bot.store import Store
from bot.store.schema import ArticleRevisionRow, ArticleRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = Requester("slack", "U0ALICE", "C0GENERAL", workspace_id="T1")
BOB = Requester("slack", "U0BOB", "C0GENERAL", workspace_id="T1")

MERKEL = Article(
    title="Angela Merkel urges European unity in Berlin speech",
    text=("Former chancellor Angela Merkel told an audience in Berlin on Monday that Europe must stay united. "
          "\"Cooperation has kept this continent safe for decades,\" Merkel said. She urged younger politicians "
          "to defend democratic institutions and to keep talking to their opponents. The speech marked the "
          "tenth anniversary of a foundation that supports civic education."),
    url="https://news.example/merkel-berlin", source="Daily Example")
MERKEL_ELSEWHERE = Article(  # the same speech as another outlet ran it: a near-duplicate, same story
    title="Merkel: Europe must stay united",
    text=("Former chancellor Angela Merkel told an audience in Berlin on Monday that Europe must stay united. "
          "\"Cooperation has kept this continent safe for decades,\" Merkel said. She urged younger politicians "
          "to defend democratic institutions and to keep talking to their opponents. The speech marked the "
          "tenth anniversary of a foundation that supports civic education in Germany."),
    url="https://other.example/merkel", source="Other Outlet")
MERKEL_LATER = Article(
    title="Merkel backs climate pact",
    text=("Angela Merkel spoke in Hamburg on Thursday about the new climate pact between northern ports. "
          "\"Ports can lead the way on clean shipping,\" Merkel said at the harbour. Port officials said the "
          "pact covers eleven ports and starts next spring. Shipping firms have asked for more time."),
    url="https://news.example/merkel-ports", source="Daily Example")
BUDGET = Article(
    title="Parliament passes the budget",
    text=("Parliament passed the spring budget by 312 votes to 250 on Tuesday. Finance minister Rachel Adams "
          "said the budget would restore stability. \"This is a budget for working families,\" Adams told "
          "reporters. Opposition leaders called the plan a gamble with public services."),
    url="https://news.example/budget", source="Example News")
WEATHER = Article(
    title="Storms expected this weekend",
    text=("Forecasters expect heavy rain and strong winds across the north on Saturday. Rail operators said "
          "some services would run a reduced timetable. Drivers were told to avoid coastal roads."),
    url="https://news.example/storms", source="Example News")


def copy(article: Article) -> Article:
    return Article(text=article.text, title=article.title, url=article.url, source=article.source)


@dataclass
class RecordingSender:
    """A platform's DM transport: records each DM; can refuse (closed DMs) or fail (an outage)."""

    platform: str = "slack"
    closed: set[str] = field(default_factory=set)
    fail_times: int = 0
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        with self._lock:
            if user_id in self.closed:
                raise DirectMessagesClosed("cannot_dm_bot")
            if self.fail_times:
                self.fail_times -= 1
                raise ConnectionError("platform unavailable")
            self.sent.append((user_id, reply))
            return f"dm-{len(self.sent)}"

    def to(self, user_id: str) -> list[Digest]:
        out = []
        for user, reply in self.sent:
            if user == user_id:
                assert isinstance(reply, Digest)
                out.append(reply)
        return out


@dataclass
class Env:
    url: str
    store: Store
    service: BriefingService
    stores: list[Store] = field(default_factory=list)
    runners: list[AsyncBriefing] = field(default_factory=list)

    def alerter(self, sender: RecordingSender, name: str = "p1", *, own_connection: bool = False,
                **kwargs: object) -> FollowAlerter:
        store, service = self.store, self.service
        if own_connection:  # another process on the same database
            store = Store(self.url, run_migrations=False)
            self.stores.append(store)
            service = BriefingService(store, Settings(database_url=self.url), load_default_model=False)
        briefing = AsyncBriefing(service, rate_limits=False)
        self.runners.append(briefing)
        return FollowAlerter(store, briefing, {sender.platform: sender}, name, **kwargs)  # type: ignore[arg-type]

    def follow(self, text: str, who: Requester = ALICE, *, at: datetime = T0) -> Reply:
        reply = self.service.handle(parse_brief(text), who)
        with self.store.session() as s:  # followed "at" the test clock
            s.execute(update(FollowRow).where(FollowRow.user_id == who.user_id).values(created_at=at))
        return reply

    def add(self, article: Article, at: datetime) -> int:
        outcome = self.store.add_article(copy(article))
        assert outcome.status != "duplicate", outcome
        with self.store.session() as s:
            s.execute(update(ArticleRow).where(ArticleRow.id == outcome.id).values(added_at=at))
        return outcome.id


@pytest.fixture
def env(db_url: str) -> Iterator[Env]:
    store = Store(db_url)
    service = BriefingService(store, Settings(database_url=db_url), load_default_model=False)
    e = Env(db_url, store, service)
    e.add(WEATHER, T0 - timedelta(hours=1))  # something to know names from
    yield e
    for r in e.runners:
        r.close()
    for s in e.stores:
        s.close()
    store.close()


def run(alerter: FollowAlerter, at: datetime) -> None:
    asyncio.run(alerter.run_pass(at))


# -- the grammar ------------------------------------------------------------------------------------


def test_follow_grammar() -> None:
    assert parse_brief("follow Angela Merkel").kind == "follow"
    assert parse_brief("follow figure merkel").subject == "figure"
    req = parse_brief("unfollow topic budget vote")
    assert (req.kind, req.arg, req.subject) == ("unfollow", "budget vote", "topic")
    assert parse_brief("following").kind == "following"
    with pytest.raises(CommandError):
        parse_brief("follow")
    with pytest.raises(CommandError):
        follow_request("follow", figure="Merkel", topic="budget")
    with pytest.raises(CommandError):
        follow_request("unfollow")


# -- commands -------------------------------------------------------------------------------------


def test_follow_resolves_names_like_brief_who(env: Env) -> None:
    env.add(MERKEL, T0 - timedelta(minutes=30))
    reply = env.follow("follow merkel")
    assert isinstance(reply, Notice) and reply.ok and "Angela Merkel" in reply.text
    reply = env.follow("follow figure Angela Merkle")  # misspelt: the same person
    assert isinstance(reply, Notice) and "Angela Merkel" in reply.text and "resumed" in reply.text
    reply = env.follow("follow budget")  # no such person: a topic
    assert isinstance(reply, Notice) and reply.ok
    listed = env.service.handle(parse_brief("following"), ALICE)
    assert isinstance(listed, Notice)
    assert listed.lines == ("• Angela Merkel (figure)", "• budget (topic)")
    gone = env.service.handle(parse_brief("unfollow figure merkel"), ALICE)
    assert isinstance(gone, Notice) and gone.ok and "Angela Merkel" in gone.text
    missing = env.service.handle(parse_brief("unfollow nobody at all"), ALICE)
    assert isinstance(missing, Notice) and not missing.ok


def test_ambiguous_name_gets_suggestions_not_a_guess(env: Env) -> None:
    env.add(Article(title="Gala night", url="https://news.example/gala",
                    text=("Donald Trump and Melania Trump attended a gala in New York on Friday. \"It was a "
                          "lovely evening,\" Melania Trump said. Donald Trump praised the hosts and the food.")),
            T0 - timedelta(minutes=5))
    reply = env.follow("follow figure Trump")
    assert isinstance(reply, Notice) and not reply.ok
    assert "Donald Trump" in reply.text and "Melania Trump" in reply.text
    assert rows.list_follows(env.store, "slack", ALICE.user_id) == []


def test_at_most_25_follows(env: Env) -> None:
    for n in range(rows.MAX_FOLLOWS):
        assert env.service.handle(parse_brief(f"follow topic subject{n}"), ALICE).ok  # type: ignore[union-attr]
    refused = env.service.handle(parse_brief("follow topic one too many"), ALICE)
    assert isinstance(refused, Notice) and not refused.ok and "25" in refused.text
    assert len(rows.list_follows(env.store, "slack", ALICE.user_id)) == rows.MAX_FOLLOWS
    assert env.service.handle(parse_brief("follow topic subject3"), ALICE).ok  # type: ignore[union-attr]


def test_migration_creates_follow_tables(env: Env) -> None:
    assert {"follows", "follow_alerts", "follow_scan"} <= set(inspect(env.store.engine).get_table_names())


# -- alerts -------------------------------------------------------------------------------------------


def test_one_dm_per_story_kept_across_restarts_and_one_update(env: Env) -> None:
    env.follow("follow figure Angela Merkel")
    sender = RecordingSender()
    run(env.alerter(sender), T0)
    first = env.add(MERKEL, T0 + timedelta(seconds=5))
    run(env.alerter(sender), T0 + timedelta(seconds=30))
    [dm] = sender.to(ALICE.user_id)
    story = dm.stories[0]
    assert "Angela Merkel" in dm.heading and story.title == MERKEL.title
    assert "Angela Merkel said: “Cooperation has kept this continent safe for decades”" in (story.note or "")
    assert story.points and story.links[0].url == MERKEL.url  # the three things and the link
    run(env.alerter(sender, "p1-restarted"), T0 + timedelta(seconds=60))  # a restart: nothing again
    assert len(sender.sent) == 1
    second = env.add(MERKEL_ELSEWHERE, T0 + timedelta(minutes=2))  # the story gets another outlet
    assert story_key(env.store.get_article(second)) == story_key(env.store.get_article(first))  # type: ignore[arg-type]
    run(env.alerter(sender), T0 + timedelta(minutes=2, seconds=30))
    assert len(sender.sent) == 2
    update_dm = sender.to(ALICE.user_id)[1]
    assert update_dm.stories[0].title.startswith("Update: ")
    updated = update_dm.stories[0]
    assert {link.url for link in updated.links} == {MERKEL.url, MERKEL_ELSEWHERE.url}  # every outlet's link
    assert "Other Outlet" in (updated.note or "")  # what is new: the outlet that joined the story
    env.add(Article(text=MERKEL_ELSEWHERE.text + " Officials attended.", title="Third copy",
                    url="https://third.example/merkel", source="Third"), T0 + timedelta(minutes=3))
    run(env.alerter(sender), T0 + timedelta(minutes=4))
    assert len(sender.sent) == 2  # at most one update per story
    assert [a.status for a in rows.list_alerts(env.store)] == ["sent", "sent"]


def test_an_article_a_correction_makes_quote_a_followed_figure_is_alerted_once(env: Env) -> None:
    env.follow("follow figure Angela Merkel")
    sender = RecordingSender()
    budget = env.add(BUDGET, T0 + timedelta(seconds=5))  # quotes someone else: no alert
    run(env.alerter(sender), T0 + timedelta(seconds=30))
    assert sender.sent == []
    corrected = BUDGET.text + ' "Germany welcomes a budget that keeps its promises," Angela Merkel said in Berlin.'
    assert env.store.update_article(budget, text=corrected).status == "updated"
    with env.store.session() as s:  # the edit happens at a known instant, as env.add stores at one
        s.execute(update(ArticleRevisionRow).values(revised_at=T0 + timedelta(minutes=1)))
    run(env.alerter(sender), T0 + timedelta(minutes=1, seconds=30))
    [dm] = sender.to(ALICE.user_id)
    assert "Angela Merkel said: “Germany welcomes a budget that keeps its promises”" in (dm.stories[0].note or "")
    run(env.alerter(sender, "p2"), T0 + timedelta(minutes=2))  # another process, a later pass: not again
    assert len(sender.sent) == 1
    assert rows.watermark(env.store, rows.REVISIONS) >= 1


def test_no_alert_for_other_people_or_older_articles(env: Env) -> None:
    env.add(MERKEL, T0 - timedelta(minutes=10))  # stored before the follow
    env.follow("follow figure Angela Merkel")
    sender = RecordingSender()
    env.add(BUDGET, T0 + timedelta(seconds=5))  # quotes someone else
    run(env.alerter(sender), T0 + timedelta(seconds=30))
    assert sender.sent == []


def test_several_matches_batched_into_one_message(env: Env) -> None:
    env.follow("follow figure Angela Merkel")
    env.follow("follow topic budget")
    sender = RecordingSender()
    env.add(MERKEL, T0 + timedelta(seconds=1))
    env.add(BUDGET, T0 + timedelta(seconds=2))
    env.add(MERKEL_LATER, T0 + timedelta(seconds=3))
    run(env.alerter(sender), T0 + timedelta(seconds=30))
    [dm] = sender.to(ALICE.user_id)
    assert {s.title for s in dm.stories} == {MERKEL.title, BUDGET.title, MERKEL_LATER.title}
    budget = next(s for s in dm.stories if s.title == BUDGET.title)
    assert "Topic you follow: budget" in (budget.note or "")


def test_hourly_cap_holds_alerts_then_sends_them_together(env: Env) -> None:
    env.follow("follow figure Angela Merkel")
    env.follow("follow topic budget")
    sender = RecordingSender()
    alerter = env.alerter(sender, alerts_per_hour=1)
    env.add(MERKEL, T0 + timedelta(seconds=1))
    run(alerter, T0 + timedelta(seconds=30))
    env.add(BUDGET, T0 + timedelta(minutes=5))
    run(alerter, T0 + timedelta(minutes=6))
    env.add(MERKEL_LATER, T0 + timedelta(minutes=10))
    run(alerter, T0 + timedelta(minutes=11))
    assert len(sender.sent) == 1  # capped: the two later stories wait
    run(alerter, T0 + timedelta(hours=1, minutes=1))
    assert len(sender.sent) == 2
    assert {s.title for s in sender.to(ALICE.user_id)[1].stories} == {BUDGET.title, MERKEL_LATER.title}


def test_closed_dms_pause_the_follows_and_are_not_retried(env: Env) -> None:
    env.follow("follow figure Angela Merkel")
    env.follow("follow figure Angela Merkel", BOB)
    sender = RecordingSender(closed={ALICE.user_id})
    env.add(MERKEL, T0 + timedelta(seconds=1))
    run(env.alerter(sender), T0 + timedelta(seconds=30))
    assert [u for u, _ in sender.sent] == [BOB.user_id]
    [follow] = rows.list_follows(env.store, "slack", ALICE.user_id)
    assert follow.paused_at is not None and "cannot_dm_bot" in (follow.paused_reason or "")
    alice_alerts = rows.list_alerts(env.store, "slack", ALICE.user_id)
    assert [a.status for a in alice_alerts] == ["closed"]
    sender.closed.clear()
    env.add(MERKEL_LATER, T0 + timedelta(minutes=5))
    run(env.alerter(sender), T0 + timedelta(minutes=6))
    assert [u for u, _ in sender.sent].count(ALICE.user_id) == 0  # paused: no new alerts, no retries
    listed = env.service.handle(parse_brief("following"), ALICE)
    assert isinstance(listed, Notice) and "paused" in listed.lines[0]
    env.follow("follow figure Angela Merkel", at=T0 + timedelta(minutes=7))  # following again resumes
    assert rows.list_follows(env.store, "slack", ALICE.user_id)[0].active


def test_a_failed_send_is_retried_with_backoff(env: Env) -> None:
    env.follow("follow figure Angela Merkel")
    sender = RecordingSender(fail_times=1)
    env.add(MERKEL, T0 + timedelta(seconds=1))
    run(env.alerter(sender), T0 + timedelta(seconds=30))
    assert sender.sent == [] and rows.list_alerts(env.store)[0].status == "pending"
    run(env.alerter(sender), T0 + timedelta(seconds=60))  # not yet: retry after a minute
    assert sender.sent == []
    run(env.alerter(sender), T0 + timedelta(seconds=95))
    assert len(sender.sent) == 1


def test_a_send_interrupted_mid_way_is_never_repeated(env: Env) -> None:
    env.follow("follow figure Angela Merkel")
    env.add(MERKEL, T0 + timedelta(seconds=1))
    alerter = env.alerter(RecordingSender())
    alerter.scan(T0 + timedelta(seconds=30))
    batch, alerts = rows.claim(env.store, "slack", ALICE.user_id, "dead", T0 + timedelta(seconds=30))
    assert rows.mark_sending(env.store, batch, len(alerts), T0 + timedelta(seconds=30))
    # ... and the process dies here, after the platform may have received the DM.
    sender = RecordingSender()
    run(env.alerter(sender, "p2"), T0 + timedelta(minutes=15))
    assert sender.sent == [] and rows.list_alerts(env.store)[0].status == "unconfirmed"


def test_two_processes_claiming_send_once(env: Env) -> None:
    env.follow("follow figure Angela Merkel")
    env.follow("follow topic budget", BOB)
    env.add(MERKEL, T0 + timedelta(seconds=1))
    env.add(BUDGET, T0 + timedelta(seconds=2))
    sender = RecordingSender()
    first = env.alerter(sender, "p1", own_connection=True)
    second = env.alerter(sender, "p2", own_connection=True)

    async def both() -> None:
        await asyncio.gather(first.run_pass(T0 + timedelta(seconds=30)), second.run_pass(T0 + timedelta(seconds=30)))

    asyncio.run(both())
    asyncio.run(both())
    assert sorted(u for u, _ in sender.sent) == [ALICE.user_id, BOB.user_id]
    # and the claim itself: whoever comes second gets nothing
    env.add(MERKEL_LATER, T0 + timedelta(minutes=1))
    first.scan(T0 + timedelta(minutes=2))
    _, mine = rows.claim(first.store, "slack", ALICE.user_id, "p1", T0 + timedelta(minutes=2))
    _, theirs = rows.claim(second.store, "slack", ALICE.user_id, "p2", T0 + timedelta(minutes=2))
    assert len(mine) == 1 and theirs == []


def test_articles_stored_by_another_process_are_found(env: Env, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`briefbot ingest` (the CLI, its own store) stores the article; the bot's alert job DMs about it."""
    now = datetime.now(UTC)
    env.follow("follow figure Angela Merkel", at=now - timedelta(minutes=1))
    sender = RecordingSender()
    run(env.alerter(sender), now)
    path = tmp_path / "merkel.txt"
    path.write_text(f"{MERKEL.title}\n\n{MERKEL.text}\n", encoding="utf-8")
    monkeypatch.setenv("BRIEFBOT_DATABASE_URL", env.url)
    from bot.settings import get_settings

    get_settings.cache_clear()
    assert main(["ingest", str(path)]) == 0
    run(env.alerter(sender), datetime.now(UTC) + timedelta(seconds=30))
    [dm] = sender.to(ALICE.user_id)
    assert "Angela Merkel said" in (dm.stories[0].note or "")


def test_terminal_follow_prints_the_alert(env: Env) -> None:
    import io

    from bot.platforms.console.app import DIRECT_MARK, ConsoleAdapter

    out = io.StringIO()
    briefing = AsyncBriefing(env.service)
    adapter = ConsoleAdapter(briefing, io.StringIO(), out)
    alerter = FollowAlerter(env.store, briefing, {"console": adapter}, "chat")
    now = datetime.now(UTC)

    async def session() -> None:
        reply = await adapter.reply_to("/brief follow topic budget")
        assert isinstance(reply, Notice) and reply.ok
        await alerter.run_pass(now)
        env.add(BUDGET, now + timedelta(seconds=1))
        await alerter.run_pass(now + timedelta(seconds=30))
        await alerter.run_pass(now + timedelta(seconds=60))

    try:
        asyncio.run(session())
    finally:
        briefing.close()
    printed = out.getvalue()
    assert printed.count(DIRECT_MARK) == 1
    assert "NEW ON WHAT YOU FOLLOW: BUDGET" in printed and BUDGET.url in printed
    assert "Topic you follow: budget" in printed


def test_recording_many_matches_at_once_decides_like_one_by_one(env: Env) -> None:
    def match(article_id: int, story: str = "article:1", user: str = "U1") -> rows.Match:
        return rows.Match("slack", user, story, article_id, ({"kind": "topic", "name": "x", "article_id": article_id},))

    outcomes = rows.record_matches(env.store, [match(1), match(2), match(3, "article:3"), match(1)], T0)
    assert outcomes == {"new": 2, "added": 1, "covered": 1}
    alerts = rows.list_alerts(env.store)
    assert [(a.story_key, a.article_ids) for a in alerts] == [("article:1", (1, 2)), ("article:3", (3,))]
    batch, claimed = rows.claim(env.store, "slack", "U1", "p", T0)
    assert rows.mark_sending(env.store, batch, len(claimed), T0) and rows.mark_sent(env.store, batch, T0, "m")
    outcomes = rows.record_matches(env.store, [match(4), match(5), match(2)], T0)  # the story's update
    assert outcomes == {"update": 1, "added": 1, "covered": 1}
    assert rows.record_matches(env.store, [match(9)], T0) == {"added": 1}  # the update is not sent yet
    batch, claimed = rows.claim(env.store, "slack", "U1", "p", T0)
    assert rows.mark_sending(env.store, batch, len(claimed), T0) and rows.mark_sent(env.store, batch, T0, "m")
    assert rows.record_matches(env.store, [match(6)], T0) == {"done": 1}  # no third alert about a story


def test_alerts_come_only_from_the_followers_own_and_global_sources(env: Env) -> None:
    """Tenancy (issue 16): a follower in workspace T1 hears nothing of an article that only workspace
    T2's feed brought in, and does hear of the same figure through T1's own feed."""
    from bot.store import feeds as feed_rows
    from bot.store.scope import tenant_key
    from bot.store.store import ArticleOrigin

    t1, t2 = tenant_key("slack", "T1"), tenant_key("slack", "T2")
    feed_rows.add_source(env.store, t1, "https://t1.example/feed", name="T1 feed", poll_minutes=30, origin="chat")
    feed_rows.add_source(env.store, t2, "https://t2.example/feed", name="T2 feed", poll_minutes=30, origin="chat")
    env.follow("follow figure Angela Merkel")
    sender = RecordingSender()
    run(env.alerter(sender), T0)

    def add_via(article: Article, feed: str, at: datetime) -> None:
        outcome = env.store.add_article(copy(article), origin=ArticleOrigin(feed_url=feed))
        with env.store.session() as s:
            s.execute(update(ArticleRow).where(ArticleRow.id == outcome.id).values(added_at=at))

    add_via(MERKEL, "https://t2.example/feed", T0 + timedelta(seconds=5))
    run(env.alerter(sender), T0 + timedelta(seconds=30))
    assert sender.sent == []  # another workspace's source
    add_via(MERKEL_ELSEWHERE, "https://t1.example/feed", T0 + timedelta(minutes=1))
    run(env.alerter(sender), T0 + timedelta(minutes=1, seconds=30))
    [dm] = sender.to(ALICE.user_id)
    assert {link.url for link in dm.stories[0].links} == {MERKEL_ELSEWHERE.url}  # T2's outlet stays out
