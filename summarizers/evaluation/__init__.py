"""Evaluation: ROUGE against references, beside the Lead-3 and LexRank baselines."""
