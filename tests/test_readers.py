"""kb.parse readers for JSON, JSON Lines, RSS/Atom feeds and HTML pages, and the dispatch between them.

The recorded inputs in data/inputs are small invented stories about one invented company."""

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.errors import InputError
from kb.parse import reader
from kb.parse.brief import read_brief
from kb.parse.feed import read_feed
from kb.parse.html import html_to_text, read_html
from kb.parse.jsonl import read_json
from kb.parse.prose import read_prose
from kb.parse.reader import FORMATS, Document, documents, parse_document, parse_stories, sniff

INPUTS = Path(__file__).resolve().parent / "data" / "inputs"
DEVSET = Path(__file__).resolve().parents[2] / "shared" / "devset"

FOLLOWUP = [
    "followup-brief.txt",
    "followup.md",
    "followup.json",
    "followup-text.json",
    "followup.jsonl",
    "followup-prose.txt",
    "followup-rss.xml",
    "followup.atom",
    "followup.html",
]
SECTIONS = ["sections-brief.txt", "sections.md", "sections.json", "sections.html", "sections-atom.xml"]
FOLLOWUP_CLAIMS = [
    ("fact", "Harrow Lane Robotics recalled 1,200 Pika warehouse robots on March 3."),
    ("fact", "Owners can book a free battery replacement through the company's service portal."),
    ("fact", "The recall covers robots built between June and November 2025."),
    ("question", "The cost of the recall has not been disclosed."),
]


def _doc(name: str) -> Document:
    [doc] = documents([str(INPUTS / name)])
    return doc


def _stories(name: str, fmt: str = "auto"):
    return parse_stories(_doc(name), fmt)


def _claims(story) -> list[tuple[str, str]]:
    return sorted((c.kind, c.text) for c in story.claims)


# --- one story, every format ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FOLLOWUP)
def test_the_same_followup_in_every_format_gives_the_same_claims(name):
    [story] = _stories(name)
    assert _claims(story) == FOLLOWUP_CLAIMS


@pytest.mark.parametrize("name", FOLLOWUP)
def test_the_same_followup_in_every_format_gives_the_same_title_and_outlet(name):
    [story] = _stories(name)
    assert (story.title, story.publisher, story.published.date().isoformat()) == (
        "Harrow Lane Robotics Recalls Pika Warehouse Robots",
        "Northgate Ledger",
        "2026-03-05",
    )


def test_a_brief_with_every_section_reads_the_same_in_every_format():
    expected = _claims(_stories(SECTIONS[0])[0])
    assert {k for k, _ in expected} == {"fact", "question", "watch"}
    for name in SECTIONS[1:]:
        assert _claims(_stories(name)[0]) == expected, name


@pytest.mark.parametrize("name", SECTIONS)
def test_a_hedged_faq_answer_is_a_question_and_a_plain_one_a_fact(name):
    [story] = _stories(name)
    faq = {(c.kind, c.text) for c in story.claims if c.section == "faq"}
    assert faq == {
        ("question", "When will the first robots leave the site?"),
        ("fact", "The company is owned by its founders and the Ashby Growth Fund."),
    }


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("followup-brief.txt", "brief"),
        ("followup.md", "md"),
        ("followup.json", "json"),
        ("followup.jsonl", "json"),
        ("followup-prose.txt", "prose"),
        ("followup-rss.xml", "feed"),
        ("followup.atom", "feed"),
        ("followup.html", "html"),
    ],
)
def test_each_reader_records_its_format(name, fmt):
    assert _stories(name)[0].fmt == fmt


# --- several stories in one file ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["several.json", "several.jsonl", "several-rss.xml"])
def test_a_list_jsonl_or_feed_gives_one_story_per_record(name):
    stories = _stories(name)
    assert [s.title for s in stories] == [
        "Harrow Lane Robotics Names a New Finance Chief",
        "Harrow Lane Robotics Wins a Supermarket Contract",
        "Harrow Lane Robotics Raises New Funding",
    ]
    assert len({s.raw for s in stories}) == 3


def test_a_json_list_and_jsonl_give_the_same_stories():
    listed, lines = _stories("several.json"), _stories("several.jsonl")
    assert [(s.raw, _claims(s), s.publisher) for s in listed] == [
        (s.raw, _claims(s), s.publisher) for s in lines
    ]


