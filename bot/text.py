"""Text helpers shared by stages that must not depend on each other (ingestion and the renderers)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

ELLIPSIS = "…"
MASK = "***"
_SECRET_PARAM = re.compile(r"pass|pwd|secret|token|key|auth|sig", re.IGNORECASE)
_USERINFO = re.compile(r"(//)[^/@\s]*@")


def truncate(text: str, limit: int) -> str:
    """Shorten to `limit` characters at a word boundary, saying so with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    if cut < limit // 2:
        cut = limit - 1
    return text[:cut].rstrip() + ELLIPSIS


def masked_url(url: str) -> str:
    """A URL safe to print or log: credentials in it masked (`http://user:pw@host` -> `http://user:***@host`).

    Endpoint overrides (`DISCORD_API_URL`), database URLs and feed URLs can carry a password or token in
    their userinfo or query string; every place that shows a URL goes through here. A lone user name is
    masked too (`https://TOKEN@host` is a common way to pass a token), and so is any query parameter whose
    name says it holds a secret. A URL that cannot be parsed still loses anything before an `@`.
    """
    try:
        parts = urlsplit(url)
        _ = parts.hostname, parts.port  # raise ValueError on a malformed port or bracket
    except ValueError:
        return _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", url)
    masked = url
    if "@" in parts.netloc:
        userinfo, _, hostport = parts.netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if has_password else f"{MASK}@{hostport}"
        masked = masked.replace(parts.netloc, netloc, 1)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(_SECRET_PARAM.search(k) for k, _ in pairs):
            query = urlencode([(k, MASK if _SECRET_PARAM.search(k) else v) for k, v in pairs], safe="*")
            masked = masked.replace(f"?{parts.query}", f"?{query}", 1)
    return masked
