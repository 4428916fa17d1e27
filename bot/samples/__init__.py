"""Bundled sample stories, so a fresh install can produce a digest offline."""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "samples.jsonl"
