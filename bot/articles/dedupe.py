"""Recognise the same article: canonical URLs and near-duplicate text.

* `canonical_url` - one key per web page, whatever tracking parameters, AMP variant or `www.` it came
  with. (Identical text is caught earlier by `Article.content_hash`.)
* `near_duplicate` - the same article text with small edits: a syndicated wire story on two sites, a
  re-fetch after a correction. Word 5-shingle Jaccard similarity.

Different outlets' rewrites of one event are a story, not a duplicate: see `bot.stories`.
"""

from __future__ import annotations

import logging
import posixpath
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

log = logging.getLogger(__name__)

SHINGLE_WORDS = 5
NEAR_DUPLICATE_THRESHOLD = 0.8  # 5-shingle Jaccard at which two texts are one article with small edits

_TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "_hsenc", "_hsmi", "ocid", "cmpid", "smid", "smtyp", "ref", "ref_src", "ref_url", "taid",
    "ito", "ns_mchannel", "ns_campaign", "ns_source", "ns_linkname", "sr_share", "guccounter", "guce_referrer",
    "guce_referrer_sig", "cid", "icid", "intcid", "mbid", "rss", "feedtype", "amp", "spm", "share",
})
_TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_", "vero_", "oly_")
_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_STORY_FRAGMENT = re.compile(r"^story-\d+$")  # set by ingest on stories split from one page: keep them apart
_AMP_CACHE_PATH = re.compile(r"^/(?:[cv]/)?(?:s/)?(?P<rest>[^/]+\.[^/]+/.*)$")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _unwrap_amp_cache(host: str, path: str) -> str | None:
    """The publisher URL inside a Google AMP cache URL, or None if this is not one."""
    if host.endswith(".cdn.ampproject.org") or (host in ("google.com", "www.google.com") and path.startswith("/amp/")):
        m = _AMP_CACHE_PATH.match(path.removeprefix("/amp") if path.startswith("/amp/") else path)
        if m:
            return "https://" + m.group("rest")
    return None


def _strip_amp_path(path: str) -> str:
    path = re.sub(r"\.amp(\.html?)?$", lambda m: m.group(1) or "", path)
    path = re.sub(r"/amp(?:\.html)?/?$", "/", path)
    return re.sub(r"^/amp/", "/", path)


def canonical_url(url: str) -> str:
    """One identity key per web page: `https`, lower-case host without `www.`/`m.`/`amp.`, no tracking
    parameters, no AMP variant, no fragment, no trailing slash, remaining parameters sorted.

    This is a key for de-duplication, not a URL to fetch (we assume the http and https pages match).
    Fragments `#story-N`, which ingest adds to stories split out of one aggregated page, are kept so those
    stories stay distinct. Input that is not an http(s) URL is returned stripped but otherwise unchanged.
    """
    raw = url.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return raw
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return raw
    inner = _unwrap_amp_cache(host, parts.path)
    if inner is not None:
        return canonical_url(inner + (f"?{parts.query}" if parts.query else ""))
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"

    path = re.sub(r"/{2,}", "/", parts.path or "/")
    path = posixpath.normpath(path) if path not in ("", "/") else "/"
    path = _strip_amp_path(path if path.startswith("/") else f"/{path}")
    path = re.sub(r"/index\.(?:html?|php)$", "/", path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"

    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
        and not (k.lower() == "outputtype" and v.lower() == "amp")
    ]
    query = urlencode(sorted(query_pairs))
    fragment = parts.fragment if _STORY_FRAGMENT.match(parts.fragment) else ""
    return urlunsplit(("https", netloc, path, query, fragment))


# -- near-duplicate text -------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]


def shingles(text: str, k: int = SHINGLE_WORDS) -> frozenset[tuple[str, ...]]:
    """The set of k-word sequences in the text (case and punctuation ignored)."""
    words = _tokens(text)
    if len(words) < k:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i:i + k]) for i in range(len(words) - k + 1))


def jaccard(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def near_duplicate(a: str, b: str, threshold: float = NEAR_DUPLICATE_THRESHOLD) -> bool:
    """True if the texts are the same article with small edits (word 5-shingle Jaccard >= threshold).

    Exact Jaccard rather than MinHash: callers compare a handful of candidates at a time, where the exact
    value is cheap and has no estimation error.
    """
    return similar_shingles(shingles(a), shingles(b), threshold)


def similar_shingles(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]],
                     threshold: float = NEAR_DUPLICATE_THRESHOLD) -> bool:
    """`near_duplicate` on precomputed shingle sets (the store keeps them for recent articles).

    Jaccard >= t needs the smaller set to be at least t times the larger, so most pairs are rejected
    without computing an intersection.
    """
    if a and b and min(len(a), len(b)) < threshold * max(len(a), len(b)):
        return False
    return jaccard(a, b) >= threshold
