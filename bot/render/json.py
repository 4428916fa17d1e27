"""JSON rendering of core results, for `--format json` and other programs."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from bot.briefing.models import Digest, Reply


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def to_dict(reply: Reply) -> dict[str, Any]:
    data = dataclasses.asdict(reply)
    data["type"] = type(reply).__name__.lower()
    if isinstance(reply, Digest):  # points in the same shape as `summarize --method three-things --json`
        for story, out in zip(reply.stories, data["stories"], strict=True):
            out["points"] = [p.as_dict() for p in story.points]
            out["outlet_count"] = len(story.outlets)
    return data


def render_json(reply: Reply) -> str:
    return json.dumps(to_dict(reply), default=_default, ensure_ascii=False, indent=2) + "\n"
