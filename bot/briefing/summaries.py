"""The one model loader that takes Settings: the service, the scheduler's pre-summarising (through the
service), `briefbot summarize`, `briefbot eval` and `briefbot doctor` all get the model here.

It maps Settings (and the endpoint key from the environment) to `RuntimeOptions`, loads once per process
through `summarizers.runtime.loader.load_backend`, and turns a model that cannot be used into `None` plus
one short notice for the reader: the detail goes to the log once, never into the digest text.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable

from bot.settings import Settings, get_secrets
from summarizers.nlp import prewarm
from summarizers.runtime.base import ModelUnavailable, TextModel
from summarizers.runtime.loader import RuntimeOptions, backend_status, is_off, load_backend, record_last_call

log = logging.getLogger(__name__)

UNAVAILABLE_NOTE = "The summary model is unavailable; these points are extractive (copied from the articles)."


def runtime_options(settings: Settings) -> RuntimeOptions:
    key = get_secrets().model_api_key
    return RuntimeOptions(
        backend=settings.model_backend,
        threads=settings.model_threads,
        context=settings.model_context,
        device=settings.model_device,
        dtype=settings.model_dtype,
        url=settings.model_url or None,
        api_key=key.get_secret_value() if key is not None else None,
        concurrency=settings.model_concurrency,
    )


def wants_model(settings: Settings, spec: str | None = None) -> bool:
    """Whether a model should be loaded at all: not for `summary_method = "extractive"` or model "none"."""
    spec = settings.model if spec is None else spec
    return settings.summary_method != "extractive" and (settings.model_url is not None or not is_off(spec))


def load_summary_model(settings: Settings, spec: str | None = None) -> TextModel:
    """The configured model (or `spec`), shared per process; raises ModelUnavailable.

    The spaCy pipeline that checks the model's points starts loading alongside (`prewarm`): the two
    loads overlap instead of adding up.
    """
    prewarm()
    if not _downloads_allowed():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return load_backend(settings.model if spec is None else spec, runtime_options(settings))


def model_status(settings: Settings) -> tuple[bool, str, str]:
    """(usable, backend, reason) without loading weights or touching the network."""
    if settings.summary_method == "extractive":
        return False, "none", 'summary_method = "extractive": no model is used'
    return backend_status(settings.model, runtime_options(settings))


def _downloads_allowed() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() not in {"1", "true", "yes", "on"}


class SummaryModel:
    """Loads the configured model on first use, at most once, and remembers why it could not.

    `note` is the one notice a reader sees when the model is unavailable (None when it is switched off
    on purpose); the reason is logged once at WARNING.
    """

    def __init__(self, settings: Settings, spec: str | None = None, *,
                 on_load: Callable[[str], None] | None = None, log_failures: bool = True) -> None:
        self.settings = settings
        self.spec = settings.model if spec is None else spec
        self.note: str | None = None
        self.reason: str | None = None
        self._model: TextModel | None = None
        self._tried = False
        self._lock = threading.Lock()
        self._on_load = on_load
        self._log_failures = log_failures  # the CLI says it on stderr itself, once

    def get(self) -> TextModel | None:
        with self._lock:
            if not self._tried:
                self._tried = True
                if not wants_model(self.settings, self.spec):
                    self.reason = "abstractive model switched off"
                    log.info("abstractive model switched off; serving extractive briefings")
                    return None
                started = time.monotonic()
                try:
                    if self._on_load is not None:
                        self._on_load(self.spec)
                    self._model = load_summary_model(self.settings, self.spec)
                except ModelUnavailable as exc:
                    self.reason = str(exc)
                    self.note = UNAVAILABLE_NOTE
                    (log.warning if self._log_failures else log.debug)("abstractive model unavailable: %s; serving extractive briefings", exc)
                else:
                    log.debug("model ready in %.1f s", time.monotonic() - started)
            return self._model

    def record(self) -> None:
        """Persist the last call's timing for `doctor` (cheap: one small file write)."""
        if self._model is not None:
            record_last_call(self._model)


def tty_notice(message: str) -> None:
    """A progress line on stderr, only when a person is watching (stderr is a terminal)."""
    if sys.stderr.isatty():
        sys.stderr.write(f"briefbot: {message}\n")
        sys.stderr.flush()
