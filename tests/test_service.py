"""The briefing core: caching policy, story grouping, commands and permissions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.articles.ingest import load_inputs
from bot.briefing import service as service_module
from bot.briefing.models import Digest, FigureAnswer, Notice
from bot.briefing.service import BriefingService
from bot.commands import BriefRequest, Requester
from bot.samples import SAMPLES
from bot.settings import Settings
from bot.store import Store
from summarizers.types import (
    CheckResult,
    Citation,
    Point,
    Sentence,
    SourceArticle,
    StoryLink,
    StoryPoint,
    StoryThreeThings,
    ThreeThings,
)

MEMBER = Requester("discord", "u1", "c1", "g1", can_manage=False)
MANAGER = Requester("discord", "u2", "c1", "g1", can_manage=True)


class NamedModel:
    name = "fake-model"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(f"sqlite:///{tmp_path / 'svc.db'}")
    for result in load_inputs([str(SAMPLES)], Settings()):
        for article in result.articles:
            s.add_article(article)
    yield s
    s.close()


def counting_three_things(monkeypatch: pytest.MonkeyPatch, fallback: str | None) -> list[str]:
    calls: list[str] = []

    def fake(text: str, **kwargs: Any) -> ThreeThings:
        calls.append(text)
        sentence = Sentence(text[:20], 0, 20)
        return ThreeThings((Point(sentence.text, (sentence,), "abstractive"),), model=None if fallback else "fake-model",
                           fallback=fallback)

    def fake_story(articles: list[SourceArticle], **kwargs: Any) -> StoryThreeThings:
        """Stories told by several outlets are briefed from all of them, under the same cache policy."""
        calls.append(articles[0].text)
        sentence = Sentence(articles[0].text[:20], 0, 20)
        point = StoryPoint(sentence.text, (Citation(articles[0].outlet, 0, (sentence,)),), "abstractive")
        return StoryThreeThings((point,), tuple(StoryLink(a.outlet) for a in articles),
                                model=None if fallback else "fake-model", fallback=fallback)

    monkeypatch.setattr(service_module, "three_things", fake)
    monkeypatch.setattr(service_module, "brief_story", fake_story)
    return calls


def test_summaries_are_computed_once_per_article_version(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting_three_things(monkeypatch, fallback=None)
    svc = BriefingService(store, Settings(), model=NamedModel())  # type: ignore[arg-type]
    first = svc.digest(limit=3)
    second = svc.digest(limit=3)
    assert len(calls) == 3 and first.stories == second.stories


def test_the_model_check_setting_reaches_three_things_and_is_cached_apart(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    calls = counting_three_things(monkeypatch, fallback=None)
    inner = service_module.three_things
    monkeypatch.setattr(service_module, "three_things", lambda text, **kw: seen.append(kw["model_check"]) or inner(text))
    BriefingService(store, Settings(), model=NamedModel()).digest(limit=1)  # type: ignore[arg-type]
    monkeypatch.setenv("BRIEFBOT_MODEL_CHECK", "true")
    BriefingService(store, Settings(), model=NamedModel()).digest(limit=1)  # type: ignore[arg-type]
    assert seen == [False, True] and len(calls) == 2  # not served the unchecked result from the cache


def test_a_skipped_model_check_is_not_cached_as_checked(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's own check gave no usable verdict: the points are the rules' alone, so a later checked
    request asks again, while an unchecked one may reuse them."""
    calls = counting_three_things(monkeypatch, fallback=None)
    inner = service_module.three_things
    skipped = CheckResult("", "model", "model check timed out: rule checks only", "skipped")
    monkeypatch.setattr(service_module, "three_things",
                        lambda text, **kw: replace(inner(text), checks=(skipped,)))
    monkeypatch.setenv("BRIEFBOT_MODEL_CHECK", "true")
    BriefingService(store, Settings(), model=NamedModel()).digest(limit=1)  # type: ignore[arg-type]
    BriefingService(store, Settings(), model=NamedModel()).digest(limit=1)  # type: ignore[arg-type]
    assert len(calls) == 2  # asked again: the checked key was not filled
    monkeypatch.setenv("BRIEFBOT_MODEL_CHECK", "false")
    BriefingService(store, Settings(), model=NamedModel()).digest(limit=1)  # type: ignore[arg-type]
    assert len(calls) == 2  # the unchecked request is served the rule-checked points


