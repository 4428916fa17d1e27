"""The layers, as a test over the import graph (read with `ast`, nothing is imported or run).

- `summarizers` never imports `bot`: it is a library the bot uses, usable without it.
- `bot.articles`, `bot.stories` and `bot.store` never import the briefing core, renderers, platforms or the
  scheduler.
- `bot.render` imports only the core's types (`bot.briefing.models`), `bot.text` and itself.
- The core (`bot.briefing`) imports no platform: neither `bot.platforms` nor a platform's SDK.
- `bot.sources` (tenants' feeds) imports no platform, scheduler or renderer.

Every import counts, including those inside functions and under `if TYPE_CHECKING:`, since a lazy
import is still a dependency. The checker itself is tested on planted violations, so a rule that
silently stops matching fails here too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "summarizers")
PLATFORM_SDKS = ("discord", "slack_bolt", "slack_sdk")


@dataclass(frozen=True)
class Rule:
    """Modules under `layer` may not import any module under `forbidden`, except those under `allowed`."""

    layer: str
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()
    why: str = ""


RULES = (
    Rule("summarizers", ("bot",), why="summarizers is a library the bot uses"),
    Rule("bot.articles", ("bot.briefing", "bot.render", "bot.platforms", "bot.scheduler"),
         why="articles sit below the core"),
    Rule("bot.store", ("bot.briefing", "bot.render", "bot.platforms", "bot.scheduler"),
         why="the store sits below the core"),
    Rule("bot.render", ("bot",), allowed=("bot.briefing.models", "bot.render", "bot.text"),
         why="renderers turn core types into messages and know nothing else"),
    Rule("bot.stories", ("bot.briefing", "bot.render", "bot.platforms", "bot.scheduler"),
         why="stories sit beside articles, below the store and the core"),
    Rule("bot.briefing", ("bot.platforms", *PLATFORM_SDKS), why="the core serves every platform alike"),
    Rule("bot.sources", ("bot.platforms", "bot.scheduler", "bot.render", *PLATFORM_SDKS),
         why="tenants' feeds are core logic that chat, CLI and scheduler call, never the other way"),
)


def under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[str, int]]:
    """Every module `module` imports, absolute (relative imports resolved), with its line."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # `from bot import render` imports bot.render; `from x import y` at least x
                yield (base if alias.name == "*" else f"{base}.{alias.name}"), node.lineno


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, list[tuple[str, int]]]:
    graph: dict[str, list[tuple[str, int]]] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            name = module_name(path, root)
            graph[name] = list(imports_of(path.read_text(encoding="utf-8"), name,
                                          is_package=path.name == "__init__.py"))
    return graph


def violations(graph: dict[str, list[tuple[str, int]]], rules: Iterable[Rule] = RULES) -> list[str]:
    found = []
    for module, imported in graph.items():
        for rule in rules:
            if not under(module, rule.layer):
                continue
            for target, line in imported:
                if any(under(target, f) for f in rule.forbidden) and not any(under(target, a) for a in rule.allowed):
                    found.append(f"{module}:{line} imports {target} ({rule.why})")
    return sorted(set(found))


def test_the_layers_hold() -> None:
    graph = import_graph(ROOT)
    assert len(graph) > 50 and "bot.briefing.service" in graph and "summarizers.types" in graph
    assert violations(graph) == []


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("files", "expected"), [
    ({"summarizers/methods/x.py": "def f():\n    from bot.settings import Settings\n"},
     "summarizers.methods.x:2 imports bot.settings"),
    ({"bot/store/x.py": "from bot.briefing.models import Digest\n"}, "bot.store.x:1 imports bot.briefing.models"),
    ({"bot/articles/x.py": "from bot import scheduler\n"}, "bot.articles.x:1 imports bot.scheduler"),
    ({"bot/render/x.py": "from ..briefing.service import BriefingService\n"},
     "bot.render.x:1 imports bot.briefing.service"),
    ({"bot/briefing/x.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import discord\n"},
     "bot.briefing.x:3 imports discord"),
    ({"bot/briefing/__init__.py": "from ..platforms.slack import app\n"}, "bot.briefing:1 imports bot.platforms.slack"),
])
def test_a_planted_violation_is_caught(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    write(tmp_path, files)
    found = violations(import_graph(tmp_path))
    assert any(v.startswith(expected) for v in found), found


def test_allowed_imports_are_not_flagged(tmp_path: Path) -> None:
    write(tmp_path, {
        "bot/render/x.py": "from bot.briefing.models import Digest\nfrom bot.render.common import link_label\n"
                           "from bot.text import truncate\nfrom bot import text\nimport discord\n",
        "bot/briefing/x.py": "from bot.articles.models import Article\nfrom bot.commands import BriefRequest\n",
        "bot/store/x.py": "from bot.articles.models import Article\n",
        "summarizers/x.py": "from summarizers.types import Point\nimport bottle\n",  # a name starting with "bot"
    })
    assert violations(import_graph(tmp_path)) == []
