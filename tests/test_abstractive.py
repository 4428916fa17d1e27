"""The transformers backend on tiny random models built here: loading, batching, chunking, timeouts,
errors, and the offline model registry (assembly, sha256 check, safetensors cache).

The transformers backend is the optional `torch` extra: without torch these tests are skipped (the
llama.cpp and endpoint backends are tested in test_runtime.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the transformers backend needs the torch extra: pip install -e '.[torch]'")

from tiny_models import NO_SYSTEM_TEMPLATE, tiny_chat_model, tiny_seq2seq_model  # noqa: E402

from summarizers.methods.abstractive import (  # noqa: E402
    AbstractiveModel,
    GenerationFailed,
    GenerationTimeout,
    ModelUnavailable,
    load_model,
    model_status,
)
from summarizers.runtime import hf  # noqa: E402
from summarizers.runtime import packaged as models  # noqa: E402
from summarizers.runtime.base import chat_messages  # noqa: E402

LONG_TEXT = " ".join(
    [
        "Elon Musk spoke with Donald Trump on X for two hours.",
        "The conversation began 42 minutes late because of technical problems.",
        "Musk endorsed Trump and pledged about $45 million a month to a super PAC.",
        "Officials in the U.S. reported 7.1 million arrests at the border.",
        "The council approved a new bus network and the mayor said commutes would be ten minutes shorter.",
    ]
    * 4
)


@pytest.fixture(scope="module")
def chat_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_chat_model(tmp_path_factory.mktemp("chat"))


@pytest.fixture(scope="module")
def seq2seq_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_seq2seq_model(tmp_path_factory.mktemp("bart"))


@pytest.fixture
def chat(chat_dir: Path) -> AbstractiveModel:
    return load_model(str(chat_dir), device="cpu")


@pytest.fixture
def seq2seq(seq2seq_dir: Path) -> AbstractiveModel:
    return load_model(str(seq2seq_dir), device="cpu")


def test_chat_model_loads_once_and_is_shared(chat_dir: Path, chat: AbstractiveModel) -> None:
    assert chat.kind == "chat" and chat.device == "cpu"
    assert chat.max_input_tokens < chat.context_window  # room is kept for the answer
    assert load_model(str(chat_dir), device="cpu") is chat
    assert load_model(f"  {chat_dir}  ", device="cpu") is chat


def test_batched_generation_matches_one_by_one(chat: AbstractiveModel) -> None:
    prompts = [
        "Musk spoke with Trump .",
        "The council approved a new bus network and the mayor said so .",
        "X",
    ]
    batched = chat.generate(prompts, max_new_tokens=6, system="Use only facts stated in the article.")
    single = [
        chat.generate([p], max_new_tokens=6, system="Use only facts stated in the article.")[0]
        for p in prompts
    ]
    # Left padding and attention masks must make a padded batch decode exactly like single prompts.
    assert batched == single
    assert all(len(out.split()) == 6 for out in batched)  # specials suppressed: exactly the cap


def test_generate_caps_and_validates(chat: AbstractiveModel) -> None:
    assert chat.generate([], max_new_tokens=5) == []
    with pytest.raises(TypeError):
        chat.generate("one string", max_new_tokens=5)
    with pytest.raises(ValueError):
        chat.generate(["x"], max_new_tokens=0)
    config = chat.generation_config(10_000)
    assert config.max_new_tokens == hf.MAX_NEW_TOKENS_CAP


def test_system_turn_is_folded_in_when_the_template_has_none(tmp_path: Path) -> None:
    model = load_model(str(tiny_chat_model(tmp_path / "gemma-like", chat_template=NO_SYSTEM_TEMPLATE)))
    assert len(model.generate(["Musk spoke ."], max_new_tokens=3, system="Use only facts.")[0].split()) == 3


def test_chat_renders_the_whole_conversation(chat: AbstractiveModel, tmp_path: Path) -> None:
    turns = [("user", "Musk spoke with Trump ."), ("assistant", "- Musk spoke ."), ("user", "Is 1 right ?")]
    rendered = chat._render_messages(chat_messages(turns, "Use only facts."))  # type: ignore[attr-defined]
    assert rendered.index("Musk spoke with Trump") < rendered.index("- Musk spoke .") < rendered.index("Is 1 right")
    assert len(chat.chat(turns, max_new_tokens=3, system="Use only facts.").split()) == 3
    gemma = load_model(str(tiny_chat_model(tmp_path / "gemma-like", chat_template=NO_SYSTEM_TEMPLATE)))
    assert len(gemma.chat(turns, max_new_tokens=2, system="Use only facts.").split()) == 2
    with pytest.raises(ValueError, match="end with a user turn"):
        chat.chat(turns[:2], max_new_tokens=2)


def test_seq2seq_models_cannot_chat(seq2seq: AbstractiveModel) -> None:
    with pytest.raises(GenerationFailed, match="conversation"):
        seq2seq.chat([("user", "Hi .")], max_new_tokens=2)


def test_overlong_chat_prompt_is_cut_to_the_window(chat: AbstractiveModel) -> None:
    out = chat.generate([LONG_TEXT * 5], max_new_tokens=4)
    assert len(out) == 1 and len(out[0].split()) == 4


def test_seq2seq_defaults_are_overridden(seq2seq: AbstractiveModel) -> None:
    assert seq2seq.kind == "seq2seq"
    config = seq2seq.generation_config(20)
    assert config.num_beams == 1 and config.do_sample is False
    assert config.no_repeat_ngram_size == 0 and config.repetition_penalty == 1.0


def test_chunks_fit_the_window_and_keep_every_word(seq2seq: AbstractiveModel) -> None:
    chunks = seq2seq.chunk_text(LONG_TEXT, 30)
    assert len(chunks) > 3
    assert all(seq2seq.count_tokens(c) <= 30 for c in chunks)
    assert " ".join(chunks).split() == LONG_TEXT.split()
    assert seq2seq.chunk_text("   ", 30) == []
    # A sentence longer than the budget is cut by tokens rather than dropped.
    run_on = "Musk spoke with Trump " * 20 + "."
    pieces = seq2seq.chunk_text(run_on, 10)
    assert len(pieces) > 1 and all(seq2seq.count_tokens(p) <= 10 for p in pieces)


def test_long_input_is_map_reduced(seq2seq: AbstractiveModel, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = seq2seq.generate

    def spy(prompts: list[str], **kwargs: object) -> list[str]:
        calls.append(len(prompts))
        assert all(seq2seq.count_tokens(p) <= seq2seq.max_input_tokens for p in prompts)
        return real(prompts, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(seq2seq, "generate", spy)
    summary = seq2seq.summarize(LONG_TEXT, title="Musk and Trump", max_new_tokens=8)
    assert calls[0] > 1  # map: one batched call over all chunks
    assert calls[-1] == 1  # reduce ends on a single piece
    assert isinstance(summary, str) and 0 < len(summary.split()) <= 8
    with pytest.raises(ValueError):
        seq2seq.summarize("  ")


def test_short_input_is_one_call(chat: AbstractiveModel) -> None:
    summary = chat.summarize("Musk spoke with Trump on X for two hours.", title="Musk", max_new_tokens=5)
    assert len(summary.split()) == 5


def test_timeout_raises(chat: AbstractiveModel, seq2seq: AbstractiveModel) -> None:
    with pytest.raises(GenerationTimeout):
        chat.generate(["Musk spoke with Trump ."], max_new_tokens=50, timeout_s=0)
    with pytest.raises(GenerationTimeout):
        seq2seq.summarize(LONG_TEXT, max_new_tokens=50, timeout_s=0)
    # The model stays usable after a timeout.
    assert len(chat.generate(["Musk spoke with Trump ."], max_new_tokens=3)) == 1


def test_waiting_for_a_busy_model_counts_against_the_timeout(chat: AbstractiveModel) -> None:
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with chat._lock:
            held.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert held.wait(5)
        with pytest.raises(GenerationTimeout, match="busy"):
            chat.generate(["Musk"], max_new_tokens=3, timeout_s=0.05)
    finally:
        release.set()
        worker.join()


def test_unavailable_models_say_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelUnavailable, match="switched off"):
        load_model("none")
    with pytest.raises(ModelUnavailable, match="unknown model"):
        load_model(str(tmp_path / "missing" / "dir"))
    with pytest.raises(ModelUnavailable, match="known names: qwen2.5-coder-1.5b"):
        load_model("qwen2.5-coder-1.6b")  # a typo is refused at once, with no Hub call
    with pytest.raises(ModelUnavailable, match="config.json"):
        load_model(str(tmp_path))
    base = tiny_chat_model(tmp_path / "base", chat_template=None)
    with pytest.raises(ModelUnavailable, match="chat template"):
        load_model(str(base))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match="cannot load"):
        load_model("briefbot-tests/no-such-model")
    with pytest.raises(ModelUnavailable, match="device"):
        load_model(str(base), device="tpu9")


def test_cpu_precision_follows_the_hardware(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hf, "cpu_has_native_bf16", lambda: False)
    assert hf.compute_dtype("cpu", registry=True) == "float32"  # bf16 matmuls crawl on AVX2
    monkeypatch.setattr(hf, "cpu_has_native_bf16", lambda: True)
    assert hf.compute_dtype("cpu", registry=True) == "bfloat16"
    assert hf.compute_dtype("cpu", registry=False) == "float32"
    assert hf.compute_dtype("cpu", "float16") == "float16"
    with pytest.raises(ModelUnavailable, match="dtype"):
        hf.compute_dtype("cpu", "int3")


def test_model_status_is_cheap_and_honest(
    chat_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert model_status(str(chat_dir)) == (True, f"{chat_dir}: local model")
    assert model_status("none")[0] is False
    assert model_status(str(tmp_path))[0] is False
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ok, reason = model_status("briefbot-tests/no-such-model")
    assert not ok and "downloads are off" in reason


# -- registry (assembly tests are in test_runtime.py) ------------------------------------------------

def test_converted_copy_sits_beside_the_gguf(fake_packaged: models.PackagedModel, chat_dir: Path) -> None:
    files = models.assemble(fake_packaged)
    model = load_model(str(chat_dir), device="cpu")
    models.cache_converted(files, model._model, model._tokenizer)
    assert models.is_converted(fake_packaged)
    assert (files.directory / "fake.gguf").exists()  # llama.cpp still loads the GGUF itself
    converted = models.assemble(fake_packaged)
    assert converted.converted and (converted.directory / "config.json").is_file()
    reloaded = load_model(str(converted.directory), device="cpu")
    assert reloaded.generate(["Musk"], max_new_tokens=3) == model.generate(["Musk"], max_new_tokens=3)
    assert models.status(fake_packaged) == (True, f"fake: ready (cached at {converted.directory})")
