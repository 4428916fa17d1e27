"""Shared test setup: every test gets its own database and never loads a real model or a user config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import get_settings

# Our own messy aggregated page (self-written: three stories, site chrome, photo credits, social-embed
# debris, quotes by several speakers). The repository carries every fixture its tests need.
MESSY_PAGE = Path(__file__).resolve().parent / "fixtures" / "articles" / "messy_page.txt"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the bot at a temp SQLite file, switch the abstractive model off and hide platform secrets."""
    monkeypatch.setenv("BRIEFBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'briefbot.db'}")
    monkeypatch.setenv("BRIEFBOT_MODEL", "none")
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "BRIEFBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def messy_page() -> Path:
    return MESSY_PAGE
