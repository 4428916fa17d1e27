"""Summary methods: extractive ranking, baselines, abstractive summaries and grounded three things."""
