"""JSON rendering of core results, for `--format json` and other programs."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from bot.briefing.models import Reply


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def to_dict(reply: Reply) -> dict[str, Any]:
    data = dataclasses.asdict(reply)
    data["type"] = type(reply).__name__.lower()
    return data


def render_json(reply: Reply) -> str:
    return json.dumps(to_dict(reply), default=_default, ensure_ascii=False, indent=2) + "\n"