def test_feed_entries_give_the_same_claims_as_the_json_records():
    assert [_claims(s) for s in _stories("several-rss.xml")] == [_claims(s) for s in _stories("several.json")]


def test_a_json_record_raw_is_its_canonical_json():
    [story] = _stories("followup.json")
    record = json.loads((INPUTS / "followup.json").read_text(encoding="utf-8"))
    assert story.raw == json.dumps(record, sort_keys=True, ensure_ascii=False)


def test_the_same_record_with_keys_reordered_is_the_same_raw():
    a = read_json('{"title": "T", "known": ["Harrow Lane Robotics hired 40 technicians."]}')
    b = read_json('{"known": ["Harrow Lane Robotics hired 40 technicians."],\n "title": "T"}')
    assert a[0].raw == b[0].raw


def test_a_feed_entry_raw_holds_its_title_link_date_and_content():
    first = _stories("several-rss.xml")[0]
    assert first.raw.split("\n")[:2] == [
        "Harrow Lane Robotics Names a New Finance Chief",
        "https://roundup.example/1",
    ]
    assert "Mira Osei" in first.raw


def test_a_feed_entry_takes_its_publisher_from_source_else_the_feed_title():
    assert [s.publisher for s in _stories("several-rss.xml")] == [
        "Northgate Ledger",
        "Robotics Roundup",
        "Northgate Ledger",
    ]


def test_a_feed_entry_keeps_its_link_and_date():
    story = _stories("followup.atom")[0]
    assert story.url == "https://northgate.example/harrow-recall"
    assert story.published is not None and story.published.date().isoformat() == "2026-03-05"


def test_json_accepts_publisher_outlet_and_date_aliases():
    stories = _stories("several.json")
    assert [s.publisher for s in stories] == ["Northgate Ledger", "Pennine Tech Desk", "Northgate Ledger"]
    assert stories[2].published is not None and stories[2].published.day == 28


def test_json_watch_items_are_watch_claims():
    story = _stories("several.json")[1]
    assert ("watch", "Delivery of the first robots is planned for May.") in _claims(story)


def test_parse_document_rejects_a_file_of_several_stories():
    with pytest.raises(InputError, match=r"several\.json: holds 3 stories"):
        parse_document(_doc("several.json"))


def test_parse_document_still_reads_a_single_story_file():
    assert parse_document(_doc("followup.json")).title.startswith("Harrow Lane")


# --- HTML ---------------------------------------------------------------------------------------------


def test_html_page_furniture_does_not_become_claims():
    [story] = _stories("followup.html")
    text = " ".join(c.text for c in story.claims).casefold()
    for word in ("subscribe", "cookie", "home", "related", "rights reserved", "warehouse automation"):
        assert word not in text


def test_html_metadata_comes_from_the_page_tags():
    [story] = _stories("followup.html")
    assert story.url == "https://northgate.example/harrow-recall"
    assert story.published is not None and story.published.date().isoformat() == "2026-03-05"


def test_html_falls_back_to_html_parser_when_trafilatura_finds_nothing(monkeypatch):
    import kb.parse.html as html_reader

    monkeypatch.setattr(html_reader, "_extract", lambda html: "")
    for name in ("followup.html", "sections.html"):
        story = read_html((INPUTS / name).read_text(encoding="utf-8"))
        assert _claims(story) == _claims(_stories(name)[0]), name


def test_html_to_text_keeps_headings_and_list_items_and_skips_navigation():
    text = html_to_text(
        "<nav><a>Home</a></nav><h2>What We Know</h2><ul><li>One fact here.</li></ul>"
        "<footer>Cookie settings</footer>"
    )
    assert text.split("\n\n") == ["## What We Know", "- One fact here."]


def test_html_title_drops_the_outlet_suffix_of_the_title_tag():
    html = (
        "<html><head><title>Harrow Lane Robotics Hires | Northgate Ledger</title>"
        '<meta property="og:site_name" content="Northgate Ledger"></head>'
        "<body><p>Harrow Lane Robotics hired 40 technicians for its Leeds site.</p></body></html>"
    )
    story = read_html(html)
    assert (story.title, story.publisher) == ("Harrow Lane Robotics Hires", "Northgate Ledger")


