"""Sources: tenants' feeds, managed from chat and by the operator.

- `inspect`: fetch a feed now (SSRF rules apply) and say what it holds or exactly why it fails;
  a web page is resolved to the feed it advertises;
- `health`: when a failing feed is reported to its tenants' managers, and in what words;
- `presets`: curated public political-news feeds by region (`config/feed_presets.toml`);
- `service`: add, remove, list and test a tenant's feeds (chat commands and `briefbot feeds`).
Who sees which articles is `bot.store.scope`; the rows are `bot.store.feeds`.
"""
