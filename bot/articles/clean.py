"""Boilerplate removal for scraped and copy-pasted article text.

Text copied from news sites carries chrome: share bars, "Show more" captions, photo credits, social
embeds, "Post a Comment", teasers linking to other stories. Summaries and quote extraction treat every
line as reporting, so chrome that survives turns into bogus "facts" and bogus speakers.

The rules here describe *kinds* of chrome (a line that is only a photo credit, a caption next to a
credit, a kicker-style teaser, a TikTok embed) rather than strings from one site. A line is only
dropped when it is short or structurally chrome, so a real sentence that contains a trigger word
("... did not respond to requests for comment") survives. Output: paragraphs separated by one blank
line, whitespace normalised, invisible characters removed. The function is idempotent.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

# -- normalisation -------------------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u2060\ufeff\u00ad"), None)
_LINE_BREAKS = re.compile(r"\r\n?|[\f\v\x1c-\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ALNUM = re.compile(r"[^\W_]")

# A line "ends a sentence" when it closes with terminal punctuation, optionally inside quotes/brackets.
_ENDS_SENTENCE = re.compile(r"[.!?…:;][\"'”’)\]]*$")

# -- chrome: whole-line patterns (only applied to short lines) ----------------------------------------

_SHORT_LINE_WORDS = 14
_TRAIL = r"(?:[\s:|»›>•·\-–—…]|\.\.\.)*"  # no lone "." or "!": those end real sentences
_MAX_SHORT_CHARS = 200
_CHROME = re.compile(
    r"^(?:"
    r"advertisement|advert|ads?|sponsored(?:\s+content)?|promoted(?:\s+content)?|paid\s+(?:content|post)"
    r"|story\s+continues\s+(?:below|after)(?:\s+(?:this\s+)?(?:advertisement|ad))?|scroll\s+to\s+continue.*"
    r"|skip\s+(?:to\s+)?(?:main\s+)?(?:content|advertisement|navigation)"
    r"|(?:show|see|read|load|view)\s+(?:more|less|all)(?:\s+\w+){0,3}"
    r"|continue\s+reading.*|read\s+(?:the\s+)?(?:full|whole|entire)\s+(?:story|article|piece).*|click\s+here\b.*"
    r"|(?:share|tweet|email|print|copy\s+link|save)(?:\s+(?:this|the))?(?:\s+(?:article|story|post|link|page|video))?"
    r"(?:\s+(?:on|via|to|with)\s+\w+)?"
    r"|(?:subscribe|sign\s+(?:up|in)|log\s+in|register)(?:\s+(?:now|today|here))?"
    r"|(?:subscribe|sign\s+up|sign\s+in|log\s+in|register|join|get)\b.*\b(?:newsletters?|e-?mails?|inbox|updates"
    r"|alerts|account|subscription|subscribers?|premium|unlimited\s+access|free\s+trial)\b.*"
    r"|(?:follow|like|find)\s+us\b.*|download\s+(?:our|the)\s+(?:\w+\s+)?app\b.*"
    r"|(?:jobs|powered|sponsored|presented|brought\s+to\s+you)\s+by\s+[^.!?]+"
    r"|post\s+a\s+comment|leave\s+a\s+(?:comment|reply)|add\s+(?:a\s+)?comment|join\s+the\s+(?:conversation|discussion)"
    r"|(?:\d+\s+)?comments?|view\s+(?:\d+\s+)?comments|show\s+comments|comments?\s+are\s+closed"
    r"|(?:previous|next|older|newer)\s+(?:post|article|story|page|entry)"
    r"(?:\s+(?:previous|next|older|newer)\s+(?:post|article|story|page|entry))?"
    r"|related(?:\s+(?:articles?|stories|posts|coverage|content|topics|links|news|videos?))?"
    r"|more\s+(?:from|on|in)\s+[^.!?]+|more\s+(?:stories|news|videos?|coverage)"
    r"|recommended(?:\s+(?:for\s+you|stories|reading))?|trending(?:\s+(?:now|stories))?"
    r"|most\s+(?:read|popular|viewed|shared|watched)|you\s+(?:may|might)\s+also\s+(?:like|enjoy)|editor'?s\s+picks?"
    r"|©.*|(?:\(c\)|copyright)\s*©?\s*\d{4}.*|all\s+rights\s+reserved.*"
    r"|(?:tags?|topics?|filed\s+under|categories)\s*:.*"
    r"|back\s+to\s+top|top\s+of\s+page|loading\.*|close|menu|search"
    r"|(?:image|photo|video|gallery|audio|slideshow)(?:\s+\d+\s+of\s+\d+)?|\d+\s+of\s+\d+"
    r"|\d+\s*(?:-\s*)?(?:min(?:ute)?s?)\s+read|listen\s+to\s+(?:this\s+)?(?:article|story)(?:\s+\S+)?"
    r"|(?:watch|view|see)\s+(?:this\s+post\s+)?on\s+(?:youtube|instagram|tiktok|x|twitter|facebook|threads)"
    r"|view\s+this\s+post\s+on\s+\w+|a\s+post\s+shared\s+by\s+.+"
    r")" + _TRAIL + "$",
    re.IGNORECASE,
)

# Lines that are only social network / share-bar words: "Facebook Twitter Email", "Share | Tweet".
_SOCIAL_WORD = (
    r"(?:facebook|twitter|x|whatsapp|linkedin|reddit|pinterest|e-?mail|print|copy\s+link|link|flipboard"
    r"|telegram|messenger|threads|bluesky|share|tweet|comments?|sms|mastodon)"
)
_SOCIAL_SEP = r"[\s|,·•/]"
_SOCIAL_BAR = re.compile(rf"^{_SOCIAL_WORD}(?:{_SOCIAL_SEP}+{_SOCIAL_WORD})*{_SOCIAL_SEP}*$", re.IGNORECASE)

# Teaser prefixes: "Read more: ...", "RELATED: ...", "WATCH: ...".
_TEASER_PREFIX = re.compile(
    r"^(?:read\s+more|related|more|see\s+also|also\s+(?:read|see|watch)|read\s+also|watch|listen|read|must\s+read"
    r"|don'?t\s+miss|recommended|trending|most\s+read|more\s+coverage|more\s+news|opinion\s+pieces?)"
    r"\s*[:|»›>]\s*\S",
    re.IGNORECASE,
)

# Kicker-style related-link teaser: "Trump says AI did it: Trump blames ... fake!" -- a short kicker, a colon,
# then a headline; a standalone paragraph that does not end like a sentence.
_KICKER_TEASER = re.compile(r"^(?P<kicker>[A-Z0-9][^:,\"“”]{2,60}?):\s+(?P<head>[A-Z][^\"“”]{10,})$")
_SPEECH_VERB = re.compile(r"\b(?:said|says|say|told|tells|asked|asks|wrote|writes|added|adds|posted|tweeted)\s*$",
                          re.IGNORECASE)

# Photo credits: "CHRIS DELMAS, AFP via Getty Images", "Leon Neal / Pool via REUTERS", "AP Photo/Evan Vucci".
_AGENCY = (
    r"(?:getty\s+images(?:\s+for\s+[\w .&'-]+)?|reuters|(?:the\s+)?associated\s+press|ap(?:\s+photo)?|afp"
    r"|epa(?:-efe)?|efe|bloomberg|shutterstock|alamy(?:\s+stock\s+photo)?|imagn(?:\s+images)?"
    r"|usa\s+today(?:\s+network)?|sipa(?:\s+usa)?|zuma(?:\s+press)?(?:\s+wire)?|anadolu(?:\s+agency)?|xinhua"
    r"|pa(?:\s+(?:images|wire|media))?|nurphoto|abaca(?:press)?|cnp|pool|handout|file(?:\s+photo)?"
    r"|courtesy(?:\s+of)?\s+[\w .&'-]+|the\s+(?:new\s+york\s+times|washington\s+post)|ansa|tass|kyodo|yonhap)"
)
_CREDIT_LABEL = (
    r"(?:(?:photo(?:graph)?|image|picture|video|illustration|graphic|credit)s?"
    r"(?:\s+(?:credit|by|source))?\s*[:,]?\s*)"
)
_CREDIT = re.compile(
    rf"^{_CREDIT_LABEL}?(?:[\w .,'’&/|-]*?(?:\s+via|\s*/|\s*,|\s*\||\s+for|\s+[-–—]|\s+by))?\s*{_AGENCY}$",
    re.IGNORECASE,
)
_CREDIT_AGENCY_FIRST = re.compile(
    r"^(?:ap|afp|reuters|getty\s+images|epa|pa)(?:\s+photo)?\s*/\s*[\w .'’-]+(?:,\s*file)?$", re.IGNORECASE
)
_LABELLED_CREDIT = re.compile(
    r"^(?:(?:photo(?:graph)?|image|picture|video|illustration|graphic)s?\s+(?:credit\s*:?|by|source\s*:?)"
    r"|(?:photo|image|picture|credit)s?\s*:)\s*[\w .'’&/|,-]+$",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"^[(\[](.*)[)\]]$")

# Captions that sit next to a credit: "This illustration photo shows ...", "... Bletchley, … Show more".
_CAPTION = re.compile(
    r"^(?:(?:this|the|a|an|in\s+this)\s+)?(?:(?:file|illustration|undated|handout|aerial|composite)\s+)*"
    r"(?:photo(?:graph)?|picture|image|illustration|screenshot|screengrab|still|video\s+still)"
    r"(?:\s+\w+){0,3}?\s+(?:shows|showing|taken|released|provided|obtained|made|dated|from|reveals|depicts"
    r"|captures)\b",
    re.IGNORECASE,
)
_SHOW_MORE_END = re.compile(r"(?:…|\.\.\.)?\s*show\s+more$", re.IGNORECASE)

# Social embeds.
_HANDLE_ONLY = re.compile(r"^@[\w.]{1,30}$")
_TIKTOK_SOUND = re.compile(r"^♬")
_TWEET_SIGNATURE = re.compile(
    r"^[—–-]\s*[^()]{1,80}\(@\w{1,15}\)\s+[A-Z][a-z]+\.?\s+\d{1,2},\s+\d{4}$"
)
_HASHTAGS_ONLY = re.compile(r"^(?:#[^\W_][\w]*[\s,]*)+$")
_EMBED_LINKS = re.compile(r"\s*(?:pic\.twitter\.com/\w+|https?://t\.co/\w+)")
_URL_ONLY = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_EMBED_SPAN = 4  # paragraphs between an "@handle" line and its "♬ original sound" line


def _normalise(text: str) -> str:
    text = text.translate(_INVISIBLE)
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub("", text)
    return text.replace("\t", " ")


def _tidy(line: str) -> str:
    return _SPACES.sub(" ", _EMBED_LINKS.sub("", line)).strip()


def word_count(text: str) -> int:
    """Whitespace-separated tokens: what "a short line" means to a reader, and cheap on megabyte inputs."""
    return len(text.split())


def ends_sentence(line: str) -> bool:
    """True when the line closes with sentence punctuation (possibly inside closing quotes)."""
    return bool(_ENDS_SENTENCE.search(line[-12:]))  # the tail only: keeps this O(1) on huge lines


def is_credit(line: str) -> bool:
    """A photo/video credit line: an agency name after a separator, or a labelled credit."""
    if len(line) > _MAX_SHORT_CHARS or word_count(line) > 12 or ends_sentence(line.rstrip(")]")):
        return False
    m = _BRACKETS.match(line)
    inner = m.group(1).strip() if m else line
    return bool(_CREDIT.match(inner) or _CREDIT_AGENCY_FIRST.match(inner) or _LABELLED_CREDIT.match(inner))


def is_caption(line: str) -> bool:
    """A photo caption: "This illustration photo shows ...", or a caption cut off by a "Show more" link."""
    return bool(_CAPTION.match(line) or _SHOW_MORE_END.search(line[-24:]))


def _is_teaser(line: str) -> bool:
    """A related-story teaser: a prefix like "Read more:" or a short kicker followed by a headline."""
    if len(line) > 2 * _MAX_SHORT_CHARS or word_count(line) > 40:
        return False
    if _TEASER_PREFIX.match(line):
        return True
    m = _KICKER_TEASER.match(line)
    # A quote, a question or a full stop at the end means reporting ("She admits: 'I ...'"), not a link.
    if not m or line.endswith((".", "…", "?", "'", "’", '"', "”")):
        return False
    kicker = m.group("kicker")
    # An all-caps kicker is a transcript speaker ("KATE BOLDUAN: Why not ..."), not a teaser.
    return 2 <= word_count(kicker) <= 6 and not kicker.isupper() and not _SPEECH_VERB.search(kicker)


def is_chrome_line(line: str) -> bool:
    """True for a line that is site chrome wherever it appears: page furniture or a photo credit."""
    return _is_page_chrome(line) or is_credit(line)


def _is_page_chrome(line: str) -> bool:
    """Navigation, share bars, embeds, "Show more" cuts: chrome that needs no look at its neighbours."""
    if not line or not _ALNUM.search(line):
        # Empty, or only punctuation and symbols: separators like "* * *" or "|" left from navigation.
        return True
    if _SHOW_MORE_END.search(line[-24:]) or _TIKTOK_SOUND.match(line) or _TWEET_SIGNATURE.match(line):
        return True
    if len(line) > _MAX_SHORT_CHARS:
        return False  # every remaining rule is about short lines; body paragraphs skip them cheaply
    return word_count(line) <= _SHORT_LINE_WORDS and bool(
        _CHROME.match(line) or _SOCIAL_BAR.match(line) or _HANDLE_ONLY.match(line)
        or _HASHTAGS_ONLY.match(line) or _URL_ONLY.match(line)
    )


# -- paragraphs ----------------------------------------------------------------------------------------


def _is_hard_wrapped(lines: list[str]) -> bool:
    """A block of fixed-width wrapped prose (emails, plain-text archives) rather than one line per paragraph."""
    if len(lines) < 3:
        return False
    widths = [len(line) for line in lines[:-1]]
    widest = max(widths)
    if not 40 <= widest <= 100:
        return False
    full = [line for line in lines[:-1] if len(line) >= 0.7 * widest]
    open_ended = [line for line in full if not ends_sentence(line)]
    return len(full) >= 0.6 * len(widths) and len(open_ended) >= 0.5 * len(full)


def _paragraphs(block: list[str]) -> list[str]:
    """Split a block (lines between blank lines) into paragraphs.

    Copy-pasted news puts one paragraph per line; hard-wrapped text needs its lines joined. A line that
    does not end a sentence and is followed by one starting in lower case is a wrap in either style.
    """
    if _is_hard_wrapped(block):
        return [" ".join(block)]
    paras: list[list[str]] = []
    for line in block:
        if paras and not ends_sentence(paras[-1][-1]) and line[:1].islower():
            paras[-1].append(line)
        else:
            paras.append([line])
    return [" ".join(lines) for lines in paras]


def _drop_captioned_credits(blocks: list[list[str]]) -> list[list[str]]:
    """Remove credit lines and the captions right above them.

    A caption is recognised by position (the line just before a credit, blank lines aside) *and* by
    shape (caption wording or a "Show more" cut), never by shape alone, so a body sentence such as
    "A photo taken by a bystander shows ..." stays unless a credit follows it.
    """
    lines = [(b, line) for b, block in enumerate(blocks) for line in block]
    drop = [False] * len(lines)
    for i, (_, line) in enumerate(lines):
        if is_credit(line):
            drop[i] = True
            if i > 0 and is_caption(lines[i - 1][1]):
                drop[i - 1] = True
    out: list[list[str]] = [[] for _ in blocks]
    for (b, line), gone in zip(lines, drop, strict=True):
        if not gone:
            out[b].append(line)
    return [block for block in out if block]


def _drop_embeds(paras: list[str]) -> list[str]:
    """Remove TikTok-style embeds: an "@handle" line, its caption, and the "♬ original sound" line."""
    drop: set[int] = set()
    for i, para in enumerate(paras):
        if not _HANDLE_ONLY.match(para):
            continue
        for j in range(i + 1, min(i + 1 + _EMBED_SPAN, len(paras))):
            if _TIKTOK_SOUND.match(paras[j]):
                drop.update(range(i, j + 1))
                break
    return [p for i, p in enumerate(paras) if i not in drop]


def clean_text(text: str) -> str:
    """Drop boilerplate lines, normalise whitespace and keep paragraphs separated by blank lines.

    The first remaining paragraph is exempt from the teaser rules because it is usually the headline,
    and headlines look like teasers ("Analysis: ...").
    """
    text = _normalise(text)
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = _tidy(raw)
        if not line:
            if current:
                blocks.append(current)
                current = []
            continue
        current.append(line)
    if current:
        blocks.append(current)

    blocks = _drop_captioned_credits(blocks)
    paras = _drop_embeds([p for block in blocks for p in _paragraphs(block)])
    kept: list[str] = []
    dropped = 0
    for para in paras:
        # Credits were handled with their captions above; the rest needs no context.
        if _is_page_chrome(para) or (kept and _is_teaser(para)):
            dropped += 1
            continue
        kept.append(para)
    if dropped:
        log.debug("clean_text dropped %d boilerplate lines", dropped)
    return "\n\n".join(kept)
