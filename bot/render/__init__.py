"""Renderers: one module per output (text, Discord, Slack). Every platform limit is enforced here."""
