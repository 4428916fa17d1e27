"""`briefbot doctor`: what is configured and what is missing — never the secrets themselves."""

from __future__ import annotations

import argparse

from bot.briefing.summaries import model_status
from bot.cli import EXIT_FAILURE, EXIT_OK
from bot.cli.common import open_store, out, settings
from bot.settings import config_path, get_secrets
from bot.text import masked_url
from summarizers.runtime.loader import describe_last_call, last_call

OK, MISSING = "ok", "missing"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("doctor", help="check configuration, database, models and platform credentials")
    p.set_defaults(func=run)


def _set(value: object) -> str:
    return "set" if value else "not set"


def run(args: argparse.Namespace) -> int:
    s = settings()
    secrets = get_secrets()
    problems = 0
    out(f"config file      {config_path() or 'none (built-in defaults)'}")
    out(f"database         {masked_url(s.database_url)}")
    try:
        store = open_store(s)
        out(f"                 {OK}: {store.count_articles()} articles stored")
        store.close()
    except Exception as exc:
        problems += 1
        out(f"                 {MISSING}: {exc}")
    out(f"feeds            {len(s.feeds)} configured")
    ok, backend, message = model_status(s)
    out(f"abstractive      {OK if ok else MISSING}: {message}")
    out(f"                 backend {backend} (model_backend = {s.model_backend}), model {s.model}")
    if s.model_url:
        out(f"                 endpoint {masked_url(s.model_url)}, "
            f"BRIEFBOT_MODEL_API_KEY {_set(secrets.model_api_key)}")
    out(f"                 last call: {describe_last_call(last_call())}")
    if not ok:
        out("                 briefings fall back to the extractive summarizer")
    try:
        from summarizers.nlp import get_nlp

        get_nlp()
        out(f"NER (spaCy)      {OK}")
    except RuntimeError as exc:
        problems += 1
        out(f"NER (spaCy)      {MISSING}: {exc}")
    out(f"Discord          DISCORD_TOKEN {_set(secrets.discord_token)}"
        + (f", API {masked_url(secrets.discord_api_url)}" if secrets.discord_api_url else "")
        + (f", gateway {masked_url(secrets.discord_gateway_url)}" if secrets.discord_gateway_url else ""))
    out(f"Slack            SLACK_BOT_TOKEN {_set(secrets.slack_bot_token)}, "
        f"SLACK_SIGNING_SECRET {_set(secrets.slack_signing_secret)}, SLACK_APP_TOKEN {_set(secrets.slack_app_token)}"
        + (f", API {masked_url(secrets.slack_api_url)}" if secrets.slack_api_url else ""))
    if not (secrets.discord_configured or secrets.slack_configured):
        out("                 no platform configured: `briefbot run` needs Discord or Slack credentials")
    return EXIT_FAILURE if problems else EXIT_OK
