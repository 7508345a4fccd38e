"""kb.extract mentions and kb.resolve: names found in claim sentences and the entities they resolve to."""

from pathlib import Path

import pytest

from kb.extract import mentions
from kb.parse.brief import read_brief
from kb.resolve import Resolver, alias_key, load_gazetteer, lookup
from kb.settings import gazetteer_paths

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_ee0bf775084476f8.txt"
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="../shared is not beside the project")

JUNK = ("Names", "Coverage", "Details", "Further", "Reported")


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(gazetteer_paths())


@pytest.fixture(scope="module")
def is_alias(gazetteer):
    return Resolver({}, gazetteer).is_alias_key


# --- mentions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("Customers in Chengdu can rent models from Microsoft over the cloud.", "Microsoft"),
        ("The company relies on 21Vianet to run data centres in the country.", "21Vianet"),
        ("Several banks picked GPT-4 for drafting reports.", "GPT-4"),
        ("The models are offered to local firms through Azure.", "Azure"),
        ("Retail chains have started licensing models from OpenAI this year.", "OpenAI"),
    ],
)
def test_mentions_finds_a_known_name(is_alias, sentence, name):
    assert name in mentions(sentence, is_alias)


def test_mentions_splits_us_china_into_two_names(is_alias):
    found = mentions("Investors watch the widening U.S.-China contest over chips.", is_alias)
    assert found == ["U.S.", "China"]


def test_mentions_reads_openai_derived_as_openai(is_alias):
    assert mentions("Retailers are testing OpenAI-derived chatbots.", is_alias) == ["OpenAI"]


def test_mentions_drops_a_possessive(is_alias):
    assert mentions("Microsoft\u2019s cloud unit grew.", is_alias) == ["Microsoft"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Names of the buyers were withheld.",
        "Coverage of the deal has been thin.",
        "Details of the contract emerged on Friday.",
        "Further talks are planned.",
        "Reported sales grew quickly.",
    ],
)
def test_mentions_finds_no_name_in_a_sentence_initial_common_word(is_alias, sentence):
    assert mentions(sentence, is_alias) == []


@needs_seed
def test_mentions_in_the_seed_claims_include_no_sentence_initial_junk(is_alias):
    story = read_brief(SEED.read_text(encoding="utf-8"))
    found = {name for claim in story.claims for name in mentions(claim.text, is_alias)}
    assert found.isdisjoint(JUNK)


def test_mentions_finds_a_new_multiword_name_mid_sentence_as_one_name(is_alias):
    found = mentions("Microsoft signed Lumen Retail Group as a customer last month.", is_alias)
    assert found == ["Microsoft", "Lumen Retail Group"]


def test_mentions_with_title_case_returns_only_known_aliases(is_alias):
    headline = "Lumen Retail Group And Microsoft Sign Cloud Deal In China"
    assert mentions(headline, is_alias, title_case=True) == ["Microsoft", "China"]


def test_mentions_without_title_case_also_returns_new_names_in_a_headline(is_alias):
    headline = "Lumen Retail Group And Microsoft Sign Cloud Deal In China"
    assert "Lumen Retail Group" in mentions(headline, is_alias)


# --- alias_key ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Microsoft Corp.", "microsoft"),
        ("Microsoft\u2019s", "microsoft"),
        ("Microsoft's", "microsoft"),
        ("MICROSOFT", "microsoft"),
        ("VNET Group", "vnet"),
        ("U.S.", "us"),
        ("GPT-4", "gpt4"),
    ],
)
def test_alias_key_folds_case_punctuation_possessives_and_suffixes(name, key):
    assert alias_key(name) == key


def test_alias_key_keeps_a_name_that_is_only_a_suffix():
    assert alias_key("Group") == "group"


# --- Resolver -------------------------------------------------------------------------------------------


def test_resolve_maps_a_gazetteer_alias_to_its_canonical_new_name(gazetteer):
    res = Resolver({}, gazetteer).resolve("VNET Group")
    assert (res.entity_id, res.new_name) == (None, "21Vianet")


