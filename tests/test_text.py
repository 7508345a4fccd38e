"""kb.text: document cleaning, content hashes, sentences, hedges and attribution."""

import pytest

from kb.text import clean_document, content_hash, is_hedged, sentences, split_attribution, strip_hedges

# --- clean_document -------------------------------------------------------------------------------------


def test_clean_document_drops_a_leading_bom():
    assert clean_document("\ufeffHeadline\nBody") == "Headline\nBody"


def test_clean_document_turns_crlf_into_lf():
    assert clean_document("Headline\r\nBody\r\n") == "Headline\nBody"


def test_clean_document_turns_a_lone_cr_into_lf():
    assert clean_document("Headline\rBody") == "Headline\nBody"


def test_clean_document_strips_trailing_spaces_and_tabs_from_every_line():
    assert clean_document("Headline  \nBody\t\nEnd ") == "Headline\nBody\nEnd"


def test_clean_document_keeps_leading_indentation():
    assert clean_document("What We Know\n  • A fact.") == "What We Know\n  • A fact."


# --- content_hash ---------------------------------------------------------------------------------------


def test_content_hash_is_the_same_for_crlf_and_lf():
    assert content_hash("Headline\r\nBody line\r\n") == content_hash("Headline\nBody line\n")


def test_content_hash_is_the_same_with_and_without_a_bom():
    assert content_hash("\ufeffHeadline\nBody line") == content_hash("Headline\nBody line")


def test_content_hash_differs_when_the_words_differ():
    assert content_hash("Revenue rose.") != content_hash("Revenue fell.")


# --- sentences ------------------------------------------------------------------------------------------


def test_sentences_splits_at_a_full_stop_before_a_capital():
    assert sentences("Acme opened a plant. It employs forty people.") == [
        "Acme opened a plant.",
        "It employs forty people.",
    ]


def test_sentences_joins_a_sentence_broken_across_lines():
    assert sentences("Acme opened\na plant in Ohio.") == ["Acme opened a plant in Ohio."]


def test_sentences_keeps_us_intact_before_a_lowercase_word():
    assert sentences("Sales in the U.S. market rose. Exports fell.") == [
        "Sales in the U.S. market rose.",
        "Exports fell.",
    ]


def test_sentences_keeps_corp_intact_before_a_lowercase_word():
    assert sentences("Shares of Acme Corp. rose on Monday. Rivals slipped.") == [
        "Shares of Acme Corp. rose on Monday.",
        "Rivals slipped.",
    ]


def test_sentences_keeps_us_intact_before_a_capitalised_word():
    assert sentences("The U.S. Commerce Department added names. Exports fell.") == [
        "The U.S. Commerce Department added names.",
        "Exports fell.",
    ]


def test_sentences_keeps_corp_intact_before_a_capitalised_word():
    assert sentences("Acme Corp. Chief Executive Ana Ruiz spoke. Rivals slipped.") == [
        "Acme Corp. Chief Executive Ana Ruiz spoke.",
        "Rivals slipped.",
    ]


# --- is_hedged / strip_hedges ---------------------------------------------------------------------------

HEDGED = [
    ("The purchase price is not quantified.", "the purchase price"),
    ("The names of the buyers are not disclosed.", "the names of the buyers"),
    ("The filings do not confirm the closing date.", "the filings the closing date"),
    ("The timeline has not been specified.", "the timeline"),
    ("The size of the order is not disclosed in the available information.", "the size of the order"),
]


@pytest.mark.parametrize("sentence", [s for s, _ in HEDGED])
def test_is_hedged_recognises_a_typical_hedge(sentence):
    assert is_hedged(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Microsoft sells AI models in China.",
        "Revenue reached $600 million in 2026.",
        "The company confirmed the deal on Monday.",
        "The price was disclosed in a filing.",
        "Acme did not sell the unit.",
    ],
)
def test_is_hedged_is_false_for_a_plain_fact(sentence):
    assert not is_hedged(sentence)


def test_is_hedged_reads_a_curly_apostrophe_like_a_straight_one():
    assert is_hedged("The buyers haven\u2019t been disclosed.")


@pytest.mark.parametrize(("sentence", "question"), HEDGED)
def test_strip_hedges_leaves_what_the_hedge_is_about(sentence, question):
    assert strip_hedges(sentence) == question


def test_strip_hedges_keeps_every_word_of_a_plain_fact():
    assert strip_hedges("Revenue reached $600 million.") == "revenue reached $600 million"


# --- split_attribution ----------------------------------------------------------------------------------


def test_split_attribution_separates_a_trailing_according_to():
    assert split_attribution("Revenue rose 4%, according to Reuters.") == (
        "Revenue rose 4%.",
        "according to Reuters",
    )


def test_split_attribution_separates_people_familiar_with():
    said = split_attribution("Revenue hit $600 million, according to people familiar with the figures.")
    assert said == (
        "Revenue hit $600 million.",
        "according to people familiar with the figures",
    )


def test_split_attribution_leaves_an_unattributed_sentence_alone():
    assert split_attribution("Revenue rose 4%.") == ("Revenue rose 4%.", "")


def test_split_attribution_keeps_an_abbreviation_inside_the_source():
    assert split_attribution("Exports fell 3%, according to U.S. officials.") == (
        "Exports fell 3%.",
        "according to U.S. officials",
    )


def test_split_attribution_of_a_leading_source_leaves_no_comma_at_the_start():
    said, _ = split_attribution("According to Reuters, the plant will close.")
    assert not said.startswith(",")


# --- fast paths -----------------------------------------------------------------------------------------
# fold, tidy and split_attribution take shortcuts for the plain ASCII text most briefs are written in;
# they must give exactly what the general path gives.

from hypothesis import example, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kb import text  # noqa: E402

ASCII = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=80)
WORDS = st.lists(
    st.sampled_from(
        [
            "Acme",
            "said",
            "according",
            "to",
            "citing",
            "Reuters",
            "people",
            "familiar",
            "with",
            "the",
            "spokesman",
            "a",
            "survey",
            "by",
            "sources",
            "rose",
            ",",
            ";",
            ".",
            "  ",
            "\t",
            "`",
            "AS",
            "REPORTED",
            "BY",
        ]
    ),
    max_size=14,
).map(" ".join)


def _fold_general(value: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKC", value).translate(text._QUOTES).translate(text._DASHES)
    return text._SPACE.sub(" ", folded).casefold().strip()


@given(ASCII)
def test_fold_of_ascii_text_is_the_general_folding(value):
    assert text.fold(value) == _fold_general(value)


@given(ASCII)
def test_tidy_of_ascii_text_is_the_general_tidying(value):
    assert text.tidy(value) == text._SPACE.sub(" ", text._ZERO_WIDTH.sub("", value)).strip()


@given(st.one_of(ASCII, WORDS))
@example("Acme rose, said a spokeswoman.")
@example("Acme rose, said the spokesperson for the firm.")
@example("Acme fell, according to people familiar with the matter.")
@example("Acme fell, citing Reuters; it later recovered.")
@example("Sales rose, a survey from Gartner shows.")
@example("Prices rose, sources said.")
def test_split_attribution_of_ascii_text_is_what_the_pattern_finds(value):
    found = [m.group(0) for m in text._attribution().finditer(value)]
    said = text._attribution().sub("", value).strip().lstrip(",;: ").strip()
    assert text.split_attribution(value) == (said, " ".join(f.strip(" ,") for f in found))
