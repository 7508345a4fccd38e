"""Text utilities shared by the readers, the extractor and the matcher: cleaning, sentences, hedges."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import cache, lru_cache

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u00b4": "'",
        "`": "'",
    }
)
_DASHES = str.maketrans(
    {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"}
)
_FOLD = {**_QUOTES, **_DASHES}
_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")

# Entries kept by the caches of work on whole sentences. A story's sentences come back while it is
# prepared and matched, and a repeated claim's text comes back later, but most sentences are seen once:
# more entries buy no speed, and at a few hundred bytes each they would add tens of MB to every process
# of an ingest.
SENTENCES = 4096


def clean_document(raw: str) -> str:
    """A document as the readers see it: no BOM, LF line ends, no trailing spaces."""
    text = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def content_hash(text: str) -> str:
    """Identity of a document: the hash of its canonical form, so re-ingesting it changes nothing."""
    canon = unicodedata.normalize("NFC", clean_document(text))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def tidy(text: str) -> str:
    """One line of story text with spacing collapsed; quotes and letters kept as written."""
    if text.isascii() and "  " not in text and "\t" not in text:
        return text.strip()  # (nothing to collapse)
    return _SPACE.sub(" ", _ZERO_WIDTH.sub("", text)).strip()


@lru_cache(maxsize=SENTENCES)
def fold(text: str) -> str:
    """Case, quote, dash and compatibility folding for comparisons (never for display)."""
    if text.isascii():  # (compatibility forms, curly quotes and dashes are not ASCII)
        if "`" in text:
            text = text.replace("`", "'")
        if "  " in text or "\t" in text:
            text = _SPACE.sub(" ", text)
        return text.lower().strip()
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return _SPACE.sub(" ", text).casefold().strip()


def text_hash(text: str) -> str:
    """Identity of a claim sentence: folded, punctuation-insensitive."""
    key = re.sub(r"[^\w%$€£¥.]+", " ", fold(text)).strip(" .")
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


_ABBREVIATIONS = frozenset(
    "u.s u.k e.u u.n mr mrs ms dr prof inc corp co ltd jr sr st no vs etc e.g i.e jan feb mar apr jun jul "
    "aug sep sept oct nov dec gov sen rep gen col lt".split()
)


# This pattern and those below are compiled when first used, not on import: compiling them takes a few
# milliseconds that every `kb` query, which only folds names, would otherwise pay at start.
@cache
def _boundary() -> re.Pattern[str]:
    return re.compile(r"[.!?…][\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]*[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """Split running text into sentences, keeping abbreviations such as "U.S." and "Corp." intact."""
    text = tidy(text.replace("\n", " "))
    out, start = [], 0
    for m in _boundary().finditer(text):
        word = text[start : m.start() + 1].rsplit(None, 1)[-1].rstrip(".").casefold()
        if m.group(0)[0] == "." and (word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", word)):
            continue  # "U.S. Commerce", "Acme Corp. Chief", "J. Smith"
        out.append(text[start : m.start() + len(m.group(0).rstrip())].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


# Phrases by which a brief says something is not known. Order matters only for readability.
HEDGE_PATTERNS = [
    r"(?:is|are|was|were|has|have|had)?\s*(?:not|n't)\s+(?:yet\s+)?(?:been\s+)?"
    r"(?:confirmed|disclosed|specified|quantified|known|clear|reported|detailed|made public|released|"
    r"announced|explained|addressed|established|determined|verified|public|available)",
    r"(?:do|does|did)\s+not\s+(?:confirm|disclose|specify|say|state|detail|explain|rule out)",
    r"(?:could|can|cannot|can't)\s*(?:not)?\s+(?:be\s+)?(?:independently\s+)?(?:confirm|verif)\w*",
    r"\bremains?\s+(?:unclear|unknown|to be seen|uncertain|unconfirmed|undisclosed|open)",
    r"\b(?:is|are|was|were)\s+(?:still\s+)?(?:unclear|unknown|uncertain|unconfirmed|undisclosed|unspecified)",
    r"\bit\s+is\s+(?:not\s+)?(?:yet\s+)?(?:unclear|not\s+clear|unknown)",
    r"\bunclear\b",
    r"\bunconfirmed\b",
    r"\bundisclosed\b",
    r"\bno\s+details\b",
    r"\bdeclined\s+to\s+(?:comment|say|confirm|disclose)",
]
# Filler that hedged sentences carry around the hedge; stripped with it, never a hedge by itself.
_FILLER = r"\bin\s+the\s+(?:available|provided)\s+(?:information|materials|coverage|reporting|sources)"


@cache
def _hedges(with_filler: bool) -> re.Pattern[str]:
    patterns = [*HEDGE_PATTERNS, _FILLER] if with_filler else HEDGE_PATTERNS
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def is_hedged(text: str) -> bool:
    """Whether a sentence says that something is not known or not confirmed."""
    return bool(_hedges(with_filler=False).search(fold(text)))


@lru_cache(maxsize=SENTENCES)
def strip_hedges(text: str) -> str:
    """The question a hedged sentence asks, without the hedge ("X is not disclosed" -> "X")."""
    return _SPACE.sub(" ", _hedges(with_filler=True).sub(" ", fold(text))).strip(" .;,")


# Words without which `_attribution` cannot match an ASCII sentence (it ignores case).
_ATTRIBUTION_CUES = (
    "according to",
    "as reported by",
    "citing",
    "familiar with",
    "sources said",
    "a survey",
    "spokes",
)


@cache
def _attribution() -> re.Pattern[str]:
    # "..., according to X" / "citing X": who said it, kept apart from what was said.
    return re.compile(
        r",?\s*\b(?:according to|as reported by|citing|people familiar with|sources said|"
        r"a survey (?:by|from)|said (?:a|an|the) (?:spokesperson|spokesman|spokeswoman))"
        r"[^,;]*?(?=[,;]|[.!?]?[\"'\u201d\u2019)]*\s*$)",
        re.IGNORECASE,
    )


@lru_cache(maxsize=SENTENCES)
def split_attribution(text: str) -> tuple[str, str]:
    """(what is claimed, who it is attributed to): "X rose, according to Reuters." -> ("X rose.", "according
    to Reuters")."""
    if text.isascii() and not any(cue in text.lower() for cue in _ATTRIBUTION_CUES):
        return text.strip().lstrip(",;: ").strip(), ""  # (most sentences: attributed to nobody)
    found = [m.group(0) for m in _attribution().finditer(text)]
    said = _attribution().sub("", text).strip().lstrip(",;: ").strip()
    return said, " ".join(f.strip(" ,") for f in found)


# Words that carry no topic of their own: function words, reporting verbs, generic nouns, units.
STOP = frozenset(
    """
a an the this that these those it its it's they them their there here he she his her we our you your i and
or but nor so yet for of in on at by to from with as into onto over under about after before between what
which who whom whose when where why how whether if while though although because since than then is are was
were be been being has have had do does did will would can could should may might must shall not no nor
never also very more most much many some any all each every both few other another such just own same too up
down out off again further once per via amid among across within without against according reportedly
reported report reports reporting said says say coverage sources source indicates indicate noted notes note
suggests suggest suggesting cited cites available information materials provided detail details precise
exact exactly specific general mention mentions status clarification names name beyond including include
includes ongoing current currently new get gets got make makes made company companies firm firms business
businesses group groups government governments authorities officials official people country countries party
parties thousand million billion trillion bn mn euro euros dollar dollars yuan renminbi yen pound pounds
percent day days week weeks month months year years hour hours quarter quarters
through saying statement spokesperson spokeswoman spokesman deny denies denied denial mainland
""".split()
)


@lru_cache(maxsize=SENTENCES)
def wanted_answers(question: str) -> frozenset[str]:
    """What kind of evidence would settle a question."""
    q = strip_hedges(question)
    wants = set()
    if re.search(
        r"\b(?:how much|revenue|revenues|sales figures?|amount|value|valuation|cost|price|fines?|"
        r"spend|spending|investment|worth|pay)\b",
        q,
    ):
        wants.add("money")
    if re.search(r"\b(?:market share|share of|percentage|proportion|rate)\b", q):
        wants.add("percent")
    if re.search(r"\b(?:how many|number of|count)\b", q):
        wants.add("count")
    if re.search(r"\b(?:scale|size|extent|magnitude|how large|how big)\b", q):
        wants.update({"money", "percent", "count"} if not wants else set())
    if re.search(
        r"\b(?:names?|identit(?:y|ies)|who|which (?:companies|firms|partners|customers|clients|"
        r"organi[sz]ations|banks|suppliers))\b",
        q,
    ):
        wants.add("name")
    if re.search(r"\b(?:deadline|when|timeline|timing|time ?frame|how long|date|by when|schedule)\b", q):
        wants.add("time")
    if re.search(r"\b(?:regulat\w*|licen[cs]\w*|approv\w*|legal status|permit\w*|legal)\b", q):
        wants.add("regulation")
    if re.search(r"\b(?:respond|response|react|reaction|retaliat\w*)\b", q):
        wants.add("response")
    if not wants and (
        re.search(r"\bwhether\b", q)
        or re.match(r"^(?:is|are|was|were|do|does|did|will|would|can|could|has|have|had|should)\b", q)
    ):
        wants.add("yesno")
    return frozenset(wants or {"statement"})
