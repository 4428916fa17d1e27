"""Pure text-in, data-out summarization: segmentation, extractive and abstractive summaries,
grounded "three things to know", quotes and public figures. No I/O besides loading a model."""
