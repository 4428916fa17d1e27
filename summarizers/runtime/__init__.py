"""Model runtime: the offline models shipped on PyPI and the backends that generate text with them."""
