"""Turn bytes of a known format (plain text, HTML, JSON, JSONL) into raw documents.

This is the one place that knows about encodings and file formats. Local files, stdin and fetched
bodies all pass through here, so a page fetched over HTTP and the same page saved to disk are read the
same way. Loaders only *read*; cleaning, story splitting and truncation happen later in `ingest`, and
every problem is reported as a `LoadError` with a one-line reason a user can act on.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO

import charset_normalizer
import lxml.html
from lxml import etree

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES

_SNIFF_BYTES = 8192
# Share of characters that must look like ordinary prose for a guessed (non-UTF-8) decoding to be trusted.
_MIN_PLAUSIBLE = 0.97
_PLAUSIBILITY_SAMPLE = 200_000  # characters; a wrong decoding shows within the first pages
_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section", "article",
    "tr", "pre", "figcaption", "header", "footer", "ul", "ol", "table", "hr",
})
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "form", "nav", "button")
_INLINE_WS = re.compile(r"\s+")
_PARAGRAPH_GAP = re.compile(r"[ \t]*\n[ \t]*\n\s*")
_MD_TITLE = re.compile(r"\A\s*#{1,2}[ \t]+(.+?)[ \t#]*(?:\n|\Z)")
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t#]*$", re.MULTILINE)
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


class LoadError(Exception):
    """A one-line, user-facing reason why an input (or one record of it) could not be read."""


@dataclass(slots=True)
class Document:
    """Text as read from a source, before cleaning and story splitting."""

    text: str
    title: str = ""
    url: str | None = None
    source: str | None = None
    published: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class Loaded:
    """What one input yielded: its documents plus per-record problems that did not stop the rest."""

    documents: list[Document]
    warnings: list[str] = field(default_factory=list)


def format_size(n: int) -> str:
    """Human sizes in decimal units ("5 MB"), matching how the limits are written in the config."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


# -- decoding ------------------------------------------------------------------------------------------


def _plausibility(text: str) -> float:
    """Share of characters that are letters, digits, whitespace or common punctuation.

    A wrong guess at an encoding produces control characters, box-drawing symbols and private-use
    code points; real prose in any script is almost entirely letters, marks, digits and punctuation.
    """
    sample = text[:_PLAUSIBILITY_SAMPLE]
    if not sample:
        return 1.0
    good = 0
    for ch in sample:
        if ch in "\n\r\t" or ch.isspace():
            good += 1
            continue
        cat = unicodedata.category(ch)
        if cat[0] in "LMNP" or cat in ("Sc", "Sm", "Sk"):
            good += 1
    return good / len(sample)


_WORD_RUN = re.compile(r"[^\W\d_]{2,}")
_COMPAT_FORMS = ("<isolated>", "<initial>", "<medial>", "<final>", "<narrow>")
_ALPHABETS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "ARMENIAN", "GEORGIAN"})


def _script(ch: str) -> str:
    return unicodedata.name(ch, "?").split(" ", 1)[0]


def _mojibake_word(word: str) -> bool:
    """A word no real text has: a lower-case letter followed by a capital among non-ASCII letters
    ("яюГ", "ÿþÃ"), or letters of two alphabets ("Москwа" is one, but "Ðœ" mixes Latin with nothing)."""
    if word.isascii():
        return False
    for a, b in zip(word, word[1:], strict=False):
        if a.islower() and b.isupper() and not (a.isascii() and b.isascii()):
            return True
    scripts = {_script(c) for c in word} & _ALPHABETS
    return len(scripts) > 1