# --- detection --------------------------------------------------------------------------------------------


def test_formats_offered_to_the_cli():
    assert set(FORMATS) >= {"auto", "brief", "md", "prose", "json", "feed", "html"}


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("followup.json", "json"),
        ("followup.jsonl", "json"),
        ("followup-rss.xml", "feed"),
        ("followup.atom", "feed"),
        ("followup.html", "html"),
        ("followup-brief.txt", "brief"),
        ("followup-prose.txt", "brief"),  # a .txt is tried as a brief, then read as prose
        ("followup.md", "md"),
    ],
)
def test_sniff_uses_the_extension(name, fmt):
    assert sniff((INPUTS / name).read_text(encoding="utf-8"), str(INPUTS / name)) == fmt


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("followup.json", "json"),
        ("several.json", "json"),
        ("several.jsonl", "json"),
        ("followup-rss.xml", "feed"),
        ("followup.atom", "feed"),
        ("followup.html", "html"),
        ("sections.html", "html"),
        ("followup-brief.txt", "brief"),
        ("followup-prose.txt", "brief"),
    ],
)
def test_sniff_reads_the_content_when_the_extension_says_nothing(name, fmt):
    text = (INPUTS / name).read_text(encoding="utf-8")
    assert sniff(text, "<stdin>") == fmt
    assert sniff(text, "story") == fmt


@pytest.mark.parametrize("name", [*FOLLOWUP, "several.json", "several.jsonl", "several-rss.xml"])
def test_stdin_is_read_by_content(name):
    data = (INPUTS / name).read_bytes()
    [doc] = documents(["-"], stdin=data)
    assert [_claims(s) for s in parse_stories(doc)] == [_claims(s) for s in _stories(name)]


def test_a_bracketed_prose_opening_is_not_taken_for_json():
    assert sniff("[Updated] Harrow Lane Robotics hired 40 technicians.", "<stdin>") == "brief"


def test_input_format_overrides_detection():
    text = (INPUTS / "followup-prose.txt").read_text(encoding="utf-8")
    story = parse_stories(Document("story.json", text), "prose")[0]
    assert _claims(story) == FOLLOWUP_CLAIMS
    with pytest.raises(InputError, match="malformed JSON"):
        parse_stories(Document("story.txt", text), "json")


def test_folders_include_the_new_extensions(tmp_path):
    for name in ("a.json", "b.jsonl", "c.ndjson", "d.xml", "e.rss", "f.atom", "g.html", "h.htm", "i.png"):
        (tmp_path / name).write_text("x")
    assert [Path(d.path).name for d in documents([str(tmp_path)])] == [
        "a.json",
        "b.jsonl",
        "c.ndjson",
        "d.xml",
        "e.rss",
        "f.atom",
        "g.html",
        "h.htm",
    ]


# --- bad input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad-binary.json", "binary file"),
        ("bad-latin1.txt", "not valid UTF-8"),
        ("bad-empty.json", "empty file"),
    ],
)
def test_unreadable_files_become_error_documents(name, message):
    doc = _doc(name)
    assert doc.text is None and doc.error is not None
    assert doc.error.startswith(str(INPUTS / name)) and message in doc.error
    with pytest.raises(InputError, match=message):
        parse_stories(doc)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad-malformed.json", r"malformed JSON at line 4, column 3: Expecting ',' delimiter"),
        ("bad-malformed.jsonl", r"malformed JSON at line 2, column \d+"),
        ("bad-record.json", r"record 2 is a string, not an object"),
        ("bad-record.jsonl", r"record 2 \(line 2\) is a list, not an object"),
        ("bad-field.json", r"record 1: 'known' item 1 must be a string, not an object"),
        ("bad-feed.xml", r"not a valid RSS/Atom feed: line 5, column 10: not well-formed"),
        ("bad-empty-feed.xml", r"the feed has no entries"),
        ("bad-not-feed.xml", r"not an RSS/Atom feed"),
        ("bad-no-text.html", r"no text in the HTML page"),
    ],
)
def test_bad_inputs_raise_one_input_error_naming_file_and_reason(name, message):
    with pytest.raises(InputError, match=message) as info:
        _stories(name)
    assert str(info.value).startswith(f"{INPUTS / name}: ")
    assert "\n" not in str(info.value)


