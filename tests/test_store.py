"""Storage round trips: articles with dedupe, the summary cache, subscriptions, HTTP validators."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dbtest import postgres_url, reset_database
from sqlalchemy import event, inspect, text

from bot.articles.models import Article
from bot.store import Store

STORY = ("The Senate passed the farm bill on Thursday by a vote of 70 to 28. The bill renews crop insurance "
         "for five years and adds money for rural broadband. Senator Ann Cole said the vote was a win for "
         "farmers. The House is expected to vote next week.")
OTHER = ("The governor signed a law raising the minimum wage to $18 an hour by 2028. Unions praised the law, "
         "while restaurant owners warned of job losses. The first increase takes effect in January.")


def db_urls(tmp_path: Path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'store.db'}"]
    if os.environ.get("BRIEFBOT_TEST_DATABASE_URL"):
        urls.append(os.environ["BRIEFBOT_TEST_DATABASE_URL"])
    return urls


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = postgres_url()  # skips, saying why, without a PostgreSQL server
    s = Store(url)
    if request.param == "postgres":
        with s.engine.begin() as conn:
            conn.execute(text("TRUNCATE deliveries, subscriptions, summaries, feeds, articles RESTART IDENTITY CASCADE"))
    yield s
    s.close()


def test_migrations_create_every_table(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {"articles", "summaries", "feeds", "subscriptions", "deliveries", "alembic_version"} <= tables


def test_migrating_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    Store(url).close()
    s = Store(url)
    assert s.count_articles() == 0
    s.close()


def test_article_round_trip_keeps_fields(store: Store) -> None:
    published = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    outcome = store.add_article(Article(text=STORY, title="Farm bill passes", url="https://example.org/farm",
                                        source="Example", published=published))
    assert outcome.status == "added"
    got = store.get_article(outcome.id)
    assert got is not None
    assert (got.text, got.title, got.url, got.source) == (STORY, "Farm bill passes", "https://example.org/farm", "Example")
    assert got.published == published


def test_same_text_or_same_url_is_a_duplicate(store: Store) -> None:
    first = store.add_article(Article(text=STORY, url="https://example.org/farm?utm_source=x"))
    again = store.add_article(Article(text="  " + STORY.upper() + "  "))
    assert again.status == "duplicate" and again.id == first.id and "same text" in again.reason
    same_url = store.add_article(Article(text=OTHER, url="https://EXAMPLE.org/farm/"))
    assert same_url.status == "duplicate" and "same URL" in same_url.reason
    assert store.count_articles() == 1


def test_near_duplicate_from_another_outlet_is_linked_to_its_story(store: Store) -> None:
    wire = STORY + " " + OTHER.replace("The governor", "Separately, the governor")
    first = store.add_article(Article(text=wire, url="https://c.example/wire", source="C"))
    rewrite = wire.replace("Thursday", "Thursday afternoon") + " Reporting by B."
    second = store.add_article(Article(text=rewrite, url="https://b.example/farm", source="B"))
    assert second.status == "linked"
    assert f"#{first.id}" in second.reason
    stored = store.get_article(second.id)
    assert stored is not None and stored.story_id == first.story_id == second.story_id
    assert not stored.extra  # story data travels in typed fields, not in the untyped dict


def test_latest_articles_newest_first_and_filtered(store: Store) -> None:
    now = datetime.now(UTC)
    store.add_article(Article(text=STORY, title="Farm", published=now - timedelta(days=2)))
    store.add_article(Article(text=OTHER, title="Wage", published=now - timedelta(hours=1)))
    assert [a.title for a in store.latest_articles(10)] == ["Wage", "Farm"]
    assert [a.title for a in store.latest_articles(10, query="farm bill")] == ["Farm"]
    assert store.latest_articles(10, query="nothing-like-this") == []


def test_summary_cache_is_keyed_by_version_method_and_model(store: Store) -> None:
    a = store.add_article(Article(text=STORY))
    h = Article(text=STORY).content_hash
    assert store.get_summary(h, "three-things", "m1") is None
    store.put_summary(h, "three-things", "m1", {"points": ["x"]}, article_id=a.id)
    store.put_summary(h, "three-things", "m1", {"points": ["again"]})  # concurrent duplicate: ignored
    assert store.get_summary(h, "three-things", "m1") == {"points": ["x"]}
    assert store.get_summary(h, "three-things", "m2") is None
    assert store.get_summary(h, "extractive", "m1") is None


def test_subscriptions_upsert_list_remove(store: Store) -> None:
    sub = store.add_subscription("slack", "C1", "08:00", "Europe/London", workspace_id="T1", created_by="U1")
    again = store.add_subscription("slack", "C1", "09:30", "America/New_York", workspace_id="T1")
    assert again.id == sub.id and (again.time, again.timezone) == ("09:30", "America/New_York")
    store.add_subscription("discord", "C1", "07:00", "UTC")
    assert [s.platform for s in store.list_subscriptions()] == ["slack", "discord"]
    assert [s.channel_id for s in store.list_subscriptions("slack", "T1")] == ["C1"]
    assert store.remove_subscription("slack", "C1") is True
    assert store.remove_subscription("slack", "C1") is False
    assert [s.platform for s in store.list_subscriptions()] == ["discord"]


def test_a_subscribe_racing_another_for_the_same_channel_updates_its_row(store: Store) -> None:
    """Both find no row and both insert: the second must not fail with the unique key, it updates."""
    other = Store(store.engine.url.render_as_string(hide_password=False))

    def the_other_subscribes_first(session: object, context: object, instances: object) -> None:
        other.add_subscription("slack", "C9", "07:00", "UTC", workspace_id="T1")

    event.listen(store._sessions, "before_flush", the_other_subscribes_first, once=True)
    try:
        sub = store.add_subscription("slack", "C9", "09:30", "Europe/Paris", workspace_id="T1", created_by="U2")
    finally:
        other.close()
    assert (sub.time, sub.timezone, sub.created_by) == ("09:30", "Europe/Paris", "U2")
    assert [(s.channel_id, s.time) for s in store.list_subscriptions("slack")] == [("C9", "09:30")]


def test_http_validators_round_trip(store: Store) -> None:
    assert store.get("https://example.org/feed") == (None, None)
    store.put("https://example.org/feed", '"abc"', "Wed, 25 Nov 2026 10:00:00 GMT")
    assert store.get("https://example.org/feed") == ('"abc"', "Wed, 25 Nov 2026 10:00:00 GMT")


def test_a_failed_transaction_leaves_the_database_intact(store: Store) -> None:
    store.add_article(Article(text=STORY))
    with pytest.raises(RuntimeError), store.session() as s:
        s.execute(text("DELETE FROM articles"))
        raise RuntimeError("crash mid-transaction")
    assert store.count_articles() == 1


def test_processes_opening_a_fresh_database_at_once_do_not_race(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    urls = [f"sqlite:///{tmp_path / 'race.db'}"]
    if os.environ.get("BRIEFBOT_TEST_DATABASE_URL"):
        urls.append(os.environ["BRIEFBOT_TEST_DATABASE_URL"])
        reset_database(urls[1])  # every table, whatever later migrations added
    for url in urls:
        start = time.time() + 2
        code = (f"import time\nwhile time.time() < {start}: time.sleep(0.001)\n"
                f"from bot.store import Store\nStore({url!r}).close()\n")
        procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(3)]
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert all(p.returncode == 0 for p in procs), errors