def _reads_as_text(text: str) -> bool:
    """Whether a non-UTF-8 decoding reads as text in one encoding, not as the garbage a wrong guess makes.

    Checks, on a sample: almost every character is a letter, digit, space or punctuation (`_plausibility`);
    no Arabic presentation forms or half-width katakana (compatibility characters that text editors never
    produce, but that decoding random bytes with cp1256 or Shift-JIS does); no word with a capital after a
    lower-case letter or mixing two alphabets. Invalid UTF-8 in English text ("\\xff\\xfe\\xc3(") decodes
    in cp1251 to "яюГ(" and in cp1252 to "ÿþÃ(": both fail here, so it is refused, not stored as mojibake.
    """
    sample = text[:_PLAUSIBILITY_SAMPLE]
    if _plausibility(sample) < _MIN_PLAUSIBLE:
        return False
    if any(not ch.isascii() and unicodedata.decomposition(ch).startswith(_COMPAT_FORMS) for ch in sample):
        return False
    return not any(_mojibake_word(m.group()) for m in _WORD_RUN.finditer(sample))


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _refuse_broken_utf8(data: bytes, first_bad: int) -> None:
    """UTF-8 text with invalid bytes in it is corrupted UTF-8, not another encoding: refuse it.

    Text in a legacy encoding (cp1252, cp1251) almost never contains valid UTF-8 multi-byte sequences;
    when at least as many are valid as invalid, guessing another encoding would only make mojibake of
    the valid ones.
    """
    sample = data[:1_000_000]
    valid = len(_UTF8_MULTIBYTE.findall(sample))
    invalid = sample.decode("utf-8", "replace").count("\ufffd")
    if valid and valid >= invalid:
        raise LoadError(f"not valid UTF-8: {invalid} invalid byte sequence(s), the first at byte {first_bad}")


def decode_text(data: bytes, *, declared: str | None = None) -> str:
    """Decode bytes as text: BOM, then UTF-8, then a declared charset, then a checked guess.

    Raises LoadError for binary data (NUL bytes), for a byte-order mark followed by bytes that are not
    UTF-16 text, and for bytes that are not UTF-8 and read as text in no other encoding (`_reads_as_text`),
    because silently ingesting mojibake would poison summaries and quotes downstream.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError("not valid UTF-16 text despite its byte-order mark") from exc
        if not _reads_as_text(text):
            raise LoadError("not valid UTF-16 text despite its byte-order mark (binary or corrupted file?)")
        return text
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:_SNIFF_BYTES] or b"\x00" in data[-_SNIFF_BYTES:]:
        raise LoadError("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if not declared:
        _refuse_broken_utf8(data, first_bad)
    candidates: list[str] = []
    if declared:
        candidates.append(declared)
    matches = charset_normalizer.from_bytes(data[:1_000_000])
    best = matches.best()
    if best is not None and best.encoding:
        # On short Western text the detector's pick among equally clean single-byte decodings is close to a
        # coin toss (French read as Estonian ISO-8859-10 or Central European cp1250: "è" becomes "č"). On a
        # tie cp1252 goes first: the commonest legacy charset on the web, and what browsers read "latin-1" as.
        if any(m.encoding == "cp1252" and m.chaos <= best.chaos for m in matches):
            candidates.append("cp1252")
        candidates.append(best.encoding)
    candidates.append("cp1252")
    for encoding in dict.fromkeys(candidates):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _reads_as_text(text):
            log.info("input is not UTF-8; decoded as %s", encoding)
            return text
    raise LoadError("not UTF-8 text, and no other encoding gives plausible text (binary or corrupted file?)")


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    """Read at most `limit` bytes; raise LoadError if there is more, without reading it all."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise LoadError(f"larger than {format_size(limit)} limit")
    return data


# -- dates ---------------------------------------------------------------------------------------------


def parse_date(value: object) -> datetime | None:
    """Parse ISO 8601, RFC 2822 or epoch seconds into an aware UTC datetime; None if unparseable.

    Aware UTC everywhere so that articles from feeds, files and pages can be sorted together.
    """
    if value is None or value == "":
        return None
    parsed: datetime | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            parsed = datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        raw = value.strip()
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            try:
                parsed = parsedate_to_datetime(raw)
            except (TypeError, ValueError, IndexError):
                return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# -- HTML ----------------------------------------------------------------------------------------------


def _element_text(root: Any) -> str:
    """Text of an lxml element: one paragraph per block element, `<br>` as a line break.

    Source newlines inside a block mean nothing in HTML, so runs of whitespace collapse to one space;
    block boundaries become blank lines, which is the paragraph convention the cleaner expects.
    """
    for bad in list(root.iter(*_DROP_TAGS)):
        if bad is not root:
            bad.drop_tree()
    parts: list[str] = []
    for event, node in etree.iterwalk(root, events=("start", "end")):
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if event == "start":
            if tag == "br":
                parts.append("\n")
            elif tag in _BLOCK_TAGS:
                parts.append("\n\n")
            if node.text and tag:
                parts.append(_INLINE_WS.sub(" ", node.text))
        else:
            if tag in _BLOCK_TAGS and tag != "br":
                parts.append("\n\n")
            if node is not root and node.tail:
                parts.append(_INLINE_WS.sub(" ", node.tail))
    text = "".join(parts)
    return _PARAGRAPH_GAP.sub("\n\n", text).strip()


