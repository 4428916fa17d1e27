"""Turn a user's question about a public figure into an intent, a name and an optional topic.

Users DM the bot in plain English ("what did Musk say about Trump?", "who is Shawn Fain?", "what's the
latest on the border?"). A small set of patterns covers the ways people ask; anything that is not about
a figure or topic ("hello", "thanks") gives None so the caller can show help instead of guessing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

Intent = Literal["said", "who", "latest"]

MAX_QUESTION_CHARS = 300
_SAY = (
    r"(?:say|said|says|saying|tweet|tweets|tweeted|tweeting|post|posts|posted|posting|claim|claims|claimed|"
    r"claiming|tell|tells|told|telling|write|writes|wrote|writing|think|thinks|thought|argue|argued|"
    r"comment|commented|announce|announced|mean|meant|respond|responded|react|reacted)"
)
_AUX = r"(?:did|does|do|has|have|had|is|was|were|will)"
_FILLER = r"(?:(?:been|just|recently|actually|really|publicly|ever|even)\s+)*"
_TOPIC = re.compile(
    r"^\s*(?:about|on|of|to|regarding|concerning|re:?|around|over|towards?)\s+(?P<topic>.+?)\s*$",
    re.IGNORECASE,
)
_TRAILING_TIME = re.compile(
    r"\s+(?:lately|recently|today|yesterday|tonight|now|so far|these days|this (?:week|month|year|morning)|"
    r"last (?:week|night|month)|in the news|in (?:my|the) articles|anything|something)$",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|so|please|pls|bot|briefbot|@briefbot)\b[,!:]?\s*)+|"
    r"^(?:can|could|would) you (?:please )?(?:tell me|find out|check|show me)\s+|^(?:tell me|show me)\s+(?=what|who)|"
    r"^(?:do you know|i(?:'d| would) like to know|i want to know)\s+",
    re.IGNORECASE,
)

_SAID_PATTERNS = [
    re.compile(rf"^what\s+{_AUX}\s+(?P<name>.+?)\s+{_FILLER}{_SAY}\b(?P<rest>.*)$", re.IGNORECASE),
    re.compile(rf"^(?:what|everything)\s+(?!{_AUX}\s)(?P<name>.+?)\s+(?:has\s+|had\s+|is\s+|was\s+)?{_FILLER}{_SAY}\b(?P<rest>.*)$",
               re.IGNORECASE),
    re.compile(rf"^(?:did|has|have|does)\s+(?P<name>.+?)\s+{_FILLER}{_SAY}\b(?P<rest>.*)$", re.IGNORECASE),
    re.compile(rf"^how\s+{_AUX}\s+(?P<name>.+?)\s+{_FILLER}(?:respond|responded|react|reacted)\b(?P<rest>.*)$",
               re.IGNORECASE),
    re.compile(r"^(?:any\s+|the\s+|latest\s+|recent\s+)*(?:quotes?|comments|remarks|statements|words)\s+"
               r"(?:from|by|of)\s+(?P<name>.+?)(?P<rest>\s+(?:about|on|regarding|concerning)\s+.+)?$",
               re.IGNORECASE),
    re.compile(r"^(?P<name>.+?)(?:'s|')\s+(?:quotes|comments|remarks|statements|words|views)\b(?P<rest>.*)$",
               re.IGNORECASE),
    re.compile(r"^(?:quote|quotes)\s+(?P<name>.+?)(?P<rest>\s+(?:about|on|regarding)\s+.+)?$", re.IGNORECASE),
]
_WHO_PATTERNS = [
    re.compile(r"^who\s+(?:is|was|are|were)\s+(?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^(?:tell me about|what do you know about|what can you tell me about|info(?:rmation)? (?:on|about)|"
               r"background on|describe|explain who)\s+(?P<name>.+)$", re.IGNORECASE),
]
_LATEST_PATTERNS = [
    re.compile(r"^what\s+is\s+(?:the\s+)?(?:latest|newest|new|news|happening|going on|up)\s+"
               r"(?:on|with|about|for|regarding|from|in)\s+(?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^(?:the\s+|any\s+)?(?:latest|news|updates?|anything new|new|what is new|headlines)\s+"
               r"(?:on|about|with|for|from|regarding|in)\s+(?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^what\s+(?:is|has)\s+(?P<name>.+?)\s+(?:been\s+)?(?:up to|doing)$", re.IGNORECASE),
    re.compile(r"^(?:what|any)\s+(?:news|updates?)\s+(?:on|about|for)\s+(?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^(?:what\s+is\s+)?(?:happening|going on)\s+with\s+(?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^(?:catch me up|fill me in|brief me|update me)\s+on\s+(?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^(?P<name>.+?)\s+(?:news|latest|updates?|headlines)$", re.IGNORECASE),
]
_NAME_ONLY = re.compile(r"^(?:[A-Z][\w.'’-]*|de|van|von|al|bin)(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|al|bin)){0,3}$")
_NOT_NAMES = frozenset(
    """help thanks thank hello hi hey ok okay yes no stop start menu settings subscribe unsubscribe list he she
    they him her it you i we that this them everyone anyone someone people""".split()
)


@dataclass(frozen=True, slots=True)
class Question:
    """What the user asked: `intent`, the figure's `name` as typed (None for a topic-only question such
    as "what's the latest on the border?"), and the `topic` of "what did X say about Y"."""

    intent: Intent
    name: str | None
    topic: str | None


def parse_question(text: str) -> Question | None:
    """Parse a question about a figure or topic; None when it is about neither."""
    if not isinstance(text, str):
        return None
    q = _normalise(text)
    if not q:
        return None
    for pattern in _SAID_PATTERNS:
        m = pattern.match(q)
        if m and _clean_name(m.group("name")):
            return Question("said", _clean_name(m.group("name")), _topic(m.groupdict().get("rest") or ""))
    for pattern in _WHO_PATTERNS:
        m = pattern.match(q)
        if m and _clean_name(m.group("name")):
            return Question("who", _clean_name(m.group("name")), None)
    for pattern in _LATEST_PATTERNS:
        m = pattern.match(q)
        if m:
            subject = _clean_name(m.group("name"))
            if subject:
                return _latest(subject)
    if _NAME_ONLY.match(q) and q.casefold() not in _NOT_NAMES:
        return Question("latest", q, None)  # a bare name: "Elon Musk"
    log.debug("not a question about a figure: %r", text[:80])
    return None


def _normalise(text: str) -> str:
    q = " ".join(text.replace("’", "'").replace("‘", "'").split())[:MAX_QUESTION_CHARS]
    q = _LEAD_IN.sub("", q).strip()
    q = re.sub(r"[?!.。]+$", "", q).strip()
    q = re.sub(r"\bwhat's\b|\bwhats\b", "what is", q, flags=re.IGNORECASE)
    q = re.sub(r"\bwho's\b|\bwhos\b", "who is", q, flags=re.IGNORECASE)
    return q


def _clean_name(raw: str) -> str | None:
    name = _TRAILING_TIME.sub("", raw.strip(" ,;:\"'“”")).strip()
    name = re.sub(r"(?:'s|')$", "", name).strip()
    if not name or name.casefold() in _NOT_NAMES or len(name) > 80:
        return None
    return name


def _topic(rest: str) -> str | None:
    rest = _TRAILING_TIME.sub("", rest.strip())
    rest = re.sub(r"^(?:anything|something|much|at all)\s+", "", rest, flags=re.IGNORECASE)
    m = _TOPIC.match(rest)
    if not m:
        return None
    topic = re.sub(r"^(?:the|a|an)\s+", "", m.group("topic").strip(" ,;:\"'“”"), flags=re.IGNORECASE)
    return topic or None


def _latest(subject: str) -> Question:
    """"Latest on X": X is a figure when it looks like a name (capitalised), else a topic."""
    if any(word[:1].isupper() for word in subject.split()):
        return Question("latest", subject, None)
    return Question("latest", None, re.sub(r"^(?:the|a|an)\s+", "", subject, flags=re.IGNORECASE))
