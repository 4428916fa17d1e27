"""Scoring story clustering against labelled events (used by benchmarks/eval_stories.py and the tests).

* pair recall: of all pairs of articles labelled with the same event, the share placed in one story;
* merged stories: of the stories produced, the share holding articles of two or more labelled events.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from pathlib import Path

from bot.articles.models import Article
from bot.stories.cluster import StoryIndex, cluster_articles


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    event: str
    article: Article
    kind: str = ""


@dataclass(frozen=True, slots=True)
class ClusterScore:
    pairs: int
    pairs_together: int
    stories: int
    merged: tuple[tuple[str, ...], ...]  # the events each merged story mixes
    split: tuple[str, ...]  # events whose articles ended in more than one story

    @property
    def pair_recall(self) -> float:
        return self.pairs_together / self.pairs if self.pairs else 1.0

    @property
    def merged_share(self) -> float:
        return len(self.merged) / self.stories if self.stories else 0.0


def load_labelled(path: Path) -> list[LabelledArticle]:
    """Rows of {event, kind, outlet, published, title, text} (see benchmarks/data/README.md)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        published = datetime.fromisoformat(row["published"]) if row.get("published") else None
        out.append(LabelledArticle(row["event"], Article(text=row["text"], title=row.get("title", ""),
                                                         source=row.get("outlet"), published=published),
                                   row.get("kind", "")))
    return out


def score_clusters(items: Sequence[LabelledArticle], index: StoryIndex | None = None, *,
                   embed: bool = True) -> ClusterScore:
    """Cluster the articles (with sentence embeddings when `embed` and the model is installed) and score."""
    groups = cluster_articles([i.article for i in items], index, embed=embed)
    story_of = {i: n for n, g in enumerate(groups) for i in g}
    pairs = together = 0
    split: set[str] = set()
    for a, b in combinations(range(len(items)), 2):
        if items[a].event == items[b].event:
            pairs += 1
            if story_of[a] == story_of[b]:
                together += 1
            else:
                split.add(items[a].event)
    # Background articles (events named "bg:...") are unlabelled among themselves: two of them in one
    # story may be the same event, so only stories mixing a labelled event with anything else count.
    merged = tuple(tuple(sorted(events)) for g in groups
                   if len(events := {items[i].event for i in g}) > 1 and any(not e.startswith("bg:") for e in events))
    return ClusterScore(pairs, together, len(groups), merged, tuple(sorted(split)))
