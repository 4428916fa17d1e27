"""Terminal listener (`briefbot chat`): type what a Discord or Slack user would, get the same answers.

A line → request (`bot.commands`) → core → text renderer → stdout. The terminal has no transport to speak
of: the stream is it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TextIO

from bot.briefing.models import Notice, Reply
from bot.briefing.runner import AsyncBriefing
from bot.commands import CommandError, Requester, parse_brief
from bot.render.text import render

log = logging.getLogger(__name__)

PROMPT = "briefbot> "
GREETING = "Type /brief, /brief <topic>, /brief who <name>, /brief follow <name or words>, or ask e.g. \"what did Alvarez say?\". /quit to leave."
DIRECT_MARK = "[direct message] "
QUIT = frozenset({"/quit", "/exit", "quit", "exit"})


class ConsoleAdapter:
    """Reads lines from a text stream; `/brief ...` is a command, anything else a question (like a DM)."""

    platform = "console"

    def __init__(self, briefing: AsyncBriefing, stdin: TextIO, stdout: TextIO, *, interactive: bool = False) -> None:
        self.briefing = briefing
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = interactive
        self.requester = Requester(platform="console", user_id="local", channel_id="console", can_manage=True)

    async def start(self) -> None:
        if self.interactive:
            self._write(GREETING + "\n")

    async def close(self) -> None:
        return None

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        self._write(render(reply))
        return None

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        """A follow alert: the terminal has one user, so it is printed, marked as a direct message."""
        self._write(DIRECT_MARK + render(reply))
        return None

    async def reply_to(self, line: str) -> Reply | None:
        """Turn one typed line into a core call; None for blank lines."""
        line = line.strip()
        if not line:
            return None
        if line.split()[0].lower() == "/brief":
            try:
                request = parse_brief(line[len("/brief"):])
            except CommandError as exc:
                return Notice(str(exc), ok=False)
            return await self.briefing.handle(request, self.requester)
        return await self.briefing.answer(line, self.requester)

    async def run(self) -> None:
        await self.start()
        loop = asyncio.get_running_loop()
        while True:
            if self.interactive:
                self._write(PROMPT)
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line or line.strip().lower() in QUIT:
                break
            reply = await self.reply_to(line)
            if reply is not None:
                await self.send(self.requester.channel_id, reply)

    def _write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
