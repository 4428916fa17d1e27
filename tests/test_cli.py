"""The CLI contract later issues and outside checks rely on: forms, outputs and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import get_settings
from bot.store import Store

GOOD = ("The city council voted 7 to 2 on Monday to approve a new bus network. "
        "Mayor Lena Ortiz said the plan would cut average commutes by ten minutes. "
        "Opponents said the council had ignored riders in the northern suburbs. "
        "Service on the new routes starts in March.")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def article_count() -> int:
    store = Store(get_settings().database_url)
    try:
        return store.count_articles()
    finally:
        store.close()


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([], capsys)[0] == 2
    assert run(["digest", "--format", "yaml"], capsys)[0] == 2
    assert run(["no-such-command"], capsys)[0] == 2


def test_a_subcommand_imports_only_what_it_runs_on() -> None:
    """`summarize` must not pay for the store (SQLAlchemy, Alembic), the fetcher or trafilatura."""
    code = (
        "import sys; from bot.cli import build_parser, requested_command; "
        "build_parser(requested_command(['-v', 'summarize', 'f.txt'])); "
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'trafilatura', 'httpx', 'bot.store') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    proc = subprocess.run([sys.executable, "-m", "bot", "summarize", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "--method" in proc.stdout


def test_python_dash_m_bot_shows_help() -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    for name in ("ingest", "digest", "summarize", "run", "chat", "doctor"):
        assert name in proc.stdout


def test_digest_on_a_fresh_database_uses_the_bundled_samples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["digest", "--limit", "3"], capsys)
    assert code == 0, err
    assert "bundled sample stories" in err
    assert "THREE THINGS TO KNOW" in out
    assert out.count("https://example.") >= 3
    # The two outlets' copies of the budget story are one story with both links.
    assert out.count("Nobody gets everything") <= 1


def test_digest_json_points_are_grounded_in_their_sources(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["digest", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["type"] == "digest" and data["stories"]
    for story in data["stories"]:
        assert 1 <= len(story["points"]) <= 3
        for point in story["points"]:
            assert point["sources"], point
            assert all(s["sentence"] for s in point["sources"])


def test_digest_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["digest", "--format", "markdown", "--limit", "1"], capsys)
    assert code == 0 and out.startswith("# ") and "## " in out


def test_digest_of_given_articles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bus.txt"
    f.write_text(GOOD, encoding="utf-8")
    code, out, _ = run(["digest", "--articles", str(f)], capsys)
    assert code == 0 and "bus network" in out


def test_ingest_reports_added_then_duplicate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bus.txt"
    f.write_text(GOOD, encoding="utf-8")
    code, out, _ = run(["ingest", str(f)], capsys)
    assert code == 0 and "added" in out and "1 added" in out
    code, out, _ = run(["ingest", str(f)], capsys)
    assert code == 0 and "duplicate" in out and "0 added, 1 skipped" in out
    assert article_count() == 1


@pytest.fixture
def slow_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local server: /slow never answers in time, /feed.xml is broken XML."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/slow":
                time.sleep(3)
            body = b"<?xml version='1.0'?><rss><channel><item><title>broken"
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOW_HOSTS", '["127.0.0.1"]')
    monkeypatch.setenv("BRIEFBOT_FETCH_TIMEOUT_S", "0.5")
    get_settings.cache_clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _bad_inputs(tmp_path: Path, base_url: str) -> dict[str, str]:
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 1000)
    big = tmp_path / "huge.txt"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    (tmp_path / "garbled.txt").write_bytes(b"\xff\xfe" + b"Senate passes the bill. " * 20)
    (tmp_path / "french.txt").write_bytes("Le s\u00e9nat a vot\u00e9 la loi sur les retraites mardi, et le "
                                          "gouvernement a salu\u00e9 un r\u00e9sultat historique pour le pays."
                                          .encode("cp1252"))
    return {
        "missing": str(tmp_path / "nope.txt"),
        "empty": str(tmp_path / "empty.txt"),
        "binary": str(tmp_path / "binary.txt"),
        "huge": str(big),
        "non-utf8": str(tmp_path / "garbled.txt"),
        "non-english": str(tmp_path / "french.txt"),
        "broken feed": f"{base_url}/feed.xml",
        "timeout": f"{base_url}/slow",
    }


def test_bad_inputs_fail_clearly_and_leave_the_database_intact(
        tmp_path: Path, slow_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    assert run(["ingest", str(good)], capsys)[0] == 0
    for name, source in _bad_inputs(tmp_path, slow_server).items():
        code, _, err = run(["ingest", source], capsys)
        assert code == 1, name
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert lines and source in lines[0], (name, err)
        assert "Traceback" not in err, name
    assert article_count() == 1


def test_summarize_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(GOOD))
    code, out, _ = run(["summarize", "-", "--sentences", "2"], capsys)
    assert code == 0 and len([ln for ln in out.splitlines() if ln.strip()]) == 2


def test_chat_answers_commands_and_questions(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("/brief\n/brief subscribe #news 99:00\nwhat did Alvarez say?\n/quit\n"))
    code, out, _ = run(["chat"], capsys)
    assert code == 0
    assert "THREE THINGS TO KNOW" in out
    assert "not a time" in out
    assert "Maria Alvarez" in out and "Nobody gets everything" in out


def test_doctor_never_prints_secrets(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "discord-secret-token-value")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    code, out, err = run(["doctor"], capsys)
    assert "DISCORD_TOKEN set" in out and "SLACK_BOT_TOKEN set" in out
    assert "secret" not in out + err
    assert "abstractive" in out


def test_run_without_platform_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["run"], capsys)
    assert code == 1 and "no platform is configured" in err


def test_config_file_with_a_secret_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "briefbot.toml"
    cfg.write_text('discord_token = "oops"\n', encoding="utf-8")
    monkeypatch.setenv("BRIEFBOT_CONFIG", str(cfg))
    get_settings.cache_clear()
    code, _, err = run(["digest"], capsys)
    assert code == 1 and "secrets" in err and "oops" not in err
