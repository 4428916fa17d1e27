"""Platforms: listeners that turn a platform event into a core request and send the rendered reply."""
