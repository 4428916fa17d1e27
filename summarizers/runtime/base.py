"""One generation interface for every backend: llama.cpp, transformers, and OpenAI-compatible endpoints.

Summary methods (`summarizers.methods.three_things`, the `abstractive` method) only ever see a `TextModel`:
`generate` (greedy completions under a wall-clock deadline), `chat` (the next turn of a conversation, so a
caller can ask a follow-up about the model's own answer), `count_tokens`, `chunk_text` and `summarize`.
Which engine runs, where, and how it was loaded is the backend's business (see `summarizers.runtime.loader`).

The map-reduce `summarize` and sentence-aware `chunk_text` are written once here on top of three small
primitives each backend provides (`generate`, `count_tokens`, `_split_by_tokens`), so a new backend is a
few dozen lines and every backend chunks and reduces the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Literal

from summarizers.segment import split_sentences

log = logging.getLogger(__name__)

StopWhen = Callable[[str], bool]  # the answer so far -> whether the caller has all it needs

MAX_NEW_TOKENS_CAP = 512  # hard ceiling whatever a caller asks: CPU time grows linearly with it
INPUT_TOKEN_CAP = 2048  # prefill cost on CPU; a long article is chunked rather than fed whole
MAX_REDUCE_ROUNDS = 3
SUMMARY_SYSTEM = "Use only facts stated in the article."

Kind = Literal["seq2seq", "chat"]
Role = Literal["user", "assistant"]
Turn = tuple[Role, str]  # one turn of a conversation: who spoke, and what


class ModelUnavailable(RuntimeError):
    """No usable abstractive model: the message says what is missing and how to install it."""


class GenerationTimeout(TimeoutError):
    """Generation ran past its wall-clock deadline (or waited for the model lock past it)."""


class GenerationFailed(RuntimeError):
    """The engine answered, but not with a usable completion (an endpoint down, refusing, or malformed)."""


def chat_messages(turns: Sequence[Turn], system: str | None) -> list[dict[str, str]]:
    """`turns` as chat-completion messages after an optional system message; refuses a conversation that
    does not alternate user/assistant turns starting and ending with the user (no template renders it)."""
    if isinstance(turns, str) or not turns:
        raise ValueError("a conversation is a non-empty sequence of (role, text) turns")
    for i, (role, text) in enumerate(turns):
        if role != ("user" if i % 2 == 0 else "assistant") or not isinstance(text, str):
            raise ValueError(f"turn {i + 1} must be a {'user' if i % 2 == 0 else 'assistant'} turn with text")
    if turns[-1][0] != "user":
        raise ValueError("a conversation must end with a user turn")
    messages = [{"role": role, "content": text} for role, text in turns]
    return [{"role": "system", "content": system}, *messages] if system else messages


def deadline_after(timeout_s: float | None) -> float | None:
    return None if timeout_s is None else time.monotonic() + max(0.0, timeout_s)


def remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class CallStats:
    """The last generation's timing (for `briefbot doctor` and benchmarks): wall seconds and tokens out."""

    def __init__(self) -> None:
        self.seconds: float | None = None
        self.new_tokens: int | None = None
        self.prompt_tokens: int | None = None
        self.finished_at: float | None = None

    def record(self, seconds: float, new_tokens: int, prompt_tokens: int | None = None) -> None:
        self.seconds, self.new_tokens, self.prompt_tokens = seconds, new_tokens, prompt_tokens
        self.finished_at = time.time()

    def as_dict(self) -> dict[str, float | int | None]:
        return {"seconds": self.seconds, "new_tokens": self.new_tokens,
                "prompt_tokens": self.prompt_tokens, "finished_at": self.finished_at}


