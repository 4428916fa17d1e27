"""Abstractive summaries: the method's view of the model runtime.

Summary methods work against one interface, `summarizers.runtime.base.TextModel` (named
`AbstractiveModel` here, as the methods have always called it): `generate`, `count_tokens`, `chunk_text`
and the map-reduce `summarize`. Which engine runs it -- llama.cpp on the packaged GGUF (the default),
transformers (the `torch` extra), or an OpenAI-compatible endpoint -- is chosen and loaded once per
process by `summarizers.runtime.loader`.
"""

from __future__ import annotations

from summarizers.runtime.base import GenerationFailed, GenerationTimeout, ModelUnavailable, TextModel
from summarizers.runtime.loader import RuntimeOptions, backend_status, load_backend

AbstractiveModel = TextModel

__all__ = [
    "AbstractiveModel",
    "GenerationFailed",
    "GenerationTimeout",
    "ModelUnavailable",
    "load_model",
    "model_status",
]


def load_model(spec: str, *, device: str = "auto", dtype: str = "auto", backend: str = "auto") -> TextModel:
    """The model named by `spec` with default runtime options, shared per process (see `load_backend`)."""
    return load_backend(spec, RuntimeOptions(backend=backend, device=device, dtype=dtype))


def model_status(spec: str) -> tuple[bool, str]:
    """(usable, one-line reason) for `spec` without loading weights."""
    ok, _backend, reason = backend_status(spec)
    return ok, reason
