"""Plain data shared by every summarizer, so callers never depend on one method's internals."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    """What a check did to a model-written point: "rejected" (replaced) or "rewritten" (e.g. attributed).

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
