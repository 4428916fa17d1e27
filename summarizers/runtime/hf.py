"""The transformers backend: Hugging Face seq2seq and chat models, for the hub, local directories and GPUs.

An optional extra (`pip install -e '.[torch]'`): the default install runs the offline model on llama.cpp
and needs no torch. Two kinds of model are supported:

* ``seq2seq`` -- encoder-decoder summarizers (BART/distilBART, PEGASUS, T5/FLAN-T5) via
  `AutoModelForSeq2SeqLM`; the article is the input, the summary the output;
* ``chat`` -- instruction-tuned causal LMs via `AutoModelForCausalLM` and the tokenizer's chat template.
  Causal models without a chat template (base models) are refused: they echo the prompt and invent facts.

Decoding is greedy and deliberately plain: no `repetition_penalty` (it is applied to the article's
tokens too and pushes the model away from the facts) and no `no_repeat_ngram_size` (it garbles names);
a model's own generation defaults for these are overridden. A wall-clock deadline is enforced between
tokens by a stopping criterion; `generate` holds a lock, because a torch module is not safe to drive from
two threads at once and on CPU two concurrent generations would only slow each other down.

torch and transformers are imported lazily so that status checks stay fast when no model is used.
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import os
import re
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from summarizers.runtime import packaged as models
from summarizers.runtime.base import (
    MAX_NEW_TOKENS_CAP,
    GenerationFailed,
    GenerationTimeout,
    ModelUnavailable,
    StopWhen,
    TextModel,
    Turn,
    chat_messages,
    deadline_after,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 8  # prompts per forward pass; more only adds padding and memory on CPU
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@lru_cache(maxsize=1)
def _deadline_criterion_class() -> type:
    """The stopping criterion class, built on first use so importing this module needs no transformers."""
    import torch
    from transformers import StoppingCriteria

    class DeadlineCriterion(StoppingCriteria):  # type: ignore[misc]
        """Stops every sequence once the wall clock passes `deadline`; `expired` tells the caller why."""

        def __init__(self, deadline: float) -> None:
            self.deadline = deadline
            self.expired = False

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            if time.monotonic() >= self.deadline:
                self.expired = True
            return torch.full((input_ids.shape[0],), self.expired, dtype=torch.bool, device=input_ids.device)

    return DeadlineCriterion


class TransformersModel(TextModel):
    """A loaded transformers model and its tokenizer, with batched greedy generation.

    Build it with `summarizers.runtime.loader.load_backend`, which shares one instance per process.
    """

    backend = "transformers"

    def __init__(
        self,
        name: str,
        model: Any,
        tokenizer: Any,
        kind: Literal["seq2seq", "chat"],
        device: str,
    ) -> None:
        super().__init__(name, kind, context_window=_context_window(model.config, tokenizer), where="")
        self.device = device
        self._model = model
        self._tokenizer = tokenizer
        if tokenizer.pad_token_id is None:  # most causal LMs ship without one; eos is the usual stand-in
            tokenizer.pad_token = tokenizer.eos_token
        if kind == "chat":
            tokenizer.padding_side = "left"  # the answer must follow the prompt's last token directly
        params = getattr(model.config, "task_specific_params", None) or {}
        self._prefix: str = str(params.get("summarization", {}).get("prefix", "") or "")
        threads = f", {_torch_threads()} threads" if device == "cpu" else ""
        self.where = f"{device} ({self.dtype}{threads})"

    @property
    def dtype(self) -> str:
        """The precision the weights run in, e.g. "float32"."""
        return str(self._model.dtype).removeprefix("torch.")

    # -- tokens ------------------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model's vocabulary, without special tokens."""
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def _split_by_tokens(self, text: str, max_tokens: int) -> list[str]:
        ids = self._tokenizer(text, add_special_tokens=False)["input_ids"]
        step = max(1, max_tokens - 1)
        pieces = [self._tokenizer.decode(ids[i : i + step]).strip() for i in range(0, len(ids), step)]
        return [p for p in pieces if p]

    # -- generation --------------------------------------------------------------------------------

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int,
        timeout_s: float | None = None,
        system: str | None = None,
        stop_when: StopWhen | None = None,
    ) -> list[str]:
        """Greedy completions for `prompts`, in order; raises GenerationTimeout past `timeout_s`.

        Chat models get each prompt as the user turn (after `system`, if given) through the chat
        template; seq2seq models get the prompt as input and ignore `system`. Prompts longer than the
        input window are cut to fit (with a warning); use `summarize` for long articles.
        """
        prompts, new_tokens = self._check_request(prompts, max_new_tokens)
        if not prompts:
            return []
        deadline = deadline_after(timeout_s)
        self._acquire(deadline, timeout_s)
        started = time.monotonic()
        try:
            results: list[str] = []
            for i in range(0, len(prompts), BATCH_SIZE):
                batch = prompts[i : i + BATCH_SIZE]
                results.extend(self._generate_batch(batch, new_tokens, deadline, timeout_s, system))
            self.last_call.record(time.monotonic() - started, sum(self.count_tokens(r) for r in results))
            return results
        finally:
            self._lock.release()

    def _generate_batch(
        self,
        prompts: list[str],
        new_tokens: int,
        deadline: float | None,
        timeout_s: float | None,
        system: str | None,
    ) -> list[str]:
        if self.kind == "chat":
            texts = [self._fit_chat(p, system) for p in prompts]
            enc = self._tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
            new_tokens = max(1, min(new_tokens, self.context_window - enc["input_ids"].shape[1]))
        else:
            if system:
                log.debug("%s: seq2seq models take no system message; ignoring it", self.name)
            enc = self._tokenizer(
                prompts, return_tensors="pt", padding=True, truncation=True, max_length=self.max_input_tokens
            )
            new_tokens = min(new_tokens, self.context_window - 1)  # the decoder has positions too
        return self._run(enc, new_tokens, deadline, timeout_s)

    def chat(
        self,
        turns: Sequence[Turn],
        *,
        max_new_tokens: int,
        timeout_s: float | None = None,
        system: str | None = None,
    ) -> str:
        """The whole conversation through the chat template (no KV cache is kept between calls here)."""
        if self.kind != "chat":
            raise GenerationFailed(f"{self.name}: a seq2seq model cannot continue a conversation")
        messages = chat_messages(turns, system)
        new_tokens = self._new_tokens(max_new_tokens)
        deadline = deadline_after(timeout_s)
        self._acquire(deadline, timeout_s)
        started = time.monotonic()
        try:
            enc = self._tokenizer([self._render_messages(messages)], return_tensors="pt", add_special_tokens=False)
            new_tokens = max(1, min(new_tokens, self.context_window - enc["input_ids"].shape[1]))
            text = self._run(enc, new_tokens, deadline, timeout_s)[0]
            self.last_call.record(time.monotonic() - started, self.count_tokens(text))
            return text
        finally:
            self._lock.release()

    def _run(self, enc: Any, new_tokens: int, deadline: float | None, timeout_s: float | None) -> list[str]:
        """Greedy generation on encoded inputs, stopped at `deadline`; the decoded new text of each."""
        import torch
        from transformers import StoppingCriteriaList

        enc = enc.to(self.device)
        criteria = StoppingCriteriaList()
        criterion = None
        if deadline is not None:
            criterion = _deadline_criterion_class()(deadline)
            criteria.append(criterion)
        with torch.inference_mode():
            output = self._model.generate(
                **enc, generation_config=self.generation_config(new_tokens), stopping_criteria=criteria
            )
        if criterion is not None and criterion.expired:
            raise GenerationTimeout(f"{self.name}: generation took longer than {timeout_s:g} s")
        if self.kind == "chat":
            output = output[:, enc["input_ids"].shape[1] :]
        return [t.strip() for t in self._tokenizer.batch_decode(output, skip_special_tokens=True)]

    def generation_config(self, new_tokens: int) -> Any:
        """The decoding settings `generate` uses: greedy, with the model's own sampling and
        anti-repetition defaults (BART-CNN ships no_repeat_ngram_size=3, Qwen a repetition penalty)
        switched off, and `new_tokens` capped at MAX_NEW_TOKENS_CAP."""
        config = copy.deepcopy(self._model.generation_config)
        config.update(
            do_sample=False,
            num_beams=1,
            max_new_tokens=min(new_tokens, MAX_NEW_TOKENS_CAP),
            min_length=0,
            min_new_tokens=None,
            repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            encoder_no_repeat_ngram_size=0,
            temperature=None,
            top_p=None,
            top_k=None,
            pad_token_id=self._tokenizer.pad_token_id,
        )
        return config

    def _render_chat(self, prompt: str, system: str | None) -> str:
        """The prompt in the model's chat format; a system turn the template refuses (Gemma's has no
        system role) is folded into the user turn instead."""
        return self._render_messages(chat_messages([("user", prompt)], system))

    def _render_messages(self, messages: list[dict[str, str]]) -> str:
        from jinja2.exceptions import TemplateError

        try:
            return str(
                self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            )
        except TemplateError as exc:
            if messages[0]["role"] != "system":
                raise
            log.debug(
                "%s: chat template refused a system turn (%s); folding it into the prompt", self.name, exc
            )
            system, first, *rest = messages
            return self._render_messages([{"role": "user", "content": f"{system['content']}\n\n{first['content']}"},
                                          *rest])

    def _fit_chat(self, prompt: str, system: str | None) -> str:
        """The templated prompt, with the user text cut so the whole fits `max_input_tokens`."""
        text = self._render_chat(prompt, system)
        total = self.count_tokens(text)
        if total <= self.max_input_tokens:
            return text
        overhead = total - self.count_tokens(prompt)
        room = max(1, self.max_input_tokens - overhead)
        ids = self._tokenizer(prompt, add_special_tokens=False)["input_ids"][:room]
        log.warning(
            "%s: prompt of %d tokens cut to fit the %d-token input window",
            self.name,
            total,
            self.max_input_tokens,
        )
        return self._render_chat(self._tokenizer.decode(ids), system)

    def _summary_prefix(self) -> str:
        return self._prefix

    def _chat_overhead(self, frame: str, system: str | None) -> int:
        if self.kind == "chat":
            return self.count_tokens(self._render_chat(frame, system))
        return len(self._tokenizer(frame)["input_ids"])  # with special tokens


