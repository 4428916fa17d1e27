"""Shared test setup: every test gets its own database and never loads a real model or a user config."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import get_settings
from summarizers.runtime import packaged as models

# Our own messy aggregated page (self-written: three stories, site chrome, photo credits, social-embed
# debris, quotes by several speakers). The repository carries every fixture its tests need.
MESSY_PAGE = Path(__file__).resolve().parent / "fixtures" / "articles" / "messy_page.txt"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the bot at a temp SQLite file, switch the abstractive model off and hide platform secrets."""
    monkeypatch.setenv("BRIEFBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'briefbot.db'}")
    monkeypatch.setenv("BRIEFBOT_MODEL", "none")
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "BRIEFBOT_CONFIG",
                 "BRIEFBOT_MODEL_URL", "BRIEFBOT_MODEL_API_KEY", "BRIEFBOT_MODEL_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def messy_page() -> Path:
    return MESSY_PAGE


def _fake_distribution(site: Path, name: str, payload: bytes) -> None:
    """An installed distribution as importlib.metadata sees it: dist-info with a RECORD, and its file."""
    package = name.replace("-", "_")
    (site / package / "data").mkdir(parents=True)
    (site / package / "data" / "part.bin").write_bytes(payload)
    info = site / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    (info / "RECORD").write_text(
        f"{package}/data/part.bin,,\n{package}-1.0.dist-info/METADATA,,\n", encoding="utf-8"
    )


@pytest.fixture
def fake_packaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> models.PackagedModel:
    site = tmp_path / "site"
    payloads = [b"GGUF-part-one|", b"part-two|", b"part-three"]
    for i, payload in enumerate(payloads, 1):
        _fake_distribution(site, f"briefbot-fake-part{i}", payload)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path / "cache"))
    return models.PackagedModel(
        name="fake",
        description="test",
        distributions=tuple(f"briefbot-fake-part{i}" for i in (1, 2, 3)),
        version="1.0",
        sha256=hashlib.sha256(b"".join(payloads)).hexdigest(),
        gguf_name="fake.gguf",
        dtype="float32",
    )