class TextModel(ABC):
    """A loaded model behind one interface. Build it with `summarizers.runtime.loader.load_backend`.

    `name` is the spec it was loaded from (cache keys use it), `backend` the engine ("llama.cpp",
    "transformers", "endpoint"), `where` a human line for `doctor` ("CPU, 2 threads", a URL).
    """

    backend: str = "?"

    def __init__(self, name: str, kind: Kind, *, context_window: int, where: str) -> None:
        self.name = name
        self.kind: Kind = kind
        self.where = where
        self.context_window = context_window
        if kind == "chat":  # prompt and answer share the window: keep room for the answer
            budget = context_window - min(MAX_NEW_TOKENS_CAP, context_window // 2)
        else:
            budget = context_window
        self.max_input_tokens = max(8, min(budget, INPUT_TOKEN_CAP))
        self.last_call = CallStats()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, backend={self.backend!r}, where={self.where!r})"

    # -- what each backend provides -----------------------------------------------------------------

    @abstractmethod
    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int,
        timeout_s: float | None = None,
        system: str | None = None,
        stop_when: StopWhen | None = None,
    ) -> list[str]:
        """Greedy completions for `prompts`, in order; raises GenerationTimeout past `timeout_s`.

        Chat models get each prompt as the user turn (after `system`); seq2seq models ignore `system`.
        `stop_when(text_so_far)` returning True ends a completion early: a small model asked for three
        bullets often writes eight, and on a CPU every unwanted token costs ~60 ms. Backends that stream
        (llama.cpp) stop there; the others return the whole answer, which the caller must cope with anyway.
        """

    def chat(
        self,
        turns: Sequence[Turn],
        *,
        max_new_tokens: int,
        timeout_s: float | None = None,
        system: str | None = None,
    ) -> str:
        """The model's next (assistant) turn after `turns`, greedy, within `timeout_s`.

        `turns` alternate ("user", ...), ("assistant", ...), ... and end with a user turn. This is how a
        caller asks a follow-up about the model's own answer: `generate([p], system=s)` followed by
        `chat([("user", p), ("assistant", answer), ("user", question)], system=s)`. On llama.cpp the
        second call re-reads only the new turn (the context's longest common prefix is kept), which is
        what makes a verification pass cheap on a CPU. Chat backends override this; seq2seq models have
        no conversation and raise GenerationFailed.
        """
        raise GenerationFailed(f"{self.name}: a {self.kind} model on {self.backend} cannot continue a conversation")

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model's vocabulary, without special tokens."""

    @abstractmethod
    def _split_by_tokens(self, text: str, max_tokens: int) -> list[str]:
        """`text` cut into pieces of at most `max_tokens` tokens (for run-on text with no sentence end)."""

    def _chat_overhead(self, frame: str, system: str | None) -> int:
        """Tokens the prompt frame takes once templated; backends with a template count it exactly."""
        return self.count_tokens(frame) + self.count_tokens(system or "") + 16

    # -- shared helpers -----------------------------------------------------------------------------

    def _check_request(self, prompts: Sequence[str], max_new_tokens: int) -> tuple[list[str], int]:
        if isinstance(prompts, str):
            raise TypeError("prompts must be a sequence of strings, not one string")
        return list(prompts), self._new_tokens(max_new_tokens)

    @staticmethod
    def _new_tokens(max_new_tokens: int) -> int:
        if max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        return min(max_new_tokens, MAX_NEW_TOKENS_CAP)

    def _acquire(self, deadline: float | None, timeout_s: float | None) -> None:
        """Take the model lock within the deadline: one generation at a time per process."""
        wait = remaining(deadline)
        if not self._lock.acquire(timeout=-1 if wait is None else wait):
            raise GenerationTimeout(f"{self.name}: model busy for longer than the {timeout_s:g} s timeout")

    def chunk_text(self, text: str, max_tokens: int) -> list[str]:
        """Split `text` into pieces of at most `max_tokens` tokens, cutting between sentences.

        A single sentence longer than the budget is cut by tokens (rare: run-on text without
        punctuation). One token of slack per sentence covers merges at the joins.
        """
        if max_tokens < 1:
            raise ValueError("max_tokens must be positive")
        sentences = [s.text for s in split_sentences(text)]
        chunks: list[str] = []
        current: list[str] = []
        used = 0
        for sentence in sentences:
            n = self.count_tokens(sentence)
            if n + 1 > max_tokens:
                if current:
                    chunks.append(" ".join(current))
                    current, used = [], 0
                chunks.extend(self._split_by_tokens(sentence, max_tokens))
                continue
            if used + n + 1 > max_tokens and current:
                chunks.append(" ".join(current))
                current, used = [], 0
            current.append(sentence)
            used += n + 1
        if current:
            chunks.append(" ".join(current))
        return chunks

    # -- summaries ----------------------------------------------------------------------------------

    def summarize(
        self,
        text: str,
        *,
        title: str | None = None,
        max_new_tokens: int = 160,
        timeout_s: float | None = None,
        sentences: int | None = None,
    ) -> str:
        """A summary of `text`; inputs longer than the window are summarized piecewise (map-reduce).

        Map: each window-sized chunk is summarized (one batched call). Reduce: the partial summaries are
        joined and summarized again, until one piece remains; if a round does not shrink the text (a
        model that writes as much as it reads) only the first piece goes on, so it always terminates.
        `timeout_s` bounds the whole run, not each call.
        """
        text = text.strip()
        if not text:
            raise ValueError("nothing to summarize: the text is empty")
        deadline = deadline_after(timeout_s)
        budget = self._content_budget(title, sentences)
        pieces = self.chunk_text(text, budget)
        partial = len(pieces) > 1
        for round_no in range(MAX_REDUCE_ROUNDS + 1):
            prompts = [self._summary_prompt(p, title, sentences, partial=partial) for p in pieces]
            outputs = [
                o
                for o in self.generate(
                    prompts, max_new_tokens=max_new_tokens, timeout_s=remaining(deadline), system=SUMMARY_SYSTEM
                )
                if o
            ]
            if len(pieces) == 1 or not outputs:
                return outputs[0] if outputs else ""
            log.debug("%s: reduce round %d over %d partial summaries", self.name, round_no + 1, len(outputs))
            reduced = self.chunk_text("\n".join(outputs), budget)
            if len(reduced) >= len(pieces) or round_no == MAX_REDUCE_ROUNDS - 1:
                reduced = reduced[:1]  # no progress: keep the lead part rather than loop
            pieces, partial = reduced, False
        return ""  # unreachable: the last round always has one piece

    def _summary_prefix(self) -> str:
        return ""

    def _summary_prompt(self, text: str, title: str | None, sentences: int | None, *, partial: bool) -> str:
        if self.kind == "seq2seq":
            head = f"{title.strip()}. " if title else ""
            return f"{self._summary_prefix()}{head}{text}"
        what = "this part of a news article" if partial else "this news article"
        length = f"in at most {sentences} sentences" if sentences else "in a few sentences"
        head = f"Title: {title.strip()}\n\n" if title else ""
        return f"Summarize {what} {length}.\n\n{head}Article:\n{text}"

    def _content_budget(self, title: str | None, sentences: int | None) -> int:
        """Tokens left for article text once the instruction, title and template are counted."""
        frame = self._summary_prompt("", title, sentences, partial=True)
        return max(1, self.max_input_tokens - self._chat_overhead(frame, SUMMARY_SYSTEM))
