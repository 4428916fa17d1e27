"""The llama.cpp backend (llama-cpp-python): the offline default, straight on the packaged GGUF.

Why llama.cpp: on a 2-core CPU the Q4_K_M GGUF loads in under a second and writes three things in a few
seconds within ~2 GB, where transformers first de-quantises it to float32 (minutes, 6-12 GB). The GGUF is
used as assembled and sha256-checked by `summarizers.runtime.packaged`; nothing is converted.

Threads, context size (`n_ctx`) and a wall-clock deadline are set by the caller. Generation streams token
by token and stops at the deadline (raising GenerationTimeout); the prompt's prefill cannot be
interrupted, so a deadline is honoured to within one prefill (~1-3 s for a briefing prompt on 2 cores).
A llama.cpp context is not thread-safe: one lock serialises every caller of the shared model.

`chat` continues a conversation on the same context: llama-cpp-python keeps the KV cache of the longest
common token prefix of consecutive calls, so a follow-up question about the model's own answer prefills
only the new turn (~50 tokens), not the article again (measured: the whole first call, prompt and answer,
is reused; see the README's trust section). Another caller taking the lock in between only costs time.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from summarizers.runtime import prompt_state
from summarizers.runtime.base import (
    GenerationTimeout,
    ModelUnavailable,
    StopWhen,
    TextModel,
    Turn,
    chat_messages,
    deadline_after,
)

log = logging.getLogger(__name__)

DEFAULT_CONTEXT = 4096  # a briefing prompt is ~500 tokens plus ~160 new; map-reduce chunks stay within 2048


def available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def default_threads() -> int:
    """Physical-ish cores this process may use: llama.cpp slows down on hyper-threads and oversubscription."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def cpu_features() -> str:
    """The widest SIMD llama.cpp was built to use here ("AVX2", "AVX512"...), shown by `doctor`: a
    portable build (GGML_NATIVE=OFF) stops at AVX2 even on a CPU with AVX-512, and runs slower there."""
    try:
        import llama_cpp

        info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - only a description; an old binding lacks the call
        return "CPU"
    found = [name for name in ("AVX512", "AVX2", "AVX", "NEON") if re.search(rf"\b{name}\S* = 1", info)]
    return found[0] if found else "CPU"


