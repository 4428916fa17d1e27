"""The bot process: platform adapters that have credentials, the scheduler, one event loop.

`serve(on_ready=...)` hands the running parts (`Running`) to a callback once everything has started, so
an embedding program or a test can drive the scheduler or find the port an adapter bound, without
reaching into module state.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.briefing.runner import AsyncBriefing
from bot.briefing.service import BriefingService
from bot.delivery import PlatformAdapter
from bot.settings import Secrets, Settings
from bot.store import Store
from bot.stories.embedding import embedder

if TYPE_CHECKING:
    from bot.scheduler import DigestScheduler

log = logging.getLogger(__name__)

NO_PLATFORM = ("no platform is configured: set DISCORD_TOKEN for Discord, or SLACK_BOT_TOKEN with "
               "SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) for Slack")


class NoPlatformConfigured(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Running:
    """What `serve()` started: its scheduler and its started platform adapters, by platform name."""

    scheduler: DigestScheduler
    adapters: Mapping[str, PlatformAdapter]


def build_adapters(briefing: AsyncBriefing, settings: Settings, secrets: Secrets) -> dict[str, PlatformAdapter]:
    """Create an adapter for every platform that has credentials; imported lazily so one can be absent."""
    adapters: dict[str, PlatformAdapter] = {}
    if secrets.discord_configured:
        from bot.platforms.discord.app import DiscordAdapter

        adapters["discord"] = DiscordAdapter(briefing, settings, secrets)
    if secrets.slack_configured:
        from bot.platforms.slack.app import SlackAdapter

        adapters["slack"] = SlackAdapter(briefing, settings, secrets)
    return adapters


async def serve(settings: Settings, secrets: Secrets, *, stop: asyncio.Event | None = None,
                on_ready: Callable[[Running], None] | None = None) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM); `on_ready` is called once every part has started."""
    from bot.scheduler import DigestScheduler

    store = Store(settings.database_url, embed=embedder(settings.story_embeddings))
    service = BriefingService(store, settings)
    briefing = AsyncBriefing(service)
    adapters = build_adapters(briefing, settings, secrets)
    if not adapters:
        store.close()
        raise NoPlatformConfigured(NO_PLATFORM)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests) or not supported
            pass
    # Say once, at start-up, whether the abstractive model is usable (loading it happens here, not mid-request).
    await briefing.call(lambda: service.model)
    scheduler = DigestScheduler(store, briefing, adapters, settings)
    started: list[PlatformAdapter] = []
    try:
        for name, adapter in adapters.items():
            await adapter.start()
            started.append(adapter)
            log.info("%s adapter started", name)
        scheduler.start()
        log.info("briefbot is running (%s)", ", ".join(adapters))
        if on_ready is not None:
            on_ready(Running(scheduler, adapters))
        await stop.wait()
        await scheduler.close()  # sends in flight may finish; the rest end `unconfirmed`, never `sending`
    finally:
        scheduler.shutdown()
        for adapter in started:
            try:
                await adapter.close()
            except Exception:
                log.exception("error while closing %s", adapter.platform)
        briefing.close()
        store.close()