def _context_window(config: Any, tokenizer: Any) -> int:
    """The longest input the model handles, from its config (or tokenizer when the config is silent)."""
    sizes = [
        int(v)
        for attr in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")
        if isinstance(v := getattr(config, attr, None), int) and v > 0
    ]
    tokenizer_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tokenizer_max, int) and 0 < tokenizer_max < 1_000_000:
        sizes.append(tokenizer_max)
    return min(sizes) if sizes else 512


# -- loading ---------------------------------------------------------------------------------------

def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def resolve_device(device: str = "auto") -> str:
    """ "auto" picks CUDA, then Apple MPS, then CPU; an explicit device must exist."""
    import torch

    device = device.strip().lower() or "auto"
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    try:
        kind = torch.device(device).type
    except RuntimeError as exc:
        raise ModelUnavailable(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N") from exc
    if kind == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailable(f"device {device!r} requested but CUDA is not available; use auto or cpu")
    return device


def load_transformers(spec: str, *, device: str = "auto", dtype: str = "auto", threads: int = 0) -> TransformersModel:
    """Load `spec` (a registry name, local directory or .gguf file, or Hub id) with transformers.

    No caching here: `summarizers.runtime.loader.load_backend` shares one instance per process. `dtype`
    "auto" picks the compute precision for the device (see `compute_dtype`). Every failure to produce a
    usable model raises ModelUnavailable with what is missing and how to fix it.
    """
    require_runtime()
    if threads:
        import torch

        torch.set_num_threads(threads)
    resolved = resolve_device(device)
    compute = compute_dtype(resolved, dtype, registry=spec in models.REGISTRY)
    started = time.monotonic()
    model = _load(spec, resolved, compute)
    log.info("loaded model %s on %s (%s) in %.1f s", spec, resolved, compute, time.monotonic() - started)
    return model


DTYPES = frozenset({"auto", "float32", "bfloat16", "float16"})


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX; read from /proc/cpuinfo)."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").split())
    except OSError:
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def compute_dtype(device: str, requested: str = "auto", *, registry: bool = False) -> str:
    """The precision to run in: `requested` unless "auto".

    On CPU, "auto" means float32 unless the CPU has native bfloat16: on an AVX2 CPU a bf16 matmul
    measured ~9x slower than float32 for prompt processing (4 vs 39 GFLOPS) and ~3x slower per
    generated token, which turns a three-things answer from about a minute into several. The cost is
    memory (a 1.5B model takes ~6 GB instead of ~3 GB). On GPUs registry models run in bf16 (fp16
    where bf16 is unsupported); other checkpoints keep the dtype their config declares.
    """
    import torch

    if requested not in DTYPES:
        raise ModelUnavailable(f"unknown dtype {requested!r}: use one of {', '.join(sorted(DTYPES))}")
    if requested != "auto":
        return requested
    if device == "cpu":
        return "bfloat16" if registry and cpu_has_native_bf16() else "float32"
    if not registry:
        return "auto"
    if device.startswith("cuda") and not torch.cuda.is_bf16_supported():
        return "float16"
    return "bfloat16"