def html_fragment_to_text(html: str) -> str:
    """Text of an HTML fragment (feed entry bodies).

    trafilatura is built for whole pages and discards short fragments, so feed `content:encoded`
    snippets go through this simpler block walk instead.
    """
    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    return _element_text(root)


def extract_html(data: bytes | str, url: str | None = None) -> Document:
    """Main text, title, date and site name of a web page, via trafilatura.

    trafilatura drops navigation, footers, comments and ads far better than anything hand-written; we
    fall back to a plain block walk of `<body>` only when it finds no main text (tiny or unusual pages).
    """
    # deduplicate=False: trafilatura's de-duplication remembers paragraphs across calls in this process, so
    # fetching the same page twice would return less text the second time (and a different content hash).
    import trafilatura  # ~0.5 s of imports, paid only by HTML input

    try:
        raw = trafilatura.extract(
            data, url=url, output_format="json", with_metadata=True,
            include_comments=False, include_tables=False, include_images=False, deduplicate=False,
        )
    except Exception as exc:  # noqa: BLE001 - trafilatura surfaces many kinds of parser errors
        log.warning("trafilatura failed on %s: %s", url or "HTML input", exc)
        raw = None
    meta: dict[str, Any] = json.loads(raw) if raw else {}
    text = str(meta.get("text") or "")
    if text:
        # trafilatura writes one paragraph per line; we separate paragraphs with blank lines.
        text = re.sub(r"\n+", "\n\n", text)
    else:
        html = data if isinstance(data, str) else decode_text(data)
        try:
            root = lxml.html.document_fromstring(html)
        except (etree.ParserError, ValueError):
            root = None
        if root is not None:
            found = root.findtext(".//title")
            meta.setdefault("title", found.strip() if found else "")
            body = root.find("body")
            text = _element_text(body) if body is not None else ""
    if not text.strip():
        raise LoadError("page has no extractable article text")
    return Document(
        text=text,
        title=str(meta.get("title") or ""),
        url=url or (str(meta["source"]) if meta.get("source") else None),
        source=str(meta.get("sitename") or meta.get("hostname") or "") or None,
        published=parse_date(meta.get("date")),
    )


# -- JSON ----------------------------------------------------------------------------------------------


def _record_to_document(record: object, where: str) -> Document:
    """One JSON object -> Document; LoadError names the record so the user can fix that line."""
    if not isinstance(record, dict):
        raise LoadError(f"{where}: expected a JSON object, got {_json_type(record)}")
    text = record.get("text")
    if text is None:
        raise LoadError(f"{where}: missing 'text' field")
    if not isinstance(text, str):
        raise LoadError(f"{where}: 'text' must be a string, got {_json_type(text)}")
    if not text.strip():
        raise LoadError(f"{where}: 'text' is empty")
    published = parse_date(record.get("published"))
    if record.get("published") not in (None, "") and published is None:
        log.warning("%s: ignoring unparseable 'published' value %r", where, record.get("published"))

    def opt(key: str) -> str | None:
        value = record.get(key)
        if value is None:
            return None
        if not isinstance(value, str):  # never store a list or object as its Python text
            raise LoadError(f"{where}: {key!r} must be a string, got {_json_type(value)}")
        return value.strip() or None

    extra: dict[str, object] = {}
    record_id = record.get("id")
    if record_id is not None:
        if not isinstance(record_id, str | int) or isinstance(record_id, bool):
            raise LoadError(f"{where}: 'id' must be a string or an integer, got {_json_type(record_id)}")
        extra["record_id"] = record_id
    return Document(text=text, title=opt("title") or "", url=opt("url"), source=opt("source"),
                    published=published, extra=extra)


def _json_type(value: object) -> str:
    """JSON's name for a parsed value's type, for messages a user who wrote JSON understands."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _json_loads(text: str) -> object:
    """json.loads, with nesting too deep for the parser (200,000 "[") as a JSONDecodeError-like reason."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise _TooDeep("nested too deeply") from exc


class _TooDeep(ValueError):
    """JSON nesting deeper than Python's parser recursion allows."""


