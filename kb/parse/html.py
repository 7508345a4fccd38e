"""Reader for HTML pages: the main text through trafilatura (offline), metadata from the page's own tags.

The extracted text keeps headings ("## What We Know") and list items ("- ..."), so a page laid out as a
brief is read by the brief reader; any other page is read as prose, with lines that are not sentences
(bylines, captions, buttons, page furniture) left out. If trafilatura finds nothing, a plain
html.parser extraction that skips navigation, headers, footers and forms is used instead.
"""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser

from kb.errors import InputError
from kb.parse import ParsedStory
from kb.parse.brief import _BULLET, _PUBLISHED, heading_of, parse_date, read_brief
from kb.parse.prose import read_prose
from kb.text import tidy

# Brief sections whose presence makes a text a brief rather than prose.
CLAIM_HEADINGS = {"known", "unclear", "watch", "faq"}

_SKIP = {
    "script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "form", "button",
    "figcaption",
}  # fmt: skip
_SITE_HEADER = "header"  # a <header> outside <article>/<main> is the site's masthead
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCK = {
    "p", "div", "section", "article", "main", "br", "li", "ul", "ol", "tr", "table", "blockquote", "pre",
    "dd", "dt", "dl", "figcaption", "figure", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "body", "td", "th",
}  # fmt: skip
# A class or id (one whole token) that marks page furniture: "cookie-banner", "share", "site-footer".
_FURNITURE_CLASS = re.compile(
    r"(?:site[-_])?(?:cookies?|consent|newsletter|subscribe|share|sharing|social|related|comments?|advert|"
    r"ads|promo|breadcrumbs?|menu|footer|masthead|byline|dateline|caption)(?:[-_][a-z]+)?",
    re.IGNORECASE,
)
# Whole lines of page furniture, however the page marks them up.
_FURNITURE_LINE = re.compile(
    r"^(?:subscribe|sign up|sign in|log in|cookie|accept (?:all )?cookies|newsletter|share (?:this|on)|"
    r"follow us|read more|related|advertisement|all rights reserved|©|copyright|skip to|back to top|"
    r"continue reading|leave a reply|you may also like|most read)",
    re.IGNORECASE,
)
# Phrases that mark a short line as consent banners or newsletter pitches wherever they stand in it.
_FURNITURE_PHRASE = re.compile(
    r"\b(?:we use cookies|uses cookies|cookie (?:settings|policy|preferences)|accept (?:all )?cookies|"
    r"manage (?:your )?cookies|privacy settings|subscribe to (?:our|the) newsletter|sign up for (?:our|the) "
    r"newsletter|all rights reserved)\b",
    re.IGNORECASE,
)
_BYLINE_LIKE = re.compile(r"^by\s|\s[·|•]\s", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…][\"'\u201d\u2019)\]]*$")
_HEADING = re.compile(r"^#{1,6}\s+")
_DATE_KEYS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publish-date",
    "dc.date",
    "dc.date.issued",
    "article:modified_time",
)


class _Page(HTMLParser):
    """One pass over a page: its metadata and a plain-text rendering that keeps headings and lists."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.h1 = ""
        self.canonical = ""
        self.times: list[str] = []
        self.parts: list[str] = []
        self._skip: list[str] = []  # stack of tags whose content is skipped
        self._open: list[str] = []  # article/main nesting, to tell a masthead from an article header
        self._in_title = False
        self._in_h1 = False
        self._h1_done = False

    def _block(self, prefix: str = "") -> None:
        self.parts.append("\n" + prefix)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").strip().lower()
            if key and "content" in a and key not in self.meta:
                self.meta[key] = a["content"].strip()
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower().split():
            self.canonical = self.canonical or a.get("href", "").strip()
            return
        if tag == "time" and a.get("datetime"):
            self.times.append(a["datetime"])
        if tag in _VOID:
            if tag in ("br", "hr") and not self._skip:
                self._block()
            return
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.append(tag)
            return
        if (
            tag in _SKIP
            or (tag == _SITE_HEADER and not self._open)
            or any(_FURNITURE_CLASS.fullmatch(t) for t in f"{a.get('class', '')} {a.get('id', '')}".split())
            or "hidden" in a
            or a.get("aria-hidden") == "true"
        ):
            self._skip.append(tag)
            return
        if tag in ("article", "main"):
            self._open.append(tag)
        if tag == "title":
            self._in_title = True
        elif tag == "h1" and not self._h1_done:
            self._in_h1 = True
        if re.fullmatch(r"h[1-6]", tag):
            self._block("#" * int(tag[1]) + " ")
        elif tag == "li":
            self._block("- ")
        elif tag in _BLOCK:
            self._block()

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if tag in ("article", "main") and tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]
        if tag == "title":
            self._in_title = False
        elif tag == "h1" and self._in_h1:
            self._in_h1, self._h1_done = False, True
        if tag in _BLOCK:
            self._block()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip:
            return
        if self._in_h1:
            self.h1 += data
        self.parts.append(data)

    def text(self) -> str:
        return drop_furniture("".join(self.parts))


def _is_furniture(line: str) -> bool:
    bare = tidy(_BULLET.sub("", _HEADING.sub("", line)))
    if not bare.strip("#-*_ "):
        return True
    return bool(_FURNITURE_LINE.match(bare)) or (
        len(bare.split()) <= 30 and bool(_FURNITURE_PHRASE.search(bare))
    )


def drop_furniture(text: str) -> str:
    """Extracted text without blank lines and page furniture (cookie banners, newsletter pitches,
    copyright lines), one block a paragraph."""
    return "\n\n".join(tidy(line) for line in text.split("\n") if not _is_furniture(line))


def _scan(html: str) -> _Page:
    page = _Page()
    try:
        page.feed(html)
        page.close()
    except Exception:  # html.parser is lenient; anything it still rejects leaves what was read so far
        pass
    return page


def html_to_text(html: str) -> str:
    """Plain text of an HTML page or fragment: one block a paragraph, headings as '#', list items as '-'."""
    return _scan(html).text()


def has_sections(text: str) -> bool:
    """Whether a text has at least one of the brief's claim sections as a heading."""
    return any(heading_of(line) in CLAIM_HEADINGS for line in text.split("\n") if len(line) < 80)