def test_an_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_INPUT_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"title": "x" * 200}))
    [doc] = documents([str(path)])
    assert doc.text is None and "over the 100-byte limit" in (doc.error or "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "holds no records"),
        ("{}", "no title, claims or text"),
        ("42", "record 1 is a number"),
        ('{"title": 5.5, "known": "A single known fact stands here."}', None),
        ('{"title": "T", "faq": [{"q": "Who?"}, "x"]}', "'faq' item 2 must be an object"),
        ('{"title": "T", "text": ["not", "a", "string"]}', "'text' must be a string"),
        ('{"title": "T", "published": {"y": 1}}', "'published' must be a string"),
        ("[" * 100_000, None),
    ],
)
def test_json_edge_cases(text, message):
    if message is None:  # either reading is fine, as long as nothing but InputError is raised
        with contextlib.suppress(InputError):
            read_json(text)
        return
    with pytest.raises(InputError, match=message):
        read_json(text)


def test_a_single_string_for_a_list_is_one_item():
    [story] = read_json('{"title": "T", "known": "Harrow Lane Robotics hired 40 technicians."}')
    assert _claims(story) == [("fact", "Harrow Lane Robotics hired 40 technicians.")]


def test_feedparser_is_never_handed_a_url_to_fetch(monkeypatch):
    import urllib.request

    def refuse(*args, **kwargs):
        raise AssertionError("a reader tried to fetch a URL")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)
    for text in ("http://example.org/feed.xml", "https://example.org/", "file:///etc/passwd"):
        with pytest.raises(InputError):
            read_feed(text)


# --- never a crash --------------------------------------------------------------------------------------

_READERS = {
    "brief": read_brief,
    "prose": read_prose,
    "json": read_json,
    "feed": read_feed,
    "html": read_html,
}
_MARKUP = st.sampled_from(
    [
        "<rss>",
        "<feed>",
        "<html>",
        "<p>",
        "<li>",
        "<h2>What We Know</h2>",
        "</",
        "{",
        "[",
        '"known": [',
        "}",
        "]",
        "\n",
        "- ",
        "What We Know\n",
        "Q: ",
        "A: ",
        "<![CDATA[",
        "&amp;",
        "<?xml version='1.0'?>",
        "---\n",
    ]
)
_TEXT = st.one_of(
    st.text(max_size=300), st.lists(st.one_of(_MARKUP, st.text(max_size=20)), max_size=30).map("".join)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, fmt=st.sampled_from(sorted(_READERS)))
def test_no_reader_crashes_on_arbitrary_text(text, fmt):
    with contextlib.suppress(InputError):
        _READERS[fmt](text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=_TEXT, fmt=st.sampled_from(FORMATS), path=st.sampled_from(["<stdin>", "x.json", "x.xml", "x.html"])
)
def test_parse_stories_raises_only_input_errors(text, fmt, path):
    try:
        stories = parse_stories(Document(path, text), fmt)
    except InputError as exc:
        assert str(exc).startswith(f"{path}: ")
    else:
        assert stories and all(s.raw for s in stories)


# --- the development set --------------------------------------------------------------------------------

needs_devset = pytest.mark.skipif(not DEVSET.is_dir(), reason="../shared/devset is not beside the project")


@needs_devset
@pytest.mark.parametrize("story_id", ["2025-04-23-A1", "2025-04-19-N1", "2025-04-20-N2"])
def test_the_devset_formats_of_one_story_give_the_same_claims(story_id):
    paths = sorted(DEVSET.glob(f"*/{story_id}.*"))
    assert {p.parent.name for p in paths} == {"brief", "md", "json", "prose", "html", "rss"}
    results = {}
    for doc in documents([str(p) for p in paths]):
        [story] = parse_stories(doc)
        results[Path(doc.path).parent.name] = (story.title, tuple(_claims(story)))
    assert len(set(results.values())) == 1, results
