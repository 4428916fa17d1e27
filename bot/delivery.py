"""What every platform adapter offers the rest of the bot, so `run` and the scheduler stay platform-agnostic."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.briefing.models import Reply

PLATFORMS = ("console", "discord", "slack")  # every value of subscriptions.platform (`briefbot chat` is "console")
SCHEDULED_PLATFORMS = ("discord", "slack")    # the ones `briefbot run` posts scheduled digests to


class PlatformAdapter(Protocol):
    """A connected platform: started by `briefbot run`, used by the scheduler to post digests."""

    platform: str  # "discord" | "slack" — the value stored in subscriptions.platform

    async def start(self) -> None:
        """Connect / start serving; returns once the adapter is ready (it keeps running in the loop)."""

    async def close(self) -> None:
        """Disconnect and release sockets."""

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        """Post a reply to a channel; return a message reference. Raise on failure after retries,
        so the scheduler can record and retry the delivery."""


class DirectMessagesClosed(Exception):
    """The platform will not deliver a direct message to this user (DMs closed, the bot blocked, the
    user unknown or deactivated). Retrying cannot help, so follow alerts pause instead."""


@runtime_checkable
class DirectSender(Protocol):
    """A platform that can send a user a direct message (follow alerts)."""

    platform: str

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        """DM the user; return a message reference. Raise `DirectMessagesClosed` when the platform refuses
        DMs to this user, anything else for a failure worth retrying."""
