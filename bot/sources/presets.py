"""Curated starter sources (`config/feed_presets.toml`): public political-news feeds by region.

Read once per process; a broken file is a packaging bug, so it raises `PresetError` with the reason
rather than quietly offering no presets.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

PRESETS_FILE = PROJECT_ROOT / "config" / "feed_presets.toml"


class PresetError(ValueError):
    """The presets file is missing or malformed, or a preset name is unknown."""


@dataclass(frozen=True, slots=True)
class PresetFeed:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    region: str
    description: str
    feeds: tuple[PresetFeed, ...]


def load_presets(path: Path = PRESETS_FILE) -> dict[str, Preset]:
    """Every preset by its (lower-case) name."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PresetError(f"cannot read feed presets {path}: {exc}") from exc
    presets: dict[str, Preset] = {}
    for entry in data.get("preset", []):
        try:
            feeds = tuple(PresetFeed(str(f["name"]), str(f["url"])) for f in entry["feeds"])
            preset = Preset(str(entry["name"]).lower(), str(entry["region"]), str(entry.get("description", "")),
                            feeds)
        except (KeyError, TypeError) as exc:
            raise PresetError(f"{path}: a preset lacks {exc}") from exc
        if not all(f.url.startswith("https://") for f in feeds):
            raise PresetError(f"{path}: preset {preset.name} has a feed that is not an https:// URL")
        presets[preset.name] = preset
    return presets


@lru_cache(maxsize=1)
def presets() -> dict[str, Preset]:
    return load_presets()


def get_preset(name: str) -> Preset:
    found = presets().get(name.strip().lower())
    if found is None:
        raise PresetError(f"no preset named {name!r}; presets: {', '.join(sorted(presets()))}")
    return found
