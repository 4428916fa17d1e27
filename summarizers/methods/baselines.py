"""Reference summarizers the extractive ranker is measured against: Lead-N, and sumy's LexRank/TextRank.

They share the extractive call signature (`text, count, *, title`) and return `Sentence`s with offsets,
so `briefbot eval` can run them side by side. The sumy wrappers feed sumy our own sentence split
(instead of its NLTK Punkt tokenizer, whose data cannot be downloaded here) so every method chooses among
exactly the same sentences and the comparison measures ranking only.
"""

from __future__ import annotations

import logging
from typing import Any

from summarizers.segment import split_sentences, tokenize_words
from summarizers.types import Sentence

log = logging.getLogger(__name__)


class LeadSummarizer:
    """The first `count` sentences: the classic news baseline (journalists front-load the facts)."""

    name = "lead"

    def __call__(self, text: str, count: int = 3, *, title: str | None = None) -> list[Sentence]:
        return split_sentences(text)[: max(count, 0)]


class _WordTokenizer:
    """The two methods sumy's document model asks of a tokenizer, backed by our segmenter."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(s.text for s in split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(tokenize_words(sentence))


class _SumySummarizer:
    """Run a sumy summarizer over our sentences and map its choice back to offsets."""

    name = "sumy"

    def __init__(self) -> None:
        from sumy.nlp.stemmers import Stemmer
        from sumy.utils import get_stop_words

        self._summarizer = self._make(Stemmer("english"))
        self._summarizer.stop_words = get_stop_words("english")
        self._tokenizer = _WordTokenizer()

    def _make(self, stemmer: Any) -> Any:
        raise NotImplementedError

    def __call__(self, text: str, count: int = 3, *, title: str | None = None) -> list[Sentence]:
        from sumy.models.dom import ObjectDocumentModel, Paragraph
        from sumy.models.dom import Sentence as SumySentence

        sentences = split_sentences(text)
        if count <= 0 or not sentences:
            return []
        if len(sentences) <= count:
            return sentences
        sumy_sentences = [SumySentence(s.text, self._tokenizer) for s in sentences]
        index = {id(ss): i for i, ss in enumerate(sumy_sentences)}
        document = ObjectDocumentModel([Paragraph(sumy_sentences)])
        chosen = self._summarizer(document, count)
        return sorted((sentences[index[id(c)]] for c in chosen), key=lambda s: s.start)


class LexRankSummarizer(_SumySummarizer):
    """sumy's LexRank (Erkan & Radev 2004): eigenvector centrality on the TF-IDF cosine graph."""

    name = "lexrank"

    def _make(self, stemmer: Any) -> Any:
        from sumy.summarizers.lex_rank import LexRankSummarizer as SumyLexRank

        return SumyLexRank(stemmer)


class TextRankSummarizer(_SumySummarizer):
    """sumy's TextRank (Mihalcea & Tarau 2004): PageRank on the word-overlap graph."""

    name = "textrank"

    def _make(self, stemmer: Any) -> Any:
        from sumy.summarizers.text_rank import TextRankSummarizer as SumyTextRank

        return SumyTextRank(stemmer)
