"""The OpenAI-compatible endpoint backend: vLLM, Ollama, llama.cpp server, TGI or a hosted API.

For teams whose model runs on an inference server. Chat completions (`POST {base}/chat/completions`,
greedy) over httpx, with:

* a wall-clock deadline per `generate` call: every request's timeout is what is left of it, so a slow or
  dead endpoint costs at most `timeout_s` and the caller falls back to extractive points;
* retries with exponential backoff on connection errors, 429 and 5xx (honouring a short Retry-After),
  never past the deadline;
* a concurrency limit (a semaphore), so a burst of briefings does not overrun a small server;
* the API key sent as a bearer token and never logged or put in an error message.

There is no local tokenizer for a remote model, so `count_tokens` estimates (about four characters per
token, which overestimates for English): it only sizes the prompt's article excerpt, and the server
enforces its own context.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx

from summarizers.runtime.base import (
    GenerationFailed,
    GenerationTimeout,
    ModelUnavailable,
    StopWhen,
    TextModel,
    Turn,
    chat_messages,
    deadline_after,
    remaining,
)

log = logging.getLogger(__name__)

RETRIES = 3
BACKOFF_S = 0.5  # first wait; doubles each retry
MAX_RETRY_AFTER_S = 10.0
DEFAULT_CONTEXT = 8192
UNBOUNDED_CALL_TIMEOUT_S = 300.0  # a caller without a deadline still never waits forever on a socket
_WORDISH = re.compile(r"\w+|[^\w\s]")


def redact_url(url: str) -> str:
    """`url` without a user:password part, for logs and `doctor`."""
    return re.sub(r"//[^/@\s]*@", "//***@", url)


class EndpointModel(TextModel):
    """A chat model behind an OpenAI-compatible HTTP API."""

    backend = "endpoint"

    def __init__(self, name: str, base_url: str, *, api_key: str | None = None, concurrency: int = 4,
                 context: int = 0, transport: httpx.BaseTransport | None = None) -> None:
        base = base_url.rstrip("/")
        if not re.match(r"^https?://", base):
            raise ModelUnavailable(f"model_url must start with http:// or https:// (got {redact_url(base)!r})")
        super().__init__(name, "chat", context_window=context or DEFAULT_CONTEXT, where=redact_url(base))
        self.base_url = base
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, transport=transport, follow_redirects=False)
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._stats_lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        """An estimate: the larger of words-and-punctuation and characters / 4."""
        return max(len(_WORDISH.findall(text)), math.ceil(len(text) / 4))

    def _split_by_tokens(self, text: str, max_tokens: int) -> list[str]:
        size = max(1, (max_tokens - 1) * 4)
        return [p for p in (text[i : i + size].strip() for i in range(0, len(text), size)) if p]

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int,
        timeout_s: float | None = None,
        system: str | None = None,
        stop_when: StopWhen | None = None,
    ) -> list[str]:
        prompts, new_tokens = self._check_request(prompts, max_new_tokens)
        deadline = deadline_after(timeout_s)
        started = time.monotonic()
        results: list[str] = []
        produced = 0
        for prompt in prompts:
            text, n = self._complete(chat_messages([("user", prompt)], system), new_tokens, deadline, timeout_s)
            results.append(text)
            produced += n
        with self._stats_lock:
            self.last_call.record(time.monotonic() - started, produced)
        return results

    def chat(
        self,
        turns: Sequence[Turn],
        *,
        max_new_tokens: int,
        timeout_s: float | None = None,
        system: str | None = None,
    ) -> str:
        """The whole conversation is sent; servers with a prompt cache (llama.cpp server, vLLM's prefix
        caching) reuse the shared prefix on their side."""
        messages = chat_messages(turns, system)
        started = time.monotonic()
        text, n = self._complete(messages, self._new_tokens(max_new_tokens), deadline_after(timeout_s), timeout_s)
        with self._stats_lock:
            self.last_call.record(time.monotonic() - started, n)
        return text

    def _complete(self, messages: list[dict[str, str]], new_tokens: int, deadline: float | None,
                  timeout_s: float | None) -> tuple[str, int]:
        body = {"model": self.name, "messages": messages, "max_tokens": new_tokens, "temperature": 0,
                "stream": False}
        wait = remaining(deadline)
        if not self._slots.acquire(timeout=-1 if wait is None else wait):
            raise GenerationTimeout(f"{self.name}: endpoint busy for longer than the {timeout_s:g} s timeout")
        try:
            return self._post_with_retries(body, deadline, timeout_s)
        finally:
            self._slots.release()

    def _post_with_retries(self, body: dict[str, Any], deadline: float | None,
                           timeout_s: float | None) -> tuple[str, int]:
        url = f"{self.base_url}/chat/completions"
        problem = "no attempt made"
        for attempt in range(RETRIES + 1):
            left = remaining(deadline)
            if left is not None and left <= 0:
                raise GenerationTimeout(f"{self.name}: endpoint took longer than {timeout_s:g} s ({problem})")
            pause = BACKOFF_S * 2**attempt
            try:
                response = self._client.post(
                    url, json=body, timeout=httpx.Timeout(UNBOUNDED_CALL_TIMEOUT_S if left is None else left)
                )
            except httpx.TimeoutException as exc:
                raise GenerationTimeout(f"{self.name}: endpoint took longer than {timeout_s:g} s") from exc
            except httpx.TransportError as exc:
                problem = f"cannot connect: {type(exc).__name__}"
            else:
                if response.status_code == 429 or response.status_code >= 500:
                    problem = f"HTTP {response.status_code}"
                    pause = max(pause, _retry_after(response))
                elif response.status_code >= 400:
                    raise GenerationFailed(f"{self.name}: endpoint refused the request: HTTP "
                                           f"{response.status_code} {_short(response.text)}")
                else:
                    return _parse(self.name, response)
            if attempt == RETRIES:
                break
            left = remaining(deadline)
            if left is not None and pause >= left:
                raise GenerationTimeout(f"{self.name}: endpoint not answering within {timeout_s:g} s ({problem})")
            log.debug("%s: %s; retrying in %.1f s", self.name, problem, pause)
            time.sleep(pause)
        raise GenerationFailed(f"{self.name}: endpoint failed after {RETRIES + 1} attempts ({problem})")

    def close(self) -> None:
        self._client.close()


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(response.headers.get("retry-after", "0"))))
    except ValueError:
        return 0.0


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _parse(name: str, response: httpx.Response) -> tuple[str, int]:
    """The completion text and its token count from a chat-completions answer; anything else is a failure."""
    try:
        data = response.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise GenerationFailed(f"{name}: endpoint answered with malformed JSON ({type(exc).__name__})") from exc
    if not isinstance(content, str):
        raise GenerationFailed(f"{name}: endpoint answered without a text completion")
    usage = data.get("usage") if isinstance(data, dict) else None
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return content.strip(), tokens if isinstance(tokens, int) else len(content.split())
