"""Every installed model backend side by side, in one run: load, three things per article, tokens/s, RSS.

    nice -n 10 .venv/bin/python benchmarks/bench_abstractive.py                  # default model, all backends
    nice -n 10 .venv/bin/python benchmarks/bench_abstractive.py --model smollm2 --articles 3
    .venv/bin/python benchmarks/bench_abstractive.py --backends llama.cpp,endpoint

Each backend runs in its own child process (so peak RSS and load time are that backend's alone) on the
same inputs: the seed page (../shared/fixtures/trump_musk_x_conversation.txt, cleaned) and the first N
BBC politics dev articles (../shared/data/bbc_politics_dev.jsonl). "endpoint" starts a real
`python -m llama_cpp.server` on 127.0.0.1 with the same GGUF and times the client; its RSS column is the
server's. Figures: load (s), three things on the seed (s), mean s/article over the dev articles, new
tokens/s during generation, peak RSS (MB, ru_maxrss of the child). Threads default to 2 (the machine is
shared). Nothing here is a test: it prints figures for the README.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("BRIEFBOT_SHARED", ROOT.parent / "shared"))  # ../shared from the repo root
SEED = SHARED / "fixtures" / "trump_musk_x_conversation.txt"
DEV = SHARED / "data" / "bbc_politics_dev.jsonl"
FALLBACK = (
    "Senate passes the budget bill\n\nThe Senate passed the budget bill on Monday by a vote of 52 to 48. "
    "Senator Maria Lopez said the bill would fund new bridges in Ohio. The House will vote on the bill next "
    "week, according to Speaker John Reed. The bill includes $40 billion for roads and $12 billion for rail."
)


def installed_backends() -> list[str]:
    found = []
    if importlib.util.find_spec("llama_cpp"):
        found.append("llama.cpp")
        if importlib.util.find_spec("uvicorn") and importlib.util.find_spec("sse_starlette"):
            found.append("endpoint")
    if importlib.util.find_spec("torch") and importlib.util.find_spec("transformers"):
        found.append("transformers")
    return found


def inputs(count: int) -> list[tuple[str, str | None]]:
    from bot.articles.clean import clean_text

    texts: list[tuple[str, str | None]] = [
        (clean_text(SEED.read_text(encoding="utf-8")), None) if SEED.is_file() else (FALLBACK, None)
    ]
    if DEV.is_file():
        with DEV.open(encoding="utf-8") as fh:
            for line in fh:
                if len(texts) > count:
                    break
                record = json.loads(line)
                texts.append((record["text"], record.get("title")))
    return texts


def child(backend: str, model: str, threads: int, count: int, url: str | None) -> None:
    """Runs in the child: load, then three things on every input; prints one JSON line."""
    import logging

    logging.basicConfig(level=logging.ERROR)
    from summarizers.methods.three_things import three_things
    from summarizers.runtime.loader import RuntimeOptions, load_backend

    texts = inputs(count)
    started = time.perf_counter()
    options = RuntimeOptions(backend=backend, threads=threads, url=url, device="cpu")
    loaded = load_backend(model, options)
    load_s = time.perf_counter() - started
    times, gen_s, tokens, credited = [], 0.0, 0, 0
    for i, (text, title) in enumerate(texts):
        started = time.perf_counter()
        result = three_things(text, title=title, model=loaded, timeout_s=600, max_new_tokens=160)
        times.append(time.perf_counter() - started)
        credited += result.model is not None
        if loaded.last_call.seconds:
            gen_s += loaded.last_call.seconds
            tokens += loaded.last_call.new_tokens or 0
        if i == 0:
            seed_points = [f"[{p.method}] {p.text}" for p in result.points]
    dev = times[1:]
    print(json.dumps({
        "backend": backend, "where": loaded.where, "load_s": load_s, "seed_s": times[0],
        "dev_s": sum(dev) / len(dev) if dev else None, "dev_n": len(dev),
        "tokens_per_s": tokens / gen_s if gen_s else None, "credited": credited, "n": len(times),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "seed_points": seed_points,
    }))


def start_server(model: str, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    from summarizers.runtime.loader import gguf_path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path(model)), "--model_alias", model,
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", str(threads),
         "--n_threads_batch", str(threads), "--verbose", "False"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    import httpx

    for _ in range(600):
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("llama_cpp.server did not start")


def server_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="registry name or .gguf (default: %(default)s)")
    parser.add_argument("--backends", help="comma-separated (default: every installed one)")
    parser.add_argument("--articles", type=int, default=10, help="dev articles besides the seed (default 10)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--show-points", action="store_true", help="print each backend's seed points")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.model, args.threads, args.articles, args.url)
        return
    backends = args.backends.split(",") if args.backends else installed_backends()
    print(f"model {args.model}; {args.threads} threads; seed page + {args.articles} BBC dev articles; "
          f"{os.cpu_count()} CPUs; backends: {', '.join(backends)}")
    rows = []
    for backend in backends:
        server = None
        cmd = [sys.executable, __file__, "--child", backend, "--model", args.model,
               "--threads", str(args.threads), "--articles", str(args.articles)]
        if backend == "endpoint":
            server, url = start_server(args.model, args.threads)
            cmd += ["--url", url]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        finally:
            if server is not None:
                rss = server_rss_mb(server.pid)
                server.terminate()
                try:
                    server.wait(10)
                except subprocess.TimeoutExpired:
                    server.kill()
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if done.returncode or not lines:
            print(f"{backend}: failed ({done.stderr.strip().splitlines()[-1:] or done.returncode})")
            continue
        row = json.loads(lines[-1])
        if server is not None:
            row["rss_mb"] = rss
            row["where"] += " (llama_cpp.server on 127.0.0.1; RSS is the server's)"
        rows.append(row)
    print()
    print("| backend | load | three things, seed page | s/article (dev) | new tokens/s (incl. prefill) | peak RSS | model-written |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        dev = f"{r['dev_s']:.1f} s (n={r['dev_n']})" if r["dev_s"] is not None else "-"
        tps = f"{r['tokens_per_s']:.1f}" if r["tokens_per_s"] else "-"
        rss = f"{r['rss_mb']:.0f} MB" if r["rss_mb"] else "-"
        print(f"| {r['backend']} | {r['load_s']:.1f} s | {r['seed_s']:.1f} s | {dev} | {tps} | {rss} | "
              f"{r['credited']}/{r['n']} |")
    for r in rows:
        print(f"\n{r['backend']}: {r['where']}")
        if args.show_points:
            for point in r["seed_points"]:
                print(f"  {point}")


if __name__ == "__main__":
    main()
