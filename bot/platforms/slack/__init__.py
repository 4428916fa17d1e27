"""Slack: the slack-bolt listener and its transport."""