def test_a_timed_out_model_is_asked_again_next_time(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting_three_things(monkeypatch, fallback="timeout")
    svc = BriefingService(store, Settings(), model=NamedModel())  # type: ignore[arg-type]
    svc.digest(limit=1)
    svc.digest(limit=1)
    assert len(calls) == 2


def test_digest_groups_one_story_from_two_outlets(store: Store) -> None:
    svc = BriefingService(store, Settings(), load_default_model=False)
    digest = svc.digest(limit=10)
    assert isinstance(digest, Digest)
    budget = [s for s in digest.stories if "stopgap" in s.title.lower()]
    assert len(budget) == 1
    assert {link.source for link in budget[0].links} == {"Briefbot Samples Wire", "Sample Gazette"}
    assert len(digest.stories) == 4
    for story in digest.stories:
        assert 1 <= len(story.points) <= 3
        assert all(p.sources for p in story.points)
    # The two-outlet story is briefed from both: every point names the outlets that support it.
    brief = budget[0].outlet_brief
    assert brief is not None and set(brief.outlets) == {"Briefbot Samples Wire", "Sample Gazette"}
    assert [p.text for p in brief.points] == [p.text for p in budget[0].points]
    assert all(p.outlets for p in brief.points)
    assert all(s.outlet_brief is None for s in digest.stories if s is not budget[0])


def test_topic_and_figure_requests(store: Store) -> None:
    svc = BriefingService(store, Settings(), load_default_model=False)
    topic = svc.handle(BriefRequest("topic", arg="transit"), MEMBER)
    assert isinstance(topic, Digest) and [s.title for s in topic.stories] == [
        "City council approves $1.1 billion transit expansion"]
    nothing = svc.handle(BriefRequest("topic", arg="volcanoes"), MEMBER)
    assert isinstance(nothing, Digest) and not nothing.stories and "volcanoes" in (nothing.empty_message or "")
    figure = svc.handle(BriefRequest("figure", arg="Alvarez"), MEMBER)
    assert isinstance(figure, FigureAnswer) and figure.figure == "Maria Alvarez"


def test_subscriptions_need_a_manager(store: Store) -> None:
    svc = BriefingService(store, Settings(), load_default_model=False)
    req = BriefRequest("subscribe", channel="c9", time="08:00", timezone="Europe/London")
    refused = svc.handle(req, MEMBER)
    assert isinstance(refused, Notice) and not refused.ok and store.list_subscriptions() == []
    done = svc.handle(req, MANAGER)
    assert isinstance(done, Notice) and done.ok and "08:00 Europe/London" in done.text
    listed = svc.handle(BriefRequest("list"), MEMBER)
    assert isinstance(listed, Notice) and listed.lines == ("<#c9> at 08:00 Europe/London",)
    assert not svc.handle(BriefRequest("unsubscribe", channel="c9"), MEMBER).ok  # type: ignore[union-attr]
    assert svc.handle(BriefRequest("unsubscribe", channel="c9"), MANAGER).ok  # type: ignore[union-attr]


def test_brief_url_refuses_private_addresses(store: Store) -> None:
    svc = BriefingService(store, Settings(), load_default_model=False)
    for url in ("http://127.0.0.1:9/admin", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"):
        reply = svc.handle(BriefRequest("url", arg=url), MEMBER)
        assert isinstance(reply, Notice) and not reply.ok and "couldn't read that link" in reply.text


def test_people_and_quotes_are_cached_so_answers_skip_spacy(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = BriefingService(store, Settings(), load_default_model=False)
    first = svc.answer("what did Alvarez say?")
    for name in ("find_people", "extract_quotes"):
        monkeypatch.setattr(service_module, name, lambda *a, **k: pytest.fail("not cached"))
    again = svc.answer("what did Alvarez say?")
    assert first == again and again.figure == "Maria Alvarez" and again.quotes
    assert any("Nobody gets everything" in q.quote for q in again.quotes)
