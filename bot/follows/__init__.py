"""Follow a figure or a topic: who follows what, which stored articles match, and the alert DMs.

- `schema`: the follows, alert and scan-watermark tables (migration 0004);
- `store`: every read and write of those tables, including the claim protocol that makes an alert
  go out once per follower and story even with several bot processes on one database;
- `matching`: does an article quote a followed figure or belong to a followed topic (the alias rules
  of `/brief who`), and the one function that names an article's story;
- `alerts`: the DM a follower gets, composed from plain core types;
- `service`: `/follow`, `/unfollow`, `/following` (name resolution, the 25-follow limit).

The scheduler job that scans and delivers lives in `bot/scheduler/follow_alerts.py`.
"""