def _prose_lines(text: str) -> str:
    """The lines of extracted text that read as sentences: headings, bylines, captions and buttons are left
    out so that they do not run into the next sentence. A long line without a full stop keeps its words
    and gets one; "Published ..." lines are kept for the date."""
    keep = []
    for line in text.split("\n"):
        line = tidy(_BULLET.sub("", _HEADING.sub("", line)))
        if not line or _FURNITURE_LINE.match(line):
            continue
        if _SENTENCE_END.search(line) or _PUBLISHED.match(line):
            keep.append(line)
        elif len(line.split()) >= 8 and line[-1:].isalnum() and not _BYLINE_LIKE.search(line):
            keep.append(line + ".")
    return "\n\n".join(keep)


def read_body(text: str, fmt: str = "md") -> ParsedStory:
    """A story's plain text: as a brief if it has brief sections, else as prose."""
    if has_sections(text):
        return read_brief(text, fmt=fmt)
    return read_prose(text)


def read_extracted(text: str, fmt: str = "html") -> ParsedStory:
    """Text extracted from HTML (headings as '#', list items as '-'): as a brief if it has brief
    sections, else its sentences as prose."""
    if has_sections(text):
        return read_brief(text, fmt=fmt)
    prose = _prose_lines(text)
    if not prose:
        raise InputError("no sentences in the text")
    story = read_prose(prose)
    if not story.claims:
        raise InputError("no sentences in the text")
    return story


def _extract(html: str) -> str:
    """The page's main text as Markdown-like lines, or "" when trafilatura finds none."""
    try:
        import trafilatura

        out = trafilatura.extract(
            html,
            output_format="txt",
            include_formatting=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            deduplicate=False,
        )
    except Exception:  # lxml/trafilatura errors on odd input: fall back to html.parser
        return ""
    return drop_furniture(out or "")


def _first_date(page: _Page) -> datetime | None:
    for key in _DATE_KEYS:
        if page.meta.get(key) and (date := parse_date(page.meta[key])):
            return date
    for value in page.times:
        if date := parse_date(value):
            return date
    return None


def _title(page: _Page, site: str | None) -> str:
    title = tidy(page.title)
    if site:  # "Headline | Outlet" -> "Headline"
        for sep in (" | ", " - ", " — ", " – ", " · "):
            if title.endswith(sep + site):
                title = title[: -len(sep + site)]
    return tidy(page.h1) or tidy(page.meta.get("og:title", "")) or title


def read_html(html: str) -> ParsedStory:
    """Read an HTML page: its main text as a brief or prose, and its title, date, publisher and URL."""
    page = _scan(html)
    fallback = page.text()
    text = _extract(html)
    if not text.strip() or (not has_sections(text) and has_sections(fallback)):
        text = fallback
    site = tidy(page.meta.get("og:site_name", "")) or None
    title = _title(page, site)
    if not text.strip():
        raise InputError("no text in the HTML page")
    try:
        story = read_extracted(text)
    except InputError as exc:
        raise InputError(f"no article text in the HTML page ({exc})") from exc
    story.title = title or story.title
    story.published = _first_date(page) or story.published
    story.publisher = site or story.publisher
    story.url = page.meta.get("og:url") or page.canonical or story.url
    story.fmt = "html"
    story.raw = html
    return story
