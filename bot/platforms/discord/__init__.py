"""Discord: the discord.py listener and its transport."""
