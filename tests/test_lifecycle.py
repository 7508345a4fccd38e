"""States and confidence derived from evidence; analyst decisions."""

from __future__ import annotations

import pytest

from kb.errors import DecisionError
from kb.lifecycle import Backing, Inputs, check_decision, combined, derive, words_for


def test_one_source_reports_and_two_independent_sources_corroborate():
    assert derive(Inputs("fact", support=[Backing(1)]))[0] == "reported"
    assert derive(Inputs("fact", support=[Backing(1), Backing(2)]))[0] == "corroborated"


def test_stories_from_the_same_outlet_do_not_corroborate_each_other():
    state, conf, _ = derive(Inputs("fact", support=[Backing(1), Backing(1)]))
    assert state == "reported"
    assert conf == pytest.approx(derive(Inputs("fact", support=[Backing(1)]))[1])


def test_an_official_source_confirms():
    assert derive(Inputs("fact", support=[Backing(1, "A")]))[0] == "confirmed"


def test_reliability_and_caveats_move_confidence():
    plain = combined([Backing(1, "F")])
    assert combined([Backing(1, "B")]) > plain > combined([Backing(1, "E")])
    assert combined([Backing(1, "F", story_weight=0.85)]) < plain


def test_contradiction_disputes_and_doubt_lowers_confidence():
    assert derive(Inputs("fact", support=[Backing(1)], opposition=[Backing(2)]))[0] == "disputed"
    doubted = derive(Inputs("fact", support=[Backing(1)], doubts=[Backing(2)]))
    assert doubted[0] == "reported"
    assert doubted[1] < derive(Inputs("fact", support=[Backing(1)]))[1]


def test_a_question_is_unclear_until_answered_and_disputed_when_answers_conflict():
    assert derive(Inputs("question"))[0] == "unclear"
    assert derive(Inputs("question", answers=[Backing(3)]))[0] == "reported"
    assert derive(Inputs("question", answers=[Backing(3), Backing(4)]))[0] == "corroborated"
    assert (
        derive(Inputs("question", answers=[Backing(3), Backing(4)], answers_conflict=True))[0] == "disputed"
    )


def test_an_analyst_decision_overrides_evidence_but_a_promotion_is_only_a_floor():
    assert derive(Inputs("fact", support=[Backing(1)], analyst_state="refuted"))[0] == "refuted"
    assert derive(Inputs("question", analyst_state="reported"))[0] == "reported"
    both = Inputs("question", answers=[Backing(3), Backing(4)], analyst_state="reported")
    assert derive(both)[0] == "corroborated"


def test_decisions_are_checked_against_the_claim_kind():
    assert check_decision("confirm", "fact") == "confirmed"
    with pytest.raises(DecisionError):
        check_decision("close", "fact")
    with pytest.raises(DecisionError):
        check_decision("promote", "watch")


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.01, "almost no chance"),
        (0.3, "unlikely"),
        (0.5, "roughly even chance"),
        (0.7, "likely"),
        (0.9, "very likely"),
        (0.99, "almost certain"),
    ],
)
def test_confidence_is_shown_with_icd_203_words(p, words):
    assert words_for(p) == words


def test_combined_takes_each_sources_best_story_once():
    one = [Backing(1, "B", 0.85), Backing(1, "B"), Backing(2, "E", 0.85)]
    assert combined(one) == pytest.approx(1 - (1 - 0.8) * (1 - 0.35 * 0.85))
    assert combined(one) == combined(list(reversed(one)))
    assert combined([Backing(3, "Z")]) == combined([Backing(3, "F")])  # an unknown grade counts as F
    assert combined([]) == 0.0


def test_the_views_backing_stays_what_its_evidence_gives():
    from kb.memo import ClaimView

    def fresh(view: ClaimView, cid: int) -> list[Backing]:
        return [Backing(src, view.grades.get(src, "F"), w) for src, w in view.support[cid].items()]

    view = ClaimView()
    view.grades.update({1: "B", 2: "C"})
    view.add_claim(7, "fact", "unverified", "a claim")
    steps = [
        (1, 0.85, "asserts"),  # first source
        (2, 1.0, "supports"),  # a new source: added to the list the view keeps
        (1, 0.85, "supports"),  # the same weight again: nothing changes
        (1, 1.0, "supports"),  # a better story from a known source
        (3, 1.0, "doubts"),  # doubts are not support
        (4, 0.85, "watches"),
    ]
    for source, weight, stance in steps:
        view._own(7)  # (made before each change, so that each change meets a kept list)
        view.add_evidence(7, source, weight, stance)
        assert view._own(7) == fresh(view, 7)
    assert [b.source_id for b in view._own(7)] == [1, 2, 4]
    assert view.doubts[7] == {3: 1.0}
    view.set_grade(2, "A")
    assert view._own(7) == fresh(view, 7) and view._own(7)[1].reliability == "A"
