"""llama.cpp's prompt state (its KV cache) kept on disk between processes.

Why: every briefing prompt starts with the same tokens (system prompt, instruction), and llama.cpp reuses
the KV cache of the longest common token prefix, but only within one process. A command-line run
(`briefbot summarize`, a cron `briefbot digest`) starts cold and prefills those ~75 tokens again: about
2 s on 2 AVX2 cores, where the whole prefill of a ~450-token briefing takes ~11 s. Saving the state of the
process's first prompt lets the next process start from it; what the two prompts share is reused, the rest
is prefilled as usual, so outputs stay those of the model on that prompt (greedy, up to float rounding).

The file holds one JSON header line (format, llama-cpp-python version, the model file's name, size and
mtime, n_ctx, the token ids) and then llama.cpp's sequence state. A file written by another model, build
or context size, or damaged, is ignored with a log line: the process starts cold, as without it.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1
MAX_BYTES = 256 * 2**20  # a state larger than this (a long context) is not worth a disk write


def state_path(directory: Path, model_path: Path, n_ctx: int) -> Path:
    return directory / f"{model_path.stem}.ctx{n_ctx}.state"


def _identity(model_path: Path, n_ctx: int) -> dict[str, Any]:
    import llama_cpp

    stat = model_path.stat()
    return {"format": FORMAT, "llama_cpp": getattr(llama_cpp, "__version__", "?"), "model": model_path.name,
            "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "n_ctx": n_ctx}


def save(llama: Any, path: Path, model_path: Path) -> bool:
    """Write the state of sequence 0 (the prompt and answer llama.cpp holds now) to `path`, atomically."""
    import llama_cpp

    n_tokens = int(llama.n_tokens)
    if n_tokens <= 0:
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        size = int(llama_cpp.llama_state_seq_get_size(llama.ctx, 0))
        if not 0 < size <= MAX_BYTES:
            return False
        buffer = (ctypes.c_uint8 * size)()
        written = int(llama_cpp.llama_state_seq_get_data(llama.ctx, buffer, size, 0))
        if written <= 0:
            return False
        header = {**_identity(model_path, int(llama.n_ctx())), "tokens": [int(t) for t in llama.input_ids[:n_tokens]]}
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            f.write(json.dumps(header).encode("utf-8") + b"\n")
            f.write(memoryview(buffer)[:written])
        os.replace(tmp, path)
    except (OSError, ValueError, AttributeError) as exc:
        log.warning("could not save the prompt state to %s: %s", path, exc)
        tmp.unlink(missing_ok=True)  # a full disk must not leave half a state behind
        return False
    log.debug("saved the prompt state of %d tokens (%d bytes) to %s", n_tokens, written, path)
    return True


def restore(llama: Any, path: Path, model_path: Path) -> int:
    """Load the state saved by `save` into a fresh context; the number of tokens restored (0: none)."""
    import llama_cpp

    try:
        with path.open("rb") as f:
            header = json.loads(f.readline())
            data = f.read()
    except FileNotFoundError:
        return 0
    except (OSError, ValueError) as exc:
        log.warning("ignoring the prompt state in %s: %s", path, exc)
        return 0
    try:
        expected = _identity(model_path, int(llama.n_ctx()))
        tokens = [int(t) for t in header.get("tokens", [])] if isinstance(header, dict) else []
    except (OSError, TypeError, ValueError) as exc:
        log.warning("ignoring the prompt state in %s: %s", path, exc)
        return 0
    if not isinstance(header, dict) or any(header.get(k) != v for k, v in expected.items()) or not tokens:
        log.info("ignoring the prompt state in %s: written for another model, build or context size", path)
        return 0
    if not data or len(tokens) > int(llama.n_ctx()):
        log.warning("ignoring the prompt state in %s: it is damaged", path)
        return 0
    buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    if int(llama_cpp.llama_state_seq_set_data(llama.ctx, buffer, len(data), 0)) <= 0:
        log.warning("ignoring the prompt state in %s: llama.cpp could not read it", path)
        llama.reset()
        return 0
    llama.input_ids[: len(tokens)] = tokens
    llama.n_tokens = len(tokens)
    llama._requires_eval = True  # the logits are not those of the last token: decode before sampling
    return len(tokens)
