"""The terminal adapter: a local chat with the same core as Discord and Slack."""
