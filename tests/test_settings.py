"""Settings come from the config file, overridden by BRIEFBOT_* variables; secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Secrets, Settings


def test_config_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "briefbot.toml"
    cfg.write_text('digest_limit = 7\nmodel = "smollm2"\n[[feeds]]\nurl = "https://example.org/rss"\n', encoding="utf-8")
    monkeypatch.setenv("BRIEFBOT_CONFIG", str(cfg))
    monkeypatch.delenv("BRIEFBOT_MODEL")
    s = Settings()
    assert s.digest_limit == 7 and s.model == "smollm2" and s.feeds[0].url == "https://example.org/rss"
    monkeypatch.setenv("BRIEFBOT_DIGEST_LIMIT", "3")
    assert Settings().digest_limit == 3


def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_DIGEST_LIMIT", "0")
    with pytest.raises(ValueError):
        Settings()


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-very-secret")
    secrets = Secrets()
    assert secrets.slack_configured and not secrets.discord_configured
    assert "very-secret" not in repr(secrets) and "very-secret" not in str(secrets.model_dump())
    assert secrets.slack_bot_token is not None and secrets.slack_bot_token.get_secret_value() == "xoxb-very-secret"
