"""The briefing core: every platform asks it the same questions and gets plain data back.

It owns the summary cache policy (summaries are computed once per article version, method and model)
and the subscription permission check, so no adapter can forget either.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from bot.articles.dedupe import group_stories
from bot.articles.fetch import DeferredHttpCache
from bot.articles.ingest import load_inputs
from bot.articles.models import Article
from bot.briefing.figure_answers import answer_question
from bot.briefing.models import Digest, FigureAnswer, Link, Notice, Reply, StoryBrief
from bot.commands import USAGE, BriefRequest, CommandError, Requester, parse_brief
from bot.settings import Settings
from bot.store import Store
from summarizers.methods.abstractive import AbstractiveModel, ModelUnavailable, load_model
from summarizers.methods.three_things import three_things
from summarizers.people.names import find_people
from summarizers.people.quotes import extract_quotes
from summarizers.types import Person, Quote, ThreeThings

log = logging.getLogger(__name__)

EXTRACTIVE = "extractive"
QUOTES_METHOD, PEOPLE_METHOD, QUOTES_MODEL = "quotes", "people", "spacy-sm"
ASK_WINDOW = 200  # newest stored articles searched when answering about a figure


class BriefingService:
    """Digest, brief on a topic or URL, answer about a figure, manage subscriptions."""

    def __init__(self, store: Store, settings: Settings, *, model: AbstractiveModel | None = None,
                 load_default_model: bool = True) -> None:
        self.store = store
        self.settings = settings
        self._model = model
        self._model_checked = model is not None or not load_default_model
        self._model_lock = threading.Lock()
        self.model_note: str | None = None

    # -- model --------------------------------------------------------------------------------

    @property
    def model(self) -> AbstractiveModel | None:
        """The abstractive model, loaded on first use; None (said once in the log) when unavailable."""
        with self._model_lock:
            if not self._model_checked:
                self._model_checked = True
                try:
                    if self.settings.model_threads:
                        import torch

                        torch.set_num_threads(self.settings.model_threads)
                    self._model = load_model(self.settings.model, device=self.settings.model_device,
                                             dtype=self.settings.model_dtype)
                except ModelUnavailable as exc:
                    if self.settings.model.lower() == "none":
                        log.info("abstractive model switched off; serving extractive briefings")
                    else:
                        self.model_note = f"Abstractive model unavailable ({exc}); serving extractive briefings."
                        log.warning("%s", self.model_note)
            return self._model

    # -- stories ------------------------------------------------------------------------------

    def three_things_for(self, article: Article) -> ThreeThings:
        """The cached three things to know for this article version, computing them at most once."""
        model = self.model
        key = (article.content_hash, "three-things", model.name if model else EXTRACTIVE)
        cached = self.store.get_summary(*key)
        if cached is not None:
            return ThreeThings.from_dict(cached)
        result = three_things(article.text, title=article.title or None, model=model,
                              timeout_s=self.settings.model_timeout_s,
                              max_new_tokens=self.settings.model_max_new_tokens)
        # Cache under this model's key even when grounding replaced every model point (asking again would
        # give the same answer), but not after a timeout or error: those may pass, so a later request
        # tries the model again while the extractive result is kept under its own key.
        cache_model = key[2] if result.fallback is None else EXTRACTIVE
        self.store.put_summary(article.content_hash, "three-things", cache_model, result.as_dict(),
                               article_id=article.id)
        return result

    def story_brief(self, group: Sequence[Article]) -> StoryBrief:
        lead = group[0]
        tt = self.three_things_for(lead)
        links = tuple(_link(a) for a in group)
        return StoryBrief(title=lead.label, points=tt.points, links=links, published=lead.published,
                          note=tt.note, article_ids=tuple(a.id for a in group if a.id is not None))

    def digest(self, *, limit: int | None = None, articles: Sequence[Article] | None = None,
               since: datetime | None = None, query: str | None = None, heading: str | None = None,
               empty_message: str = "No new stories since the last briefing.",
               progress: Callable[[list[list[Article]]], Iterable[list[Article]]] | None = None) -> Digest:
        """Brief the newest stories (or the given ones), one entry per story with every outlet's link.

        `progress` may wrap the per-story loop (the CLI shows a bar on a TTY while a model runs).
        """
        limit = limit or self.settings.digest_limit
        if articles is None:
            articles = self.store.latest_articles(limit * 4, since=since, query=query)
        groups = _group(articles)[:limit]
        stories = tuple(self.story_brief(g) for g in (progress(groups) if progress else groups))
        notices = (self.model_note,) if self.model_note else ()
        return Digest(heading=heading or "Three things to know", stories=stories,
                      generated_at=datetime.now(UTC), empty_message=None if stories else empty_message,
                      notices=notices)

    def brief_topic(self, topic: str) -> Digest:
        return self.digest(query=topic, heading=f"Three things to know: {topic}",
                           empty_message=f"I have no stories about “{topic}” yet.")

    def brief_url(self, url: str) -> Reply:
        """Fetch (SSRF-safe), store and brief one article link."""
        cache = DeferredHttpCache(self.store)
        result = next(iter(load_inputs([url], self.settings, cache=cache)))
        if result.error:
            log.info("could not brief %s: %s", url, result.error)
            return Notice(f"I couldn't read that link: {result.error}", ok=False)
        if result.not_modified:  # fetched before and unchanged: brief the stored copy
            known = self.store.article_by_url(url)
            if known is not None:
                return self.digest(articles=[known], heading=f"Three things to know: {known.label}")
        if not result.articles:
            return Notice("That page has no article text I can brief.", ok=False)
        for article in result.articles:
            outcome = self.store.add_article(article)
            if article.id is None and outcome.id:
                article.id = outcome.id
        cache.commit()
        return self.digest(articles=result.articles, heading=f"Three things to know: {result.articles[0].label}")

    # -- figures ------------------------------------------------------------------------------

    def quotes_for(self, article: Article) -> list[Quote]:
        """Quotes of an article, extracted once per article version and cached in the store."""
        cached = self.store.get_summary(article.content_hash, QUOTES_METHOD, QUOTES_MODEL)
        if cached is not None:
            return [Quote.from_dict(q) for q in cached["quotes"]]
        quotes = extract_quotes(article.text)
        self.store.put_summary(article.content_hash, QUOTES_METHOD, QUOTES_MODEL,
                               {"quotes": [q.as_dict() for q in quotes]}, article_id=article.id)
        return quotes

    def people_for(self, article: Article) -> list[Person]:
        """Named people of an article version, found once (spaCy is the slow part of answering) and cached."""
        cached = self.store.get_summary(article.content_hash, PEOPLE_METHOD, QUOTES_MODEL)
        if cached is not None:
            return [Person.from_dict(p) for p in cached["people"]]
        people = find_people(article.text)
        self.store.put_summary(article.content_hash, PEOPLE_METHOD, QUOTES_MODEL,
                               {"people": [p.as_dict() for p in people]}, article_id=article.id)
        return people

    def warm(self, article: Article) -> None:
        """Compute and cache everything a briefing or a question may need, ahead of any request."""
        self.three_things_for(article)
        self.people_for(article)
        self.quotes_for(article)

    def answer(self, question: str, articles: Sequence[Article] | None = None) -> FigureAnswer:
        if articles is None:
            articles = self.store.latest_articles(ASK_WINDOW)
        return answer_question(question, articles, quotes_for=self.quotes_for, people_for=self.people_for)

    # -- commands -----------------------------------------------------------------------------

    def handle_text(self, text: str, requester: Requester) -> Reply:
        """Parse and run the text of a `/brief` command; malformed input becomes a usage notice."""
        try:
            request = parse_brief(text)
        except CommandError as exc:
            return Notice(str(exc), ok=False)
        return self.handle(request, requester)

    def handle(self, request: BriefRequest, requester: Requester) -> Reply:
        match request.kind:
            case "digest":
                return self.digest()
            case "topic":
                return self.brief_topic(request.arg or "")
            case "url":
                return self.brief_url(request.arg or "")
            case "figure":
                return self.answer(f"what's the latest on {request.arg}?")
            case "help":
                return Notice(USAGE)
            case "subscribe" | "unsubscribe" | "list":
                return self._subscriptions(request, requester)
        return Notice(USAGE, ok=False)

    def _subscriptions(self, request: BriefRequest, requester: Requester) -> Notice:
        """Manage daily digests; only people who may manage the server or workspace can change them."""
        if request.kind == "list":
            subs = self.store.list_subscriptions(requester.platform, requester.workspace_id)
            if not subs:
                return Notice("No daily briefings are set up here.")
            return Notice("Daily briefings:", lines=tuple(
                f"<#{s.channel_id}> at {s.time} {s.timezone}" for s in subs))
        if request.needs_manager and not requester.can_manage:
            log.info("refused %s by %s/%s: not a manager", request.kind, requester.platform, requester.user_id)
            return Notice("Only server or workspace managers can change daily briefings.", ok=False)
        channel = request.channel or requester.channel_id
        if request.kind == "unsubscribe":
            if self.store.remove_subscription(requester.platform, channel):
                return Notice(f"Daily briefing for <#{channel}> stopped.")
            return Notice(f"<#{channel}> has no daily briefing.", ok=False)
        sub = self.store.add_subscription(requester.platform, channel, request.time or "08:00",
                                          request.timezone or "UTC", workspace_id=requester.workspace_id,
                                          created_by=requester.user_id)
        return Notice(f"Daily briefing for <#{sub.channel_id}> at {sub.time} {sub.timezone}.")


def _link(article: Article) -> Link:
    return Link(title=article.label, url=article.url, source=article.source, published=article.published)


def _group(articles: Sequence[Article]) -> list[list[Article]]:
    """One group per story, newest story first: stored near-duplicates (`story_of`) join their first copy,
    then groups whose lead texts still look alike are merged."""
    keyed: dict[object, list[Article]] = {}
    for a in articles:
        story = a.extra.get("story_of") if a.extra else None
        key: object = story if isinstance(story, int) else (a.id if a.id is not None else id(a))
        keyed.setdefault(key, []).append(a)
    by_lead = {id(g[0]): g for g in keyed.values()}
    merged = group_stories([g[0] for g in keyed.values()])
    return [[a for lead in grp for a in by_lead[id(lead)]] for grp in merged]