def require_runtime_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))


def require_runtime() -> None:
    for module, package in (("torch", "torch"), ("transformers", "transformers")):
        if importlib.util.find_spec(module) is None:
            raise ModelUnavailable(
                f"{package} is not installed: the transformers backend needs the torch extra "
                "(pip install -e '.[torch]')"
            )


def _load(spec: str, device: str, compute: str) -> TransformersModel:
    import torch

    files: models.ModelFiles | None = None
    local_only = True
    load_dtype = compute
    if spec in models.REGISTRY:
        entry = models.REGISTRY[spec]
        try:
            files = models.assemble(entry, progress=log.info)
        except models.ModelFilesError as exc:
            raise ModelUnavailable(str(exc)) from exc
        source, gguf = files.directory, files.gguf_file
        if gguf:  # first load: de-quantize into the storage dtype, so the cached copy is written in it
            load_dtype = entry.dtype
    elif (path := Path(spec).expanduser()).exists():
        source, gguf = _local_source(path)
    elif HUB_ID.match(spec):
        source, gguf = Path(spec), None
        local_only = not downloads_allowed()
    else:
        raise ModelUnavailable(
            f"{spec}: unknown model; known names: {', '.join(models.REGISTRY)} "
            "(or a local directory, a .gguf file, or a Hub id org/name)"
        )
    if gguf and importlib.util.find_spec("gguf") is None:
        raise ModelUnavailable("loading GGUF weights needs the gguf package: pip install gguf accelerate")
    model, tokenizer, kind = _from_pretrained(spec, str(source), gguf, load_dtype, local_only)
    if files is not None:
        models.cache_converted(files, model, tokenizer)
    if load_dtype != compute and compute != "auto":
        model.to(getattr(torch, compute))  # tensor by tensor: peak memory stays near the final size
    model.to(device)
    model.eval()
    return TransformersModel(spec, model, tokenizer, kind, device)


