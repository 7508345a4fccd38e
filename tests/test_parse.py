"""kb.parse: the sectioned-brief reader, the prose fallback and the document reader."""

from datetime import datetime
from pathlib import Path

import pytest

from kb.errors import InputError
from kb.parse.brief import heading_of, read_brief
from kb.parse.reader import Document, documents, parse_document

DATA = Path(__file__).resolve().parent / "data" / "briefs"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_ee0bf775084476f8.txt"
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="../shared is not beside the project")

FURNITURE = ("leave a reply", "subscribe now", "continue reading")


def _brief(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def _seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed():
    if not SEED.exists():
        pytest.skip("../shared is not beside the project")
    return read_brief(_seed_text())


def _in(story, section):
    return [c for c in story.claims if c.section == section]


def _as_markdown(text: str) -> str:
    """The same brief with '#'/'##' headings and '-' bullets, as an editor would export it."""
    out = []
    for line in text.split("\n"):
        if line.startswith("Illustrative photo for:"):
            out.append("# " + line.partition(":")[2].strip())
        elif heading_of(line):
            out.append("## " + line)
        elif line.lstrip().startswith("\u2022 "):
            out.append("- " + line.lstrip()[2:])
        else:
            out.append(line)
    return "\n".join(out)


def _crlf_bom(text: str) -> str:
    return "\ufeff" + text.replace("\n", "\r\n")


# --- the seed brief -------------------------------------------------------------------------------------


@needs_seed
def test_seed_title_comes_from_the_illustrative_photo_line(seed):
    assert seed.title == "Microsoft Expands AI Models Sales in China Amid China AI"


@needs_seed
def test_seed_published_date_is_read(seed):
    assert seed.published == datetime(2026, 6, 18)


@needs_seed
def test_seed_publisher_comes_from_discover_more_from(seed):
    assert seed.publisher == "CEAN"


@needs_seed
def test_seed_what_we_know_gives_exactly_five_facts(seed):
    assert [c.kind for c in _in(seed, "known")] == ["fact"] * 5


@needs_seed
def test_seed_still_unclear_gives_four_questions(seed):
    assert [c.kind for c in _in(seed, "unclear")] == ["question"] * 4


@needs_seed
def test_seed_what_to_watch_gives_four_watch_items(seed):
    assert [c.kind for c in _in(seed, "watch")] == ["watch"] * 4


@needs_seed
def test_seed_faq_answer_that_asserts_is_a_fact(seed):
    facts = [c for c in _in(seed, "faq") if c.kind == "fact"]
    assert len(facts) == 1
    assert facts[0].quote.endswith(f"A: {facts[0].text}")


@needs_seed
def test_seed_faq_hedged_answer_makes_its_question_the_claim(seed):
    questions = [c for c in _in(seed, "faq") if c.kind == "question"]
    assert len(questions) == 1
    q = questions[0]
    assert q.text.endswith("?")
    assert q.quote.startswith(f"Q: {q.text} A: ")
    assert "do not confirm" in q.quote


@needs_seed
def test_seed_caveats_include_the_preliminary_note(seed):
    assert any("preliminary" in c for c in seed.caveats)


@needs_seed
def test_seed_story_is_preliminary(seed):
    assert seed.preliminary is True


@needs_seed
@pytest.mark.parametrize("phrase", ["data localization", "cross-border technology commerce"])
def test_seed_context_and_why_it_matters_go_to_the_body(seed, phrase):
    assert phrase in seed.body


@needs_seed
@pytest.mark.parametrize("phrase", ["data localization", "cross-border technology commerce"])
def test_seed_context_and_why_it_matters_are_not_claims(seed, phrase):
    assert not any(phrase in c.text or phrase in c.quote for c in seed.claims)


@needs_seed
@pytest.mark.parametrize("furniture", FURNITURE)
def test_seed_page_furniture_is_in_no_claim(seed, furniture):
    assert not any(furniture in c.quote.casefold() for c in seed.claims)


@needs_seed
def test_seed_as_markdown_gives_the_same_claims(seed):
    assert read_brief(_as_markdown(_seed_text()), fmt="md").claims == seed.claims


@needs_seed
def test_seed_with_crlf_and_bom_gives_the_same_claims(seed):
    assert read_brief(_crlf_bom(_seed_text())).claims == seed.claims


# --- recorded briefs ------------------------------------------------------------------------------------


def test_page_furniture_inside_a_section_is_not_a_claim():
    story = read_brief(_brief("harbourline.txt"))
    assert [c.text for c in _in(story, "watch")] == [
        "A filing with the Spanish competition authority.",
        "Comments from Kestrel Dairy farmers on the terms.",
    ]


def test_bulleted_page_furniture_is_not_a_claim():
    text = "Title\n\nWhat to Watch Next\n\n\u2022 A ruling on the merger.\n\u2022 Subscribe now to read on.\n"
    assert [c.text for c in read_brief(text).claims] == ["A ruling on the merger."]


def test_markdown_twin_of_a_plain_brief_gives_the_same_claims():
    plain = read_brief(_brief("harbourline.txt"))
    assert read_brief(_brief("harbourline.md"), fmt="md").claims == plain.claims


@pytest.mark.parametrize("field", ["title", "published", "publisher", "summary", "body", "caveats"])
def test_markdown_twin_of_a_plain_brief_gives_the_same_metadata(field):
    plain = read_brief(_brief("harbourline.txt"))
    markdown = read_brief(_brief("harbourline.md"), fmt="md")
    assert getattr(markdown, field) == getattr(plain, field)


def test_crlf_and_bom_give_the_same_claims():
    text = _brief("harbourline.txt")
    assert read_brief(_crlf_bom(text)).claims == read_brief(text).claims


def test_crlf_and_bom_keep_the_title():
    story = read_brief(_crlf_bom(_brief("harbourline.txt")))
    assert story.title == "Harbourline Foods Agrees to Buy Kestrel Dairy"


def test_a_mix_of_bullet_styles_gives_one_fact_per_bullet():
    story = read_brief(_brief("bullets.txt"))
    assert [c.text for c in story.claims] == [
        "Ferrow Rail opened a depot in Lyon.",
        "Ferrow Rail hired forty drivers.",
        "Ferrow Rail leased six locomotives.",
        "Ferrow Rail runs a night service to Turin.",
        "Ferrow Rail reported a profit last year.",
    ]


@pytest.mark.parametrize("bullet", ["\u2022", "-", "*", "\u2013", "1.", "2)"])
def test_each_bullet_glyph_is_removed_from_the_claim(bullet):
    story = read_brief(f"Title\n\nWhat We Know\n\n  {bullet} Ferrow Rail opened a depot.\n")
    assert [c.text for c in story.claims] == ["Ferrow Rail opened a depot."]


def test_curly_and_straight_apostrophes_in_headings_parse_the_same():
    body = "\n\n- The cost of the depot is not disclosed.\n"
    curly = read_brief("Title\n\nWhat\u2019s Still Unclear" + body)
    straight = read_brief("Title\n\nWhat's Still Unclear" + body)
    assert curly.claims == straight.claims


def test_curly_apostrophe_heading_opens_the_unclear_section():
    story = read_brief("Title\n\nWhat\u2019s Still Unclear\n\n- The cost of the depot is not disclosed.\n")
    assert [(c.kind, c.section) for c in story.claims] == [("question", "unclear")]


def test_a_wrapped_bullet_line_joins_the_item_above():
    story = read_brief("Title\n\nWhat We Know\n\n- Ferrow Rail opened a depot\n  near the river.\n")
    assert [c.text for c in story.claims] == ["Ferrow Rail opened a depot near the river."]


def test_front_matter_sets_the_title():
    assert read_brief(_brief("front_matter.md"), fmt="md").title == "Ferrow Rail Opens a Depot in Lyon"


def test_front_matter_sets_the_published_date():
    assert read_brief(_brief("front_matter.md"), fmt="md").published == datetime(2026, 5, 9)


def test_front_matter_outlet_sets_the_publisher():
    assert read_brief(_brief("front_matter.md"), fmt="md").publisher == "Alpine Freight Bulletin"


def test_a_text_without_sections_raises_input_error():
    with pytest.raises(InputError):
        read_brief("Ferrow Rail Expands\n\nFerrow Rail opened a depot. The cost is not disclosed.\n")


def test_parse_document_falls_back_to_prose_for_a_sectionless_text():
    story = parse_document(Document(str(DATA / "prose.txt"), _brief("prose.txt")))
    assert story.fmt == "prose"


def test_prose_fallback_makes_a_hedged_sentence_a_question():
    story = parse_document(Document(str(DATA / "prose.txt"), _brief("prose.txt")))
    kinds = {c.text: c.kind for c in story.claims}
    assert kinds["The number of jobs at the depot has not been specified."] == "question"


def test_prose_fallback_makes_a_plain_sentence_a_fact():
    story = parse_document(Document(str(DATA / "prose.txt"), _brief("prose.txt")))
    kinds = {c.text: c.kind for c in story.claims}
    assert kinds["Ferrow Rail opened a freight depot outside Lyon on Tuesday."] == "fact"


def test_parse_document_names_the_file_when_nothing_can_be_read():
    with pytest.raises(InputError, match=r"blank\.txt"):
        parse_document(Document("blank.txt", "\n\n"))


# --- reader ---------------------------------------------------------------------------------------------


def _one(path: Path) -> Document:
    docs = list(documents([str(path)]))
    assert len(docs) == 1
    return docs[0]


def test_a_missing_file_yields_an_error_document(tmp_path):
    doc = _one(tmp_path / "missing.txt")
    assert (doc.text, "no such file" in (doc.error or "")) == (None, True)


def test_an_empty_file_yields_an_error_document(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"  \n")
    doc = _one(tmp_path / "empty.txt")
    assert (doc.text, "empty" in (doc.error or "")) == (None, True)


def test_a_binary_file_yields_an_error_document(tmp_path):
    (tmp_path / "blob.txt").write_bytes(b"GIF89a\x00\x01\x02")
    doc = _one(tmp_path / "blob.txt")
    assert (doc.text, "binary" in (doc.error or "")) == (None, True)


def test_invalid_utf8_yields_an_error_document(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Caf\u00e9 Ferrow opened.".encode("latin-1"))
    doc = _one(tmp_path / "latin1.txt")
    assert (doc.text, "UTF-8" in (doc.error or "")) == (None, True)


def test_a_utf8_bom_is_dropped_when_reading(tmp_path):
    (tmp_path / "bom.txt").write_bytes("\ufeffHeadline".encode())
    assert _one(tmp_path / "bom.txt").text == "Headline"


def test_a_folder_is_read_recursively(tmp_path):
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / "top.txt").write_text("top")
    (tmp_path / "nested" / "deeper" / "low.md").write_text("low")
    assert [d.text for d in documents([str(tmp_path)])] == ["low", "top"]


def test_a_folder_skips_hidden_files_and_folders(tmp_path):
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "inside.txt").write_text("hidden folder")
    (tmp_path / ".draft.txt").write_text("hidden file")
    (tmp_path / "shown.txt").write_text("shown")
    assert [d.text for d in documents([str(tmp_path)])] == ["shown"]


def test_dash_reads_the_given_stdin_bytes():
    assert list(documents(["-"], stdin=b"From the pipe.")) == [Document("<stdin>", "From the pipe.")]


def test_dash_with_empty_stdin_yields_an_error_document():
    [doc] = documents(["-"], stdin=b"")
    assert (doc.path, doc.text, doc.error is not None) == ("<stdin>", None, True)
