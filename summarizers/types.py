"""Plain data shared by every summarizer, so callers never depend on one method's internals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of the source text with its `[start, end)` character offsets into that text."""

    text: str
    start: int
    end: int

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "sentence": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sentence:
        return cls(data["sentence"], data["start"], data["end"])


@dataclass(frozen=True, slots=True)
class Point:
    """One briefing point and the source sentences that support it.

    `method` says how the wording was produced ("extractive" copies a sentence, "abstractive" was
    written by a model and passed the grounding check), so renderers and tests can tell them apart.
    """

    text: str
    sources: tuple[Sentence, ...]
    method: str = "extractive"

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "sources": [s.as_dict() for s in self.sources], "method": self.method}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Point:
        return cls(data["text"], tuple(Sentence.from_dict(s) for s in data.get("sources", [])),
                   data.get("method", "extractive"))


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What a check did to a model-written point: "rejected" (replaced) or "rewritten" (e.g. attributed);
    "skipped" when a check could not judge (the model's own pass timed out: `text` is empty, `reason` says).

    Kept in the result so a reader of the JSON can see which checks rejected what, and why.
    """

    text: str
    check: str
    reason: str
    action: str = "rejected"

    def as_dict(self) -> dict[str, str]:
        return {"text": self.text, "check": self.check, "reason": self.reason, "action": self.action}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(data["text"], data["check"], data["reason"], data.get("action", "rejected"))


@dataclass(frozen=True, slots=True)
class ThreeThings:
    """The "three things to know": at most three points; `note` explains when there are fewer.

    `model` names the model whose wording survived the grounding check (None: all extractive);
    `fallback` says why a model that was asked did not answer ("timeout", "error") or why none of its
    points survived ("rejected"), so callers don't cache a transient failure as that model's result;
    `checks` lists each model point a check rejected or rewrote, with the check's reason.
    """

    points: tuple[Point, ...]
    note: str | None = None
    model: str | None = None
    fallback: str | None = None
    checks: tuple[CheckResult, ...] = ()

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"points": [p.as_dict() for p in self.points]}
        if self.note:
            out["note"] = self.note
        if self.model:
            out["model"] = self.model
        if self.fallback:
            out["fallback"] = self.fallback
        if self.checks:
            out["checks"] = [c.as_dict() for c in self.checks]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ThreeThings:
        """Inverse of `as_dict` (cached summaries are stored in that shape)."""
        return cls(
            tuple(Point.from_dict(p) for p in data.get("points", [])),
            data.get("note"),
            data.get("model"),
            data.get("fallback"),
            tuple(CheckResult.from_dict(c) for c in data.get("checks", [])),
        )


@dataclass(frozen=True, slots=True)
class Quote:
    """A direct quote with its speaker (None when unknown) and offsets of the quoted words."""

    speaker: str | None
    quote: str
    start: int
    end: int
    partial: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quote:
        return cls(data["speaker"], data["quote"], data["start"], data["end"], data.get("partial", False))

    def as_dict(self) -> dict[str, object]:
        return {
            "speaker": self.speaker,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "partial": self.partial,
        }


@dataclass(frozen=True, slots=True)
class Person:
    """A named person found in a text, with the surface forms that refer to them."""

    name: str
    aliases: frozenset[str] = field(default_factory=frozenset)
    mentions: tuple[tuple[int, int], ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "aliases": sorted(self.aliases), "mentions": [list(m) for m in self.mentions]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Person:
        return cls(data["name"], frozenset(data["aliases"]), tuple((m[0], m[1]) for m in data["mentions"]))


# -- stories: one event told by several outlets ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceArticle:
    """One outlet's article about a story, as the story brief needs it (no storage or platform fields)."""

    outlet: str
    text: str
    title: str = ""
    url: str | None = None
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoryLink:
    """Where one of the story's articles can be read; `StoryThreeThings.links` follows the input order."""

    outlet: str
    title: str = ""
    url: str | None = None
    published: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {"outlet": self.outlet, "title": self.title, "url": self.url,
                "published": self.published.isoformat() if self.published else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoryLink:
        published = data.get("published")
        return cls(data["outlet"], data.get("title", ""), data.get("url"),
                   datetime.fromisoformat(published) if published else None)


@dataclass(frozen=True, slots=True)
class Citation:
    """An outlet whose text supports a point: `article` indexes `StoryThreeThings.links`, and the
    sentences' offsets point into that article's text (as `Point.sources` do for one article)."""

    outlet: str
    article: int
    sentences: tuple[Sentence, ...]

    def as_dict(self) -> dict[str, object]:
        return {"outlet": self.outlet, "article": self.article, "sentences": [s.as_dict() for s in self.sentences]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        return cls(data["outlet"], data["article"], tuple(Sentence.from_dict(s) for s in data["sentences"]))


@dataclass(frozen=True, slots=True)
class StoryPoint:
    """One point of a story brief and every outlet whose text supports it.

    `disagreements` indexes `StoryThreeThings.disagreements` that concern this point, so a renderer
    can say "outlets differ" next to it instead of letting one outlet's figure stand as fact.
    """

    text: str
    citations: tuple[Citation, ...]
    method: str = "extractive"
    disagreements: tuple[int, ...] = ()

    @property
    def outlets(self) -> tuple[str, ...]:
        """Distinct outlets cited, in citation order."""
        return tuple(dict.fromkeys(c.outlet for c in self.citations))

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "citations": [c.as_dict() for c in self.citations], "method": self.method,
                "disagreements": list(self.disagreements)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoryPoint:
        return cls(data["text"], tuple(Citation.from_dict(c) for c in data.get("citations", [])),
                   data.get("method", "extractive"), tuple(data.get("disagreements", ())))


@dataclass(frozen=True, slots=True)
class Claim:
    """What one outlet says on a disputed matter: `text` is its own words (a short span of `sentence`),
    `value` the normalised reading compared across outlets ("12", "resigned", "will resign")."""

    outlet: str
    article: int
    text: str
    value: str
    sentence: Sentence

    def as_dict(self) -> dict[str, object]:
        return {"outlet": self.outlet, "article": self.article, "text": self.text, "value": self.value,
                "sentence": self.sentence.as_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        return cls(data["outlet"], data["article"], data["text"], data["value"], Sentence.from_dict(data["sentence"]))


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Outlets that report the same matter differently: a `number` ("at least 12 dead" / "15 dead") or a
    `claim` ("resigned" / "will resign", "signed" / "did not sign"). `subject` names the matter."""

    kind: str
    subject: str
    claims: tuple[Claim, ...]

    @property
    def sides(self) -> tuple[tuple[Claim, ...], ...]:
        """Claims grouped by value (outlets that say the same thing together), in first-seen order."""
        groups: dict[str, list[Claim]] = {}
        for c in self.claims:
            groups.setdefault(c.value, []).append(c)
        return tuple(tuple(g) for g in groups.values())

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "subject": self.subject, "claims": [c.as_dict() for c in self.claims]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Disagreement:
        return cls(data["kind"], data["subject"], tuple(Claim.from_dict(c) for c in data["claims"]))


@dataclass(frozen=True, slots=True)
class StoryThreeThings:
    """Three things to know about a story, written from all its articles together.

    `links` has one entry per input article (same order; `Citation.article` indexes it). `note`,
    `model` and `fallback` mean what they mean in `ThreeThings`.
    """

    points: tuple[StoryPoint, ...]
    links: tuple[StoryLink, ...]
    disagreements: tuple[Disagreement, ...] = ()
    note: str | None = None
    model: str | None = None
    fallback: str | None = None

    @property
    def outlets(self) -> tuple[str, ...]:
        """Distinct outlets behind the story, in input order ("N outlets" is its length)."""
        return tuple(dict.fromkeys(link.outlet for link in self.links))

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"points": [p.as_dict() for p in self.points],
                                  "links": [link.as_dict() for link in self.links],
                                  "disagreements": [d.as_dict() for d in self.disagreements]}
        if self.note:
            out["note"] = self.note
        if self.model:
            out["model"] = self.model
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoryThreeThings:
        return cls(tuple(StoryPoint.from_dict(p) for p in data.get("points", [])),
                   tuple(StoryLink.from_dict(link) for link in data.get("links", [])),
                   tuple(Disagreement.from_dict(d) for d in data.get("disagreements", [])),
                   data.get("note"), data.get("model"))