class LlamaCppModel(TextModel):
    """A GGUF chat model run by llama.cpp on the CPU (or GPU layers when llama.cpp was built for one)."""

    backend = "llama.cpp"

    def __init__(self, name: str, llama: Any, *, threads: int, path: Path, state_dir: Path | None = None) -> None:
        super().__init__(name, "chat", context_window=int(llama.n_ctx()), where=f"CPU ({cpu_features()}), {threads} threads, {path}")
        self._llama = llama
        self.threads = threads
        self.path = path
        # The first prompt's KV cache is saved for the next process (summarizers.runtime.prompt_state).
        self._state_file = prompt_state.state_path(state_dir, path, int(llama.n_ctx())) if state_dir else None
        self.restored_tokens = prompt_state.restore(llama, self._state_file, path) if self._state_file else 0
        if self.restored_tokens:
            log.info("%s: reusing the saved KV cache of a %d-token prompt", name, self.restored_tokens)

    def count_tokens(self, text: str) -> int:
        if not text:
            return 0
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _split_by_tokens(self, text: str, max_tokens: int) -> list[str]:
        ids = self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        step = max(1, max_tokens - 1)
        pieces = [self._detokenize(ids[i : i + step]).strip() for i in range(0, len(ids), step)]
        return [p for p in pieces if p]

    def _detokenize(self, ids: list[int]) -> str:
        return bytes(self._llama.detokenize(ids)).decode("utf-8", errors="ignore")

    def _fit(self, prompt: str, system: str | None) -> str:
        """`prompt` cut so that it and the frame fit `max_input_tokens` (with a warning when cut)."""
        total = self.count_tokens(prompt) + self._chat_overhead("", system)
        if total <= self.max_input_tokens:
            return prompt
        room = max(1, self.max_input_tokens - self._chat_overhead("", system))
        ids = self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=False)[:room]
        log.warning("%s: prompt of %d tokens cut to fit the %d-token input window",
                    self.name, total, self.max_input_tokens)
        return self._detokenize(ids)

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
        if not prompts:
            return []
        deadline = deadline_after(timeout_s)
        self._acquire(deadline, timeout_s)
        try:
            started = time.monotonic()
            results, produced = [], 0
            for prompt in prompts:
                messages = chat_messages([("user", self._fit(prompt, system))], system)
                text, n = self._complete(messages, new_tokens, deadline, timeout_s, stop_when)
                results.append(text)
                produced += n
            self.last_call.record(time.monotonic() - started, produced)
            self._save_state()
            return results
        finally:
            self._lock.release()

    def chat(
        self,
        turns: Sequence[Turn],
        *,
        max_new_tokens: int,
        timeout_s: float | None = None,
        system: str | None = None,
    ) -> str:
        messages = chat_messages(turns, system)
        new_tokens = self._new_tokens(max_new_tokens)
        deadline = deadline_after(timeout_s)
        self._acquire(deadline, timeout_s)
        try:
            started = time.monotonic()
            text, n = self._complete(messages, new_tokens, deadline, timeout_s)
            self.last_call.record(time.monotonic() - started, n)
            self._save_state()
            return text
        finally:
            self._lock.release()

    def _save_state(self) -> None:
        """Save the KV cache once per process, after its first completion: the prefix every later prompt
        shares (system prompt, instruction) is the same whichever prompt it was."""
        if self._state_file is not None:
            prompt_state.save(self._llama, self._state_file, self.path)
            self._state_file = None

    def _complete(self, messages: list[dict[str, str]], new_tokens: int, deadline: float | None,
                  timeout_s: float | None, stop_when: StopWhen | None = None) -> tuple[str, int]:
        """One greedy chat completion, streamed so that the deadline (and `stop_when`) is checked between
        tokens."""
        try:
            stream = self._llama.create_chat_completion(
                messages=messages, max_tokens=new_tokens, temperature=0.0, top_k=1, top_p=1.0, min_p=0.0,
                repeat_penalty=1.0, stream=True,
            )
        except Exception as exc:  # jinja2's TemplateError: a template without a system role (Gemma)
            if messages[0]["role"] != "system" or "system" not in str(exc).lower():
                raise
            system, first, *rest = messages
            folded = {"role": "user", "content": f"{system['content']}\n\n{first['content']}"}
            return self._complete([folded, *rest], new_tokens, deadline, timeout_s, stop_when)
        parts: list[str] = []
        count = 0
        for chunk in stream:
            delta = chunk["choices"][0].get("delta", {}).get("content")
            if delta:
                parts.append(delta)
                count += 1
                if stop_when is not None and stop_when("".join(parts)):
                    _close(stream)
                    break
            if deadline is not None and time.monotonic() >= deadline:
                _close(stream)
                raise GenerationTimeout(f"{self.name}: generation took longer than {timeout_s:g} s")
        return "".join(parts).strip(), count


def _close(stream: Any) -> None:
    """End a streamed completion early (llama-cpp-python's generator stops decoding when closed)."""
    close = getattr(stream, "close", None)
    if close is not None:
        close()


def load_llamacpp(name: str, path: Path, *, threads: int = 0, context: int = 0,
                  state_dir: Path | None = None) -> LlamaCppModel:
    """Open the GGUF at `path` with llama.cpp (memory-mapped: the weights are paged in, not copied); with
    `state_dir`, start from the prompt state a previous process saved there and save this one's."""
    if not available():
        raise ModelUnavailable(
            "llama-cpp-python is not installed: pip install llama-cpp-python==0.3.36"
        )
    from llama_cpp import Llama

    threads = threads or default_threads()
    started = time.monotonic()
    try:
        llama = Llama(model_path=str(path), n_ctx=context or DEFAULT_CONTEXT, n_threads=threads,
                      n_threads_batch=threads, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelUnavailable(f"{name}: llama.cpp cannot load {path}: {exc}") from exc
    # Free the weights while the interpreter is whole: left to garbage collection at exit, llama-cpp-python's
    # destructor runs after its C bindings are torn down and prints a TypeError traceback on every exit.
    atexit.register(llama.close)
    log.info("loaded model %s with llama.cpp (%d threads, n_ctx %d) in %.1f s",
             name, threads, llama.n_ctx(), time.monotonic() - started)
    return LlamaCppModel(name, llama, threads=threads, path=path, state_dir=state_dir)