@dataclass(frozen=True, slots=True)
class _BadLine:
    """A JSONL line that is not JSON at all, carried through so it is reported in order."""

    reason: str


def _collect(records: Iterator[tuple[str, object]]) -> Loaded:
    """Convert records, keeping good ones and turning bad ones into warnings; fail only if none is good."""
    loaded = Loaded(documents=[])
    for where, record in records:
        if isinstance(record, _BadLine):
            loaded.warnings.append(f"{where}: not valid JSON ({record.reason})")
            continue
        try:
            loaded.documents.append(_record_to_document(record, where))
        except LoadError as exc:
            loaded.warnings.append(str(exc))
    if not loaded.documents:
        if not loaded.warnings:
            raise LoadError("no records")
        shown = "; ".join(loaded.warnings[:3])
        more = f" (and {len(loaded.warnings) - 3} more)" if len(loaded.warnings) > 3 else ""
        raise LoadError(f"no usable records: {shown}{more}")
    return loaded


def parse_json(text: str) -> Loaded:
    """A JSON object or a list of objects, each with `text` and optional title/url/published/source."""
    try:
        data = _json_loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except _TooDeep as exc:
        raise LoadError(f"not usable JSON: {exc}") from exc
    if isinstance(data, dict):
        return _collect(iter([("record 1", data)]))
    if isinstance(data, list):
        return _collect((f"record {i}", item) for i, item in enumerate(data, start=1))
    raise LoadError(f"expected a JSON object or a list of objects, got {_json_type(data)}")


def parse_jsonl(text: str) -> Loaded:
    """One JSON object per line; a broken line is reported by number and the rest still load."""

    def records() -> Iterator[tuple[str, object]]:
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield f"line {lineno}", _json_loads(line)
            except json.JSONDecodeError as exc:
                yield f"line {lineno}", _BadLine(exc.msg)
            except _TooDeep as exc:
                yield f"line {lineno}", _BadLine(str(exc))

    return _collect(records())


def strip_markdown(text: str) -> str:
    """Markdown to plain text where the markup would otherwise end up in summaries: headings, links, bold."""
    text = _MD_HEADING.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    return _MD_EMPHASIS.sub(r"\2", text)


# -- files ---------------------------------------------------------------------------------------------


def parse_bytes(data: bytes, kind: str, *, url: str | None = None, declared: str | None = None) -> Loaded:
    """Parse a body of a given kind ("text", "markdown", "html", "json", "jsonl") into documents."""
    if kind == "html":
        if b"\x00" in data[:_SNIFF_BYTES]:
            raise LoadError("binary file (contains NUL bytes), not HTML")
        return Loaded(documents=[extract_html(data, url)])
    text = decode_text(data, declared=declared)
    if not text.strip():
        raise LoadError("empty file" if url is None else "empty response")
    if kind == "json":
        return parse_json(text)
    if kind == "jsonl":
        return parse_jsonl(text)
    title = ""
    if kind == "markdown":
        heading = _MD_TITLE.match(text)
        if heading:  # a leading "# Heading" is the document's title, not its first paragraph
            title, text = heading.group(1), text[heading.end():]
        text = strip_markdown(text)
    return Loaded(documents=[Document(text=text, title=title, url=url)])


def kind_for_suffix(path: Path) -> str | None:
    """The format a file extension announces, or None for unsupported files."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    return None


def load_file(path: Path, max_bytes: int) -> Loaded:
    """Read one local file, refusing oversized ones from their size alone (never reading 50 MB to say no)."""
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise LoadError("file not found") from exc
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise LoadError("not a regular file")
    kind = kind_for_suffix(path)
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(f"unsupported file type {path.suffix or '(no extension)'!r} (supported: {supported})")
    if stat.st_size == 0:
        raise LoadError("empty file")
    if stat.st_size > max_bytes:
        raise LoadError(f"larger than {format_size(max_bytes)} limit (file is {format_size(stat.st_size)})")
    try:
        with path.open("rb") as fh:
            data = read_limited(fh, max_bytes)
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    loaded = parse_bytes(data, kind)
    for doc in loaded.documents:
        doc.extra.setdefault("path", str(path))
    return loaded


def iter_directory(directory: Path) -> list[Path]:
    """Supported files under a directory, recursively, sorted, skipping hidden files and folders."""
    found = []
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and kind_for_suffix(path) is not None:
            found.append(path)
    return found
