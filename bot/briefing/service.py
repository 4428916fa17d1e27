"""The briefing core: every platform asks it the same questions and gets plain data back.

It owns the summary cache policy (summaries are computed once per article version, method and model)
and the subscription permission check, so no adapter can forget either.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.articles.models import Article
from bot.briefing.figure_answers import answer_question
from bot.briefing.intake import intake
from bot.briefing.models import Digest, FigureAnswer, Link, Notice, Reply, StoryBrief
from bot.briefing.summaries import SummaryModel
from bot.commands import FEED_KINDS, USAGE, BriefRequest, CommandError, Requester, parse_brief
from bot.delivery import SCHEDULED_PLATFORMS
from bot.follows.service import FollowCommands
from bot.settings import Settings
from bot.sources.service import SourcesService
from bot.store import ArticleOrigin, SourceScope, Store
from bot.store.scope import PRIVATE
from bot.stories import ChannelStory, Story, cluster_articles, outlet_of, stories_for_channel
from summarizers.methods.abstractive import AbstractiveModel
from summarizers.methods.story_brief import brief_story
from summarizers.methods.three_things import three_things
from summarizers.people.names import find_people
from summarizers.people.quotes import extract_quotes
from summarizers.types import Person, Point, Quote, SourceArticle, StoryThreeThings, ThreeThings

log = logging.getLogger(__name__)

EXTRACTIVE = "extractive"
CHECKED = "+model-check"  # cache-key suffix: results that also passed the model's own check
QUOTES_METHOD, PEOPLE_METHOD, QUOTES_MODEL = "quotes", "people", "spacy-sm"
STORY_METHOD = "story-brief"
ASK_WINDOW = 200  # newest stored articles searched when answering about a figure
MAX_DIGEST_STORIES = 100  # the most stories one digest lists, whatever limit is asked for


class BriefingService:
    """Digest, brief on a topic or URL, answer about a figure, manage subscriptions."""

    def __init__(self, store: Store, settings: Settings, *, model: AbstractiveModel | None = None,
                 load_default_model: bool = True) -> None:
        self.store = store
        self.settings = settings
        self._model = model
        self._loader = SummaryModel(settings) if model is None and load_default_model else None
        self.sources = SourcesService(store, settings)
        self.follows = FollowCommands(store, lambda name: self.answer(f"who is {name}?"))

    # -- model --------------------------------------------------------------------------------

    @property
    def model(self) -> AbstractiveModel | None:
        """The abstractive model, loaded on first use; None (said once in the log) when unavailable."""
        if self._model is None and self._loader is not None:
            self._model = self._loader.get()
        return self._model

    @property
    def model_note(self) -> str | None:
        """One clean notice for the reader when the model could not be used (details are in the log)."""
        return self._loader.note if self._loader is not None else None

    # -- stories ------------------------------------------------------------------------------

    def three_things_for(self, article: Article) -> ThreeThings:
        """The cached three things to know for this article version, computing them at most once."""
        model = self.model
        # The model's own check changes which points survive: its results are cached apart.
        written_by = f"{model.name}{CHECKED if self.settings.model_check else ''}" if model else EXTRACTIVE
        key = (article.content_hash, "three-things", written_by)
        cached = self.store.get_summary(*key)
        if cached is not None:
            return ThreeThings.from_dict(cached)
        result = three_things(article.text, title=article.title or None, model=model,
                              timeout_s=self.settings.model_timeout_s,
                              max_new_tokens=self.settings.model_max_new_tokens,
                              model_check=self.settings.model_check)
        if model is not None and self._loader is not None:
            self._loader.record()
        # Cache under this model's key even when grounding replaced every model point (asking again would
        # give the same answer), but not after a timeout or error: those may pass, so a later request
        # tries the model again while the extractive result is kept under its own key. A model check that
        # gave no usable answer leaves rule-checked points: they are the unchecked result, not the checked.
        cache_model = key[2] if result.fallback is None else EXTRACTIVE
        if model is not None and result.fallback is None and any(c.action == "skipped" for c in result.checks):
            cache_model = model.name
        self.store.put_summary(article.content_hash, "three-things", cache_model, result.as_dict(),
                               article_id=article.id)
        return result

    def story_points(self, articles: Sequence[Article]) -> ThreeThings:
        """Three things to know from a story's articles (given oldest first) when one outlet tells it:
        the first article's cached three things. Several outlets: `outlet_brief_for`."""
        return self.three_things_for(articles[0])

    def outlet_brief_for(self, articles: Sequence[Article]) -> StoryThreeThings:
        """The brief of a story from all its articles, citing outlets and saying where they disagree;
        computed once per set of article versions and outlets (which its citations name), under the
        cache policy of `three_things_for`."""
        model = self.model
        sources = [SourceArticle(outlet_of(a), a.text, a.title, a.url, a.published) for a in articles]
        key = hashlib.sha256("\n".join(f"{s.outlet}\t{a.content_hash}" for s, a in zip(sources, articles, strict=True))
                             .encode("utf-8")).hexdigest()
        model_key = model.name if model else EXTRACTIVE
        cached = self.store.get_summary(key, STORY_METHOD, model_key)
        if cached is not None:
            return StoryThreeThings.from_dict(cached)
        result = brief_story(sources, model=model, timeout_s=self.settings.model_timeout_s,
                             max_new_tokens=self.settings.model_max_new_tokens)
        self.store.put_summary(key, STORY_METHOD, model_key if result.fallback is None else EXTRACTIVE,
                               result.as_dict())
        return result

    def story_brief(self, item: ChannelStory) -> StoryBrief:
        """One story for a digest: every outlet's link; for an update, points from the new articles only
        and a note naming what is new since the channel's last digest."""
        story = item.story
        told = list(item.new) if item.update else list(story.articles)
        outlet_brief = self.outlet_brief_for(told) if len({outlet_of(a) for a in told}) >= 2 else None
        if outlet_brief is not None:  # several outlets: written from all of them, citing each
            points = tuple(Point(p.text, p.citations[0].sentences if p.citations else (), p.method)
                           for p in outlet_brief.points)
            tt = ThreeThings(points, outlet_brief.note, outlet_brief.model, outlet_brief.fallback)
        else:
            tt = self.story_points(told)
        note = tt.note
        if item.update:
            outlets = item.new_outlets
            count = len(item.new)
            what = f"{count} new article{'s' if count != 1 else ''}"
            extra = f", first report{'s' if len(outlets) != 1 else ''} from {', '.join(outlets)}" if outlets else ""
            note = f"Update since the last briefing: {what}{extra}." + (f" {tt.note}" if tt.note else "")
        return StoryBrief(title=story.title or story.articles[0].label, points=tt.points,
                          links=tuple(_link(a) for a in story.articles), published=story.published, note=note,
                          article_ids=story.article_ids, outlets=story.outlets, story_id=story.id if story.id > 0
                          else None, update=item.update, outlet_brief=outlet_brief)

    def digest(self, *, limit: int | None = None, articles: Sequence[Article] | None = None,
               stories: Sequence[ChannelStory] | None = None, since: datetime | None = None,
               query: str | None = None, heading: str | None = None,
               empty_message: str = "No new stories since the last briefing.",
               progress: Callable[[list[ChannelStory]], Iterable[ChannelStory]] | None = None,
               scope: SourceScope | None = None) -> Digest:
        """Brief the newest stories (or those of the given articles, or the given channel stories), one
        entry per story with every outlet's link. `limit` counts stories (at most MAX_DIGEST_STORIES).

        `progress` may wrap the per-story loop (the CLI shows a bar on a TTY while a model runs).
        `scope` limits stored stories and their links to what one tenant may see (`bot.store.scope`).
        """
        limit = min(limit or self.settings.digest_limit, MAX_DIGEST_STORIES)
        if stories is None:
            if articles is None:
                stories = [ChannelStory(st, st.articles)
                           for st in self.store.latest_stories(limit, since=since, query=query, scope=scope)]
            else:
                stories = [ChannelStory(st, st.articles) for st in self._stories_of(articles, scope)]
        items = list(stories)[:limit]
        briefs = tuple(self.story_brief(item) for item in (progress(items) if progress else items))
        notices = (self.model_note,) if self.model_note else ()
        return Digest(heading=heading or "Three things to know", stories=briefs,
                      generated_at=datetime.now(UTC), empty_message=None if briefs else empty_message,
                      notices=notices)

    def channel_digest(self, subscription_id: int, *, since: datetime, until: datetime, heading: str,
                       empty_message: str = "No new stories since the last briefing.",
                       scope: SourceScope | None = None) -> Digest:
        """A channel's digest: stories with articles stored in (since, until] that this channel has not
        been shown; a story an earlier digest carried comes back only as an update with its new articles.
        `scope`: the channel's tenant (what it may see)."""
        shown = self.store.posted_article_ids(subscription_id)
        return self.new_since(since, until=until, shown=shown, heading=heading, empty_message=empty_message,
                              scope=scope)

    def new_since(self, since: datetime, *, until: datetime | None = None, shown: Iterable[int] | None = None,
                  limit: int | None = None, heading: str | None = None,
                  empty_message: str = "No new stories since the last briefing.",
                  scope: SourceScope | None = None) -> Digest:
        """Stories with articles stored in (since, until]. A story that also has articles the reader was
        shown (`shown`; by default every article stored up to `since`) is an update telling only the new
        ones. `briefbot digest --since` uses the default; a channel passes what its digests posted."""
        limit = min(limit or self.settings.digest_limit, MAX_DIGEST_STORIES)
        candidates = self.store.latest_stories(limit * 4, since=since, until=until, scope=scope)
        if until is not None:  # articles stored while this digest is built belong to the next one
            candidates = [_until(st, until) for st in candidates]
        fresh = {a.id for st in candidates for a in st.articles if a.id is not None and a.added_at is not None
                 and a.added_at > since and (until is None or a.added_at <= until)}
        if shown is None:
            shown = {a.id for st in candidates for a in st.articles if a.id is not None and a.id not in fresh}
        items = stories_for_channel(candidates, shown, fresh=fresh)
        return self.digest(stories=items, limit=limit, heading=heading, empty_message=empty_message)

    def _stories_of(self, articles: Sequence[Article], scope: SourceScope | None = None) -> list[Story]:
        """Stored articles' stories; articles never stored are grouped among themselves for this digest."""
        stored = [a for a in articles if a.id is not None]
        loose = [a for a in articles if a.id is None]
        out = self.store.stories_of(stored, scope=scope)
        now = datetime.now(UTC)
        for n, group in enumerate(cluster_articles(loose, embed=self.settings.story_embeddings), start=1):
            members = tuple(loose[i] for i in group)
            out.append(Story(-n, members[0].label, members, now, now))  # negative id: not a stored story
        return out

    def brief_topic(self, topic: str, scope: SourceScope | None = None) -> Digest:
        return self.digest(query=topic, heading=f"Three things to know: {topic}",
                           empty_message=f"I have no stories about “{topic}” yet.", scope=scope)

    def brief_url(self, url: str, scope: SourceScope | None = None) -> Reply:
        """Fetch (SSRF-safe), store and brief one article link, with the other outlets of its story that
        the asker's tenant may see. The tenant may see the article from now on."""
        tenant = (scope.tenant or PRIVATE) if scope is not None else None
        origin = ArticleOrigin(tenant=tenant) if tenant else None
        result = next(iter(intake([url], self.store, self.settings, origin=origin)))
        if result.error:
            log.info("could not brief %s: %s", url, result.error)
            return Notice(f"I couldn't read that link: {result.error}", ok=False)
        articles = result.articles
        if not articles:
            return Notice("That page has no article text I can brief.", ok=False)
        if tenant:
            for known in result.known:  # fetched before and unchanged: stored already, maybe by another tenant
                if known.id is not None:
                    self.store.grant_article(known.id, tenant)
        return self.digest(articles=articles, heading=f"Three things to know: {articles[0].label}",
                           scope=SourceScope(tenant) if tenant else None)

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

    def answer(self, question: str, articles: Sequence[Article] | None = None,
               scope: SourceScope | None = None) -> FigureAnswer:
        if articles is None:
            articles = self.store.latest_articles(ASK_WINDOW, scope=scope)
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
        scope = SourceScope.of(requester.platform, requester.workspace_id, requester.user_id)
        if request.kind in FEED_KINDS:
            return self.sources.handle(request, requester)
        match request.kind:
            case "digest":
                return self.digest(scope=scope)
            case "topic":
                return self.brief_topic(request.arg or "", scope)
            case "url":
                return self.brief_url(request.arg or "", scope)
            case "figure":
                return self.answer(f"what's the latest on {request.arg}?", scope=scope)
            case "help":
                return Notice(USAGE)
            case "follow" | "unfollow" | "following":
                return self.follows.handle(request, requester)
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
        if request.kind == "subscribe" and requester.platform not in SCHEDULED_PLATFORMS:
            # Only `briefbot run` posts scheduled digests, to Discord and Slack; a terminal subscription would
            # be stored, listed and never delivered.
            return Notice("Daily briefings are posted to Discord and Slack channels by `briefbot run`. In the "
                          "terminal, `briefbot digest --since DATE` shows what is new.", ok=False)
        if request.kind == "unsubscribe":
            if self.store.remove_subscription(requester.platform, channel):
                return Notice(f"Daily briefing for <#{channel}> stopped.")
            return Notice(f"<#{channel}> has no daily briefing.", ok=False)
        sub = self.store.add_subscription(requester.platform, channel, request.time or "08:00",
                                          request.timezone or "UTC", workspace_id=requester.workspace_id,
                                          created_by=requester.user_id)
        return Notice(f"Daily briefing for <#{sub.channel_id}> at {sub.time} {sub.timezone}.")


def _until(story: Story, until: datetime) -> Story:
    kept = tuple(a for a in story.articles if a.added_at is None or a.added_at <= until)
    return replace(story, articles=kept)


def _link(article: Article) -> Link:
    return Link(title=article.label, url=article.url, source=article.source, published=article.published)
