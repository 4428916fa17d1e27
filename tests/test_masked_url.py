"""Credentials in URLs never reach the terminal or the log (issue 15 item 6): one helper, `masked_url`,
used by `briefbot doctor`, the "endpoints overridden" log line, database errors and fetch logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import SecretStr

from bot.cli import main
from bot.settings import Secrets, get_settings
from bot.text import masked_url


@pytest.mark.parametrize(("url", "shown"), [
    ("http://user:pw@host:8080/api", "http://user:***@host:8080/api"),
    ("https://TOKEN123@host/x", "https://***@host/x"),
    ("postgresql+psycopg://bot:s3cr3t@db:5432/briefbot", "postgresql+psycopg://bot:***@db:5432/briefbot"),
    ("http://a:b@c@host/", "http://a:***@host/"),  # an "@" inside the password
    ("https://feeds.example/rss?token=abc&page=2", "https://feeds.example/rss?token=***&page=2"),
    ("https://h.example/x?api_key=k1&sig=zz", "https://h.example/x?api_key=***&sig=***"),
    ("http://u:p@h:99999/", "http://***@h:99999/"),  # unparsable port: still masked
    ("sqlite:///data/briefbot.db", "sqlite:///data/briefbot.db"),
    ("https://discord.com/api/v10", "https://discord.com/api/v10"),
    ("wss://gateway.discord.gg/?v=10&encoding=json", "wss://gateway.discord.gg/?v=10&encoding=json"),
])
def test_masked_url(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_doctor_masks_passwords_in_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "t")
    monkeypatch.setenv("DISCORD_API_URL", "http://apiuser:api-pw-1@127.0.0.1:9/api")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", "ws://gwuser:gw-pw-2@127.0.0.1:9/")
    monkeypatch.setenv("SLACK_API_URL", "http://slackuser:slack-pw-3@127.0.0.1:9/api/")
    monkeypatch.setenv("BRIEFBOT_DATABASE_URL", "postgresql+psycopg://bot:db-pw-4@127.0.0.1:1/nope")
    get_settings.cache_clear()
    try:
        main(["doctor"])
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr()
    text = out.out + out.err
    for secret in ("api-pw-1", "gw-pw-2", "slack-pw-3", "db-pw-4"):
        assert secret not in text
    assert "http://apiuser:***@127.0.0.1:9/api" in text and "ws://gwuser:***@127.0.0.1:9/" in text
    assert "http://slackuser:***@127.0.0.1:9/api/" in text and "bot:***@127.0.0.1:1/nope" in text


def test_endpoints_overridden_log_line_masks_credentials(caplog: pytest.LogCaptureFixture) -> None:
    from bot.platforms.discord.transport import Endpoints

    secrets = Secrets(discord_token=SecretStr("t"), discord_api_url="http://user:rest-pw@127.0.0.1:9/api",
                      discord_gateway_url="ws://user:gw-pw@127.0.0.1:9/")
    endpoints = Endpoints(secrets)
    with caplog.at_level(logging.INFO, logger="bot.platforms.discord.transport"):
        endpoints.apply()
        endpoints.restore()
    [line] = [r.getMessage() for r in caplog.records if "overridden" in r.getMessage()]
    assert "rest-pw" not in line and "gw-pw" not in line
    assert "http://user:***@127.0.0.1:9/api" in line and "ws://user:***@127.0.0.1:9/" in line
