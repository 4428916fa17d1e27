"""Stories told by several outlets, rendered: "N outlets", each point's outlets, who says what where they
differ; outlet names and claims are untrusted and never ping, link or break the markup."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fake_slack import limit_problems, pings

from bot.briefing.models import Digest, Link, StoryBrief
from bot.render import discord as discord_render
from bot.render import slack as slack_render
from bot.render import text as text_render
from bot.render.json import to_dict
from summarizers.methods.story_brief import brief_story
from summarizers.types import (
    Citation,
    Claim,
    Disagreement,
    Point,
    Sentence,
    SourceArticle,
    StoryLink,
    StoryPoint,
    StoryThreeThings,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LABELLED = Path(__file__).parent / "fixtures" / "stories" / "labelled.json"
EVIL = "@everyone <@123> <!channel> <#C1> [x](https://evil.example) *bold* _it_"
LIVE_DISCORD = re.compile(r"@everyone|@here|<@[!&]?\d+>|<#\d+>", re.IGNORECASE)


def _articles(outlets: dict[str, str] | None = None) -> list[SourceArticle]:
    story = next(s for s in json.loads(LABELLED.read_text(encoding="utf-8"))["stories"] if s["id"] == "flood-deaths")
    rename = outlets or {}
    return [SourceArticle(rename.get(a["outlet"], a["outlet"]), a["text"], a["title"], a["url"],
                          datetime.fromisoformat(a["published"])) for a in story["articles"]]


@cache
def story(evil: bool = False) -> StoryBrief:
    """The flood story as the digest builds it: three outlets, one disputed death toll."""
    arts = _articles({"Daily Courier": f"Daily Courier {EVIL}"} if evil else None)
    brief = brief_story(arts)
    points = tuple(Point(p.text, p.citations[0].sentences, p.method) for p in brief.points)
    links = tuple(Link(a.title, a.url, a.outlet, a.published) for a in arts)
    return StoryBrief(arts[0].title, points, links, arts[0].published, outlets=brief.outlets, outlet_brief=brief)


def digest(evil: bool = False) -> Digest:
    return Digest("Three things to know", (story(evil),), NOW)


def test_text_shows_outlets_citations_and_who_says_what() -> None:
    out = text_render.render(digest())
    assert "· 3 outlets" in out
    assert "(Northern Herald, Daily Courier, Metro Wire)" in out  # the state of emergency: all three
    assert "Outlets differ:" in out
    assert "Northern Herald, Metro Wire: “at least 12 people were killed” · Daily Courier: “Fifteen people died”" in out
    assert "; outlets differ)" in out  # the point stating the toll says so
    for link in story().links:
        assert link.url and link.url in out
    markdown = text_render.render(digest(), markdown=True)
    assert "**Outlets differ:**" in markdown and "- Northern Herald, Metro Wire:" in markdown


def test_discord_shows_outlets_and_disagreements_and_nothing_pings() -> None:
    [message] = discord_render.render(digest())
    fields = {f.name: f.value for e in message.embeds for f in e.fields}
    assert "Sources · 3 outlets" in fields and "Outlets differ" in fields
    assert "Daily Courier: “Fifteen people died”" in (fields["Outlets differ"] or "")
    assert "*(Northern Herald, Daily Courier, Metro Wire)*" in (message.embeds[0].description or "")
    evil = discord_render.render(digest(evil=True))
    shown = json.dumps([e.to_dict() for m in evil for e in m.embeds]) + "".join(m.content for m in evil)
    assert not LIVE_DISCORD.search(shown)
    assert "[x](https://evil.example)" not in shown and "\\\\[x\\\\]" in shown


def test_slack_shows_outlets_and_disagreements_and_nothing_pings() -> None:
    messages = slack_render.render(digest())
    texts = json.dumps([m.blocks for m in messages], ensure_ascii=False)
    assert "*3 outlets*" in texts and "*Outlets differ:*" in texts
    assert "Daily Courier: “Fifteen people died”" in texts
    assert "_(Northern Herald, Daily Courier, Metro Wire)_" in texts
    for m in slack_render.render(digest(evil=True)):
        assert pings(m.text, m.blocks) == [] and limit_problems(m.text, m.blocks) == []
        sections = json.dumps([b for b in m.blocks if b["type"] == "section"], ensure_ascii=False)
        assert "<https://evil.example" not in sections and "*bold*" not in sections and "_it_" not in sections
        assert "Daily Courier @\u200beveryone &lt;@123&gt;" in sections


def test_json_carries_every_citation_and_disagreement() -> None:
    data = to_dict(digest())
    brief = data["stories"][0]["outlet_brief"]
    assert len(brief["links"]) == 3 and [link["url"] for link in brief["links"]] == [lnk.url for lnk in story().links]
    assert brief["disagreements"][0]["kind"] == "number"
    assert {c["outlet"] for c in brief["disagreements"][0]["claims"]} == {"Northern Herald", "Daily Courier",
                                                                          "Metro Wire"}
    assert all(p["citations"] for p in brief["points"])


def test_a_one_outlet_story_renders_as_before() -> None:
    plain = StoryBrief("One", (Point("A fact.", ()),), (Link("One", "https://a.example/1", "A"),), NOW)
    out = text_render.render(Digest("h", (plain,), NOW))
    assert "outlets" not in out and "differ" not in out


def test_hostile_claims_and_outlets_never_ping_or_link() -> None:
    said = Sentence(EVIL, 0, len(EVIL))
    claims = (Claim(EVIL, 0, f"{EVIL} 12 dead", "12", said), Claim("B", 1, f"15 dead {EVIL}", "15", said))
    brief = StoryThreeThings(
        (StoryPoint(f"12 dead {EVIL}", (Citation(EVIL, 0, (said,)),), disagreements=(0,)),),
        (StoryLink(EVIL, EVIL, "https://a.example/1"), StoryLink("B", "b", "https://b.example/2")),
        (Disagreement("number", "dead", claims),),
    )
    evil = StoryBrief(EVIL, (Point(f"12 dead {EVIL}", (said,)),),
                      (Link(EVIL, "https://a.example/1", EVIL), Link("b", "https://b.example/2", "B")), NOW,
                      outlets=(EVIL, "B"), outlet_brief=brief)
    reply = Digest("h", (evil,), NOW)
    for m in discord_render.render(reply):
        shown = json.dumps([e.to_dict() for e in m.embeds]) + m.content
        assert not LIVE_DISCORD.search(shown) and "](https://evil" not in shown
    for m in slack_render.render(reply):
        assert pings(m.text, m.blocks) == [] and limit_problems(m.text, m.blocks) == []
        sections = json.dumps([b for b in m.blocks if b["type"] == "section"], ensure_ascii=False)
        assert "<https://evil.example" not in sections
