"""The one Settings-based model loader: unknown models said once with a clean digest, `summary_method`
honoured, the endpoint key from the environment only and masked by `doctor`."""

from __future__ import annotations

import pytest

from bot.briefing.summaries import SummaryModel, model_status, runtime_options
from bot.cli import main
from bot.settings import Settings, get_settings


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_mistyped_model_is_said_once_and_the_digest_stays_clean(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("BRIEFBOT_MODEL", "qwen2.5-coder-1.6b")
    get_settings.cache_clear()
    code, out, err = _run(["digest", "--limit", "2"], capsys)
    assert code == 0
    said = [r.getMessage() for r in caplog.records if "unknown model" in r.getMessage()]
    assert len(said) == 1 and "qwen2.5-coder-1.5b" in said[0]  # once, naming the known models
    assert out.count("summary model is unavailable") == 1  # one plain notice in the digest
    assert "unknown model" not in out and "internet" not in out.lower() and "Traceback" not in err


def test_summary_method_extractive_never_loads_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(model="qwen2.5-coder-1.6b", summary_method="extractive")
    loader = SummaryModel(settings)
    assert loader.get() is None and loader.note is None  # switched off on purpose: no notice
    assert model_status(settings)[0] is False


def test_endpoint_key_comes_from_the_environment_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BRIEFBOT_MODEL_URL", "http://user:hunter2@127.0.0.1:9/v1")
    monkeypatch.setenv("BRIEFBOT_MODEL_API_KEY", "sk-do-not-print")
    get_settings.cache_clear()
    options = runtime_options(get_settings())
    assert options.api_key == "sk-do-not-print" and options.url and "sk-do-not-print" not in repr(options)
    code, out, err = _run(["doctor"], capsys)
    assert "endpoint" in out and "BRIEFBOT_MODEL_API_KEY set" in out
    assert "sk-do-not-print" not in out + err and "hunter2" not in out + err
    config = tmp_path / "bad.toml"  # type: ignore[operator]
    config.write_text('model_api_key = "sk-in-a-file"\n', encoding="utf-8")
    monkeypatch.setenv("BRIEFBOT_CONFIG", str(config))
    with pytest.raises(ValueError, match="secrets"):
        Settings()
