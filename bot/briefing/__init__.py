"""The platform-agnostic core: digests, briefs on a topic or URL, answers about public figures."""