def test_resolve_maps_a_gazetteer_alias_to_the_existing_entity_of_its_canonical_name(gazetteer):
    assert Resolver({"21vianet": 7}, gazetteer).resolve("VNET Group").entity_id == 7


def test_resolve_finds_a_known_alias_in_the_index(gazetteer):
    assert Resolver({"microsoft": 1}, gazetteer).resolve("Microsoft Corp.").entity_id == 1


def test_resolve_takes_a_typo_of_a_known_alias_as_that_entity(gazetteer):
    res = Resolver({"microsoft": 1}, gazetteer).resolve("Microsft")
    assert (res.entity_id, res.fuzzy_score is not None) == (1, True)


def test_resolve_takes_a_transposition_typo_of_a_known_alias_as_that_entity(gazetteer):
    assert Resolver({"microsoft": 1}, gazetteer).resolve("Micorsoft").entity_id == 1


def test_resolve_makes_an_unknown_name_a_new_entity(gazetteer):
    res = Resolver({"microsoft": 1}, gazetteer).resolve("Zephyr Labs")
    assert (res.entity_id, res.new_name) == (None, "Zephyr Labs")


def test_resolve_does_not_fuzz_a_name_shorter_than_six_letters():
    # One edit away from "msofts", but too short to judge: the length guard must stop it.
    assert Resolver({"msofts": 1}, {}, edits=2).resolve("Msoft").entity_id is None


def test_resolve_fuzzes_a_six_letter_name_within_the_allowed_edits():
    assert Resolver({"msofts": 1}, {}, edits=1).resolve("Msoftz").entity_id == 1
    assert Resolver({"msofts": 1}, {}, edits=0).resolve("Msoftz").entity_id is None


# --- lookup ---------------------------------------------------------------------------------------------

ALIASES = [
    (1, "microsoft", "Microsoft"),
    (1, "msft", "MSFT"),
    (2, "21vianet", "21Vianet"),
    (2, "vnet", "VNET Group"),
    (3, "qingshan motors", "Qingshan Motors"),
    (4, "qingdao motors", "Qingdao Motors"),
]
NAMES = {1: "Microsoft", 2: "21Vianet", 3: "Qingshan Motors", 4: "Qingdao Motors"}


def test_lookup_finds_an_entity_by_any_alias():
    assert lookup("VNET Group", ALIASES, NAMES).entity_id == 2


def test_lookup_tolerates_a_typo():
    assert lookup("Mircosoft", ALIASES, NAMES).entity_id == 1


def test_lookup_suggests_close_names_when_two_match_about_as_well():
    found = lookup("Qing Motors", ALIASES, NAMES)
    assert (found.entity_id, sorted(found.suggestions)) == (None, ["Qingdao Motors", "Qingshan Motors"])


def test_lookup_returns_no_entity_and_no_suggestions_for_a_name_like_nothing():
    found = lookup("Zebra Holdings", ALIASES, NAMES)
    assert (found.entity_id, found.suggestions) == (None, [])


def test_fuzzy_lookup_prefilter_finds_exactly_what_a_full_scan_finds():
    # kb.resolve scans alias keys by plain Levenshtein distance first (faster) and scores only those
    # within twice the allowed edits; it must return what a Damerau-Levenshtein scan returns, in order.
    import random

    from rapidfuzz import process
    from rapidfuzz.distance import DamerauLevenshtein

    from kb.resolve import _closest

    rng = random.Random(3)
    for _ in range(400):
        keys = ["".join(rng.choices("abcde ", k=rng.randint(5, 9))) for _ in range(60)]
        key = "".join(rng.choices("abcde ", k=rng.randint(5, 9)))
        for edits, limit in ((1, 5), (2, 5), (3, 1)):
            full = process.extract(
                key, keys, scorer=DamerauLevenshtein.distance, score_cutoff=edits, limit=limit
            )
            assert _closest(key, keys, edits, limit) == [(k, int(d), i) for k, d, i in full]