def _local_source(path: Path) -> tuple[Path, str | None]:
    if path.is_file():
        if path.suffix != ".gguf":
            raise ModelUnavailable(f"{path}: a model file must be .gguf; otherwise give the model directory")
        return path.parent, path.name
    if (path / "config.json").is_file():
        return path, None
    ggufs = sorted(path.glob("*.gguf"))
    if len(ggufs) == 1:
        return path, ggufs[0].name
    raise ModelUnavailable(f"{path}: no config.json and no single .gguf file: not a model directory")


def downloads_allowed() -> bool:
    """Hub downloads follow the usual Hugging Face switch, read at call time."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() not in {"1", "true", "yes", "on"}


def _from_pretrained(
    spec: str, source: str, gguf: str | None, dtype: str, local_only: bool
) -> tuple[Any, Any, Literal["seq2seq", "chat"]]:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # bars would garble CLI output and bot logs; load time is logged
    kwargs: dict[str, Any] = {"local_files_only": local_only}
    if gguf:
        kwargs["gguf_file"] = gguf
    try:
        config = AutoConfig.from_pretrained(source, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        kind: Literal["seq2seq", "chat"]
        loader: Any
        if getattr(config, "is_encoder_decoder", False):
            kind, loader = "seq2seq", AutoModelForSeq2SeqLM
        else:
            if not getattr(tokenizer, "chat_template", None):
                raise ModelUnavailable(
                    f"{spec}: a causal LM without a chat template (a base model); briefbot needs an "
                    "instruction-tuned chat model or a seq2seq summarization model"
                )
            kind, loader = "chat", AutoModelForCausalLM
        torch_dtype = getattr(torch, dtype) if dtype != "auto" else "auto"
        model = loader.from_pretrained(source, dtype=torch_dtype, **kwargs)
    except ModelUnavailable:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, ImportError, TypeError) as exc:
        hint = (
            ""
            if not local_only or Path(source).exists()
            else " (not in the local Hugging Face cache; downloads are off)"
        )
        raise ModelUnavailable(f"{spec}: cannot load model{hint}: {exc}") from exc
    return model, tokenizer, kind


def status(spec: str) -> tuple[bool, str]:
    """(usable, one-line reason) for `spec` on this backend without loading weights (for `doctor`)."""
    for module, package in (("torch", "torch"), ("transformers", "transformers")):
        if importlib.util.find_spec(module) is None:
            return False, f"{spec}: {package} is not installed: pip install -e '.[torch]'"
    if spec in models.REGISTRY:
        entry = models.REGISTRY[spec]
        ok, reason = models.status(entry)
        if ok and not models.is_converted(entry):
            for module in ("gguf", "accelerate"):
                if importlib.util.find_spec(module) is None:
                    return False, f"{spec}: loading GGUF weights needs {module}: pip install {module}"
        return ok, reason
    path = Path(spec).expanduser()
    if path.exists():
        try:
            _local_source(path)
        except ModelUnavailable as exc:
            return False, str(exc)
        return True, f"{spec}: local model"
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(spec, "config.json"), str):
        return True, f"{spec}: in the Hugging Face cache"
    if downloads_allowed():
        return True, f"{spec}: not cached; it will be downloaded from the Hugging Face Hub on first use"
    return False, f"{spec}: not in the Hugging Face cache and downloads are off (HF_HUB_OFFLINE)"
