"""Choose a backend for a model spec, load it once per process, and say cheaply whether it would load.

`load_backend(spec, options)` is the one entry point: the bot, the scheduler's pre-summarising, the CLI,
`eval` and the benchmarks all call it (through `bot.briefing.summaries` where Settings are involved), so a
model is loaded once and shared by every request in the process.

Backend "auto" picks: the OpenAI-compatible endpoint when a URL is set; llama.cpp for the packaged GGUF
models and local .gguf files (when llama-cpp-python is installed); transformers for Hub ids and local
model directories. A spec that is none of these is refused at once, naming the known models, with no
network call: a typo must not cost half a minute of Hub retries.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from summarizers.runtime import hf, llamacpp
from summarizers.runtime import packaged as models
from summarizers.runtime.base import ModelUnavailable, TextModel

log = logging.getLogger(__name__)

Backend = Literal["auto", "llama.cpp", "transformers", "endpoint"]
BACKENDS: tuple[str, ...] = ("auto", "llama.cpp", "transformers", "endpoint")
OFF_SPECS = frozenset({"", "none", "off", "false", "0", "extractive"})
LAST_CALL_FILE = "last-call.json"
PROMPT_STATE_DIR = "prompt-state"  # llama.cpp KV caches kept between processes (runtime.prompt_state)


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    """How to run a model. Hashable: loaded models are shared per (spec, options)."""

    backend: str = "auto"
    threads: int = 0  # 0 = every core this process may use (llama.cpp) / torch's default
    context: int = 0  # llama.cpp n_ctx; 0 = the backend's default
    device: str = "auto"  # transformers only
    dtype: str = "auto"  # transformers only
    url: str | None = None  # endpoint base URL ending in /v1
    api_key: str | None = None  # endpoint bearer token (a secret: never logged)
    concurrency: int = 4  # endpoint requests in flight at once

    def __repr__(self) -> str:  # keep the key out of any repr that reaches a log
        key = "***" if self.api_key else None
        return (f"RuntimeOptions(backend={self.backend!r}, threads={self.threads}, context={self.context}, "
                f"device={self.device!r}, dtype={self.dtype!r}, url={self.url!r}, api_key={key!r})")


_models: dict[tuple[str, RuntimeOptions], TextModel] = {}
_load_lock = threading.Lock()


def is_off(spec: str) -> bool:
    return spec.strip().lower() in OFF_SPECS


def choose_backend(spec: str, options: RuntimeOptions) -> str:
    """The backend `spec` runs on under `options` (resolving "auto"); raises ModelUnavailable for an
    unknown model or backend name."""
    spec = spec.strip()
    if options.backend not in BACKENDS:
        raise ModelUnavailable(f"unknown model backend {options.backend!r}; use one of: {', '.join(BACKENDS)}")
    if options.backend != "auto":
        return options.backend
    if options.url:
        return "endpoint"
    if spec in models.REGISTRY or spec.lower().endswith(".gguf"):
        if llamacpp.available():
            return "llama.cpp"
        if hf.require_runtime_available():
            return "transformers"
        raise ModelUnavailable(
            f"{spec}: no runtime installed: pip install llama-cpp-python==0.3.36"
        )
    path = Path(spec).expanduser()
    if path.is_dir() and not (path / "config.json").is_file() and len(list(path.glob("*.gguf"))) == 1:
        return "llama.cpp" if llamacpp.available() else "transformers"
    if path.exists() or hf.HUB_ID.match(spec):
        return "transformers"
    raise ModelUnavailable(unknown_model_message(spec))


def unknown_model_message(spec: str) -> str:
    return (f"unknown model {spec!r}; known names: {', '.join(models.REGISTRY)} "
            "(or a local model directory, a .gguf file, or a Hugging Face id org/name)")


def load_backend(spec: str, options: RuntimeOptions | None = None) -> TextModel:
    """The model named by `spec`, loaded once per (spec, options) and shared by every caller.

    `spec` is a registry name, a local directory or .gguf file, a Hub id, or (endpoint) the model name the
    server knows. "none" switches abstractive summaries off. Every failure raises ModelUnavailable
    with what is missing and how to fix it.
    """
    options = options or RuntimeOptions()
    spec = spec.strip()
    if is_off(spec) and not options.url:
        raise ModelUnavailable("abstractive summaries are switched off")
    backend = choose_backend(spec, options)
    key = (spec, options)
    with _load_lock:  # one load at a time: a second caller waits and then shares the result
        if key not in _models:
            _models[key] = _load(spec, backend, options)
        return _models[key]


def _load(spec: str, backend: str, options: RuntimeOptions) -> TextModel:
    if backend == "endpoint":
        from summarizers.runtime.endpoint import EndpointModel

        if not options.url:
            raise ModelUnavailable("the endpoint backend needs model_url (BRIEFBOT_MODEL_URL)")
        return EndpointModel(spec, options.url, api_key=options.api_key, concurrency=options.concurrency,
                             context=options.context)
    if backend == "llama.cpp":
        return llamacpp.load_llamacpp(spec, gguf_path(spec), threads=options.threads, context=options.context,
                                      state_dir=models.cache_root() / PROMPT_STATE_DIR)
    if not (spec in models.REGISTRY or Path(spec).expanduser().exists() or hf.HUB_ID.match(spec)):
        raise ModelUnavailable(unknown_model_message(spec))
    if hf.HUB_ID.match(spec) and not Path(spec).expanduser().exists() and not hf.downloads_allowed():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no retries against a Hub we may not reach
    return hf.load_transformers(spec, device=options.device, dtype=options.dtype, threads=options.threads)


def gguf_path(spec: str) -> Path:
    """The GGUF file for a registry name (assembled and sha256-checked on first use) or a local path."""
    if spec in models.REGISTRY:
        try:
            return models.assemble_gguf(models.REGISTRY[spec], progress=log.info)
        except models.ModelFilesError as exc:
            raise ModelUnavailable(str(exc)) from exc
    path = Path(spec).expanduser()
    if path.is_dir():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) != 1:
            raise ModelUnavailable(f"{path}: expected one .gguf file, found {len(ggufs)}")
        path = ggufs[0]
    if not path.is_file():
        raise ModelUnavailable(f"{spec}: no such GGUF file")
    return path


def backend_status(spec: str, options: RuntimeOptions | None = None) -> tuple[bool, str, str]:
    """(usable, backend, one-line reason) for `spec` without loading weights or calling the network:
    for start-up and `briefbot doctor`."""
    options = options or RuntimeOptions()
    spec = spec.strip()
    if is_off(spec) and not options.url:
        return False, "none", "abstractive summaries are switched off"
    try:
        backend = choose_backend(spec, options)
    except ModelUnavailable as exc:
        return False, options.backend, str(exc)
    if backend == "endpoint":
        if not options.url:
            return False, backend, "the endpoint backend needs model_url (BRIEFBOT_MODEL_URL)"
        from summarizers.runtime.endpoint import redact_url

        return True, backend, f"{spec} at {redact_url(options.url)}"
    if backend == "llama.cpp":
        if not llamacpp.available():
            return False, backend, "llama-cpp-python is not installed"
        if spec in models.REGISTRY:
            ok, reason = models.status(models.REGISTRY[spec], converted_ok=False)
            return ok, backend, reason
        return True, backend, f"{spec}: local GGUF"
    ok, reason = hf.status(spec)
    return ok, backend, reason


# -- the last call's timing, for `doctor` ---------------------------------------------------------------


def record_last_call(model: TextModel) -> None:
    """Persist the model's last generation timing (a tiny JSON in the model cache); failures are ignored."""
    stats = model.last_call
    if stats.seconds is None:
        return
    data = {"model": model.name, "backend": model.backend, "where": model.where, **stats.as_dict()}
    path = models.cache_root() / LAST_CALL_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.debug("could not record the last model call: %s", exc)


def last_call() -> dict[str, object] | None:
    """The timing `record_last_call` saved most recently in this cache, or None."""
    try:
        data = json.loads((models.cache_root() / LAST_CALL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe_last_call(data: dict[str, object] | None) -> str:
    if not data or not isinstance(data.get("seconds"), int | float):
        return "no model call recorded yet"
    seconds = float(data["seconds"])  # type: ignore[arg-type]
    tokens = data.get("new_tokens")
    rate = f", {tokens} tokens ({tokens / seconds:.1f}/s)" if isinstance(tokens, int) and seconds > 0 else ""
    when = data.get("finished_at")
    ago = f", {_ago(time.time() - float(when))} ago" if isinstance(when, int | float) else ""
    return f"{seconds:.1f} s{rate} on {data.get('backend')} ({data.get('model')}){ago}"


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"
