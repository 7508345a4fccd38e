"""Promotion, corroboration and contradiction through the real pipeline, on both databases."""

from __future__ import annotations

from helpers import brief

from kb import match, pipeline
from kb.settings import Thresholds

FACT = "Microsoft sells OpenAI models to customers in China through Azure."
REVENUE_Q = "The revenue of Microsoft’s AI model sales in China is not disclosed."
ANTHROPIC_Q = "Whether Microsoft will offer Anthropic models in China is not confirmed."
BASE = brief(
    "Microsoft widens AI sales in China",
    "Harbor Desk",
    "2026-06-18",
    known=[FACT, "Microsoft relies on 21Vianet to meet Chinese data rules."],
    unclear=[REVENUE_Q, ANTHROPIC_Q],
    watch=["Any change in Microsoft’s partnership with 21Vianet."],
)


def claim(store, text):  # type: ignore[no-untyped-def]
    return next(c for c in store.claim_rows() if c["text"] == text)


def follow_up(outlet, *known, unclear=(), day="2026-06-25"):  # type: ignore[no-untyped-def]
    return brief(f"Follow-up from {outlet}", outlet, day, known=list(known), unclear=list(unclear))


def test_a_figure_about_the_question_promotes_it_with_the_answer_on_record(store, ingest):
    ingest(BASE)
    answer = "Microsoft’s AI model sales in China brought in about $450 million in revenue last year."
    result = ingest(follow_up("Ledger Two", answer))
    question = claim(store, REVENUE_Q)
    assert question["state"] == "reported"
    assert question["answered_by"] == [claim(store, answer)["id"]]
    assert [c.action for c in result.changes if c.claim_id == question["id"]] == ["promoted"]
    history = store.claim_detail(question["id"])["history"]
    assert history[-1]["action"] == "promoted"
    assert history[-1]["cause"]["title"] == "Follow-up from Ledger Two"
    assert history[-1]["at_published"].startswith("2026-06-25")


def test_a_figure_about_something_else_promotes_nothing(store, ingest):
    ingest(BASE)
    ingest(
        follow_up(
            "Ledger Two",
            "Microsoft reported $70 billion in quarterly cloud revenue worldwide.",
            "Microsoft will spend $3 billion on a data centre in Sweden.",
        )
    )
    assert claim(store, REVENUE_Q)["state"] == "unclear"
    assert claim(store, ANTHROPIC_Q)["state"] == "unclear"
    assert store.suggestion_rows() == [] or all(
        s["score"] < Thresholds().auto for s in store.suggestion_rows()
    )


def test_a_yes_no_question_is_settled_by_a_statement_on_its_point(store, ingest):
    ingest(BASE)
    ingest(follow_up("Ledger Two", "Microsoft will offer Anthropic models in China from next year."))
    assert claim(store, ANTHROPIC_Q)["state"] == "reported"
    assert claim(store, REVENUE_Q)["state"] == "unclear"


def test_an_independent_outlet_repeating_a_fact_corroborates_it(store, ingest):
    ingest(BASE)
    ingest(follow_up("Ledger Two", "Microsoft sells OpenAI models through Azure to Chinese customers."))
    fact = claim(store, FACT)
    assert fact["state"] == "corroborated"
    assert {s["publisher"] for s in fact["sources"]} == {"Harbor Desk", "Ledger Two"}


def test_the_same_outlet_repeating_itself_does_not_corroborate(store, ingest):
    ingest(BASE)
    ingest(follow_up("Harbor Desk", "Microsoft sells OpenAI models through Azure to Chinese customers."))
    fact = claim(store, FACT)
    assert fact["state"] == "reported"
    assert len(fact["sources"]) == 2


def test_a_denial_disputes_both_claims(store, ingest):
    ingest(BASE)
    denial = "Microsoft does not sell OpenAI models to customers in China through Azure."
    ingest(follow_up("Ledger Two", denial))
    assert claim(store, FACT)["state"] == "disputed"
    assert claim(store, denial)["state"] == "disputed"


def test_a_question_arriving_after_its_answer_is_promoted_on_arrival(store, ingest):
    ingest(
        follow_up(
            "Ledger Two", "Microsoft will offer Anthropic models in China from next year.", day="2026-06-10"
        )
    )
    ingest(BASE)
    assert claim(store, ANTHROPIC_Q)["state"] == "reported"


def test_a_later_brief_listing_a_known_fact_as_unclear_lowers_its_confidence(store, ingest):
    ingest(BASE)
    before = claim(store, FACT)["confidence"]
    ingest(
        follow_up(
            "Ledger Two",
            unclear=[
                "Whether Microsoft sells OpenAI models to customers in China through Azure is not confirmed."
            ],
        )
    )
    after = claim(store, FACT)
    assert after["state"] == "reported"
    assert after["confidence"] < before


def test_an_official_source_confirms_the_answer(store, ingest):
    ingest(BASE)
    ingest(
        follow_up("Commerce Gazette", "Microsoft will offer Anthropic models in China from next year."),
        reliability="A",
    )
    assert claim(store, ANTHROPIC_Q)["state"] == "confirmed"


def test_middling_scores_wait_for_review_and_accepting_promotes(store, ingest):
    ingest(BASE)
    answer = "Microsoft’s AI model sales in China brought in about $450 million in revenue last year."
    ingest(follow_up("Ledger Two", answer), thresholds=Thresholds(auto=1.01, suggest=0.3))
    question = claim(store, REVENUE_Q)
    assert question["state"] == "unclear"
    suggestion = next(s for s in store.suggestion_rows() if s["claim_id"] == question["id"])
    assert set(suggestion) >= {"id", "kind", "claim_id", "other_claim_id", "score", "reason"}
    pipeline.review(store, suggestion["id"], accept=True, because="checked the filing", analyst="ana")
    assert claim(store, REVENUE_Q)["state"] == "reported"
    assert not [s for s in store.suggestion_rows() if s["id"] == suggestion["id"]]


def test_a_rejected_suggestion_is_reversed_and_not_suggested_again(store, ingest):
    ingest(BASE)
    answer = "Microsoft’s AI model sales in China brought in about $450 million in revenue last year."
    strict = Thresholds(auto=1.01, suggest=0.3)
    ingest(follow_up("Ledger Two", answer), thresholds=strict)
    question = claim(store, REVENUE_Q)
    link = next(s for s in store.suggestion_rows() if s["claim_id"] == question["id"])
    pipeline.review(store, link["id"], accept=True, analyst="ana")
    pipeline.review(store, link["id"], accept=False, because="figure is for Asia", analyst="ana")
    assert claim(store, REVENUE_Q)["state"] == "unclear"
    ingest(follow_up("Third Wire", answer, day="2026-06-26"), thresholds=strict)
    assert not [s for s in store.suggestion_rows() if s["claim_id"] == question["id"]]
    actions = [h["action"] for h in store.claim_detail(question["id"])["history"]]
    assert actions == ["created", "promoted", "reopened"]


def test_analyst_decisions_are_events_and_a_later_decision_reverses_an_earlier_one(store, ingest):
    ingest(BASE)
    fact = claim(store, FACT)
    pipeline.decide(store, fact["id"], "confirm", "company filing", analyst="ana")
    assert claim(store, FACT)["state"] == "confirmed"
    pipeline.decide(store, fact["id"], "reopen", "filing withdrawn", analyst="ana")
    assert claim(store, FACT)["state"] == "reported"
    history = store.claim_detail(fact["id"])["history"]
    assert [h["action"] for h in history] == ["created", "confirmed", "reported"]
    assert history[1]["cause"]["analyst"] == "ana"
    assert history[1]["cause"]["reason"].startswith("confirm: company filing")


def test_thresholds_decide_between_acting_and_suggesting(store, ingest):
    ingest(BASE)
    answer = "Microsoft will offer Anthropic models in China from next year."
    ingest(follow_up("Ledger Two", answer), thresholds=Thresholds(auto=1.01, suggest=1.005))
    assert claim(store, ANTHROPIC_Q)["state"] == "unclear"
    assert store.suggestion_rows() == []


def test_ingest_scores_the_same_candidates_however_many_unrelated_claims_the_kb_holds(
    store, ingest, monkeypatch
):
    calls = []
    real = match.best_match
    monkeypatch.setattr(match, "best_match", lambda *a, **k: calls.append(1) or real(*a, **k))
    ingest(BASE)
    ingest(follow_up("Ledger Two", "Microsoft will offer Anthropic models in China from next year."))
    with_small_kb = len(calls)
    for i in range(40):
        ingest(
            brief(
                f"Harbour works {i}",
                f"Port Weekly {i}",
                "2026-05-01",
                known=[f"Rotterdam Harbour Board {i} approved a new quay for Maersk vessels."],
                unclear=[f"Whether Maersk Line {i} will use the quay is not confirmed."],
            ),
            f"u{i}.txt",
        )
    calls.clear()
    ingest(
        follow_up(
            "Third Wire", "Microsoft will offer Anthropic models in China from next year.", day="2026-06-26"
        )
    )
    assert len(calls) <= with_small_kb


def test_repeats_about_different_entities_wait_for_an_analyst(store, ingest):
    ingest(BASE)
    ingest(follow_up("Ledger Two", "Microsoft employs thousands of staff in Singapore and Canada."))
    ingest(
        follow_up(
            "Third Wire", "Microsoft employs thousands of staff in Canada and Germany.", day="2026-06-26"
        )
    )
    first = claim(store, "Microsoft employs thousands of staff in Singapore and Canada.")
    assert first["state"] == "reported"
    assert any(s["claim_id"] == first["id"] and s["kind"] == "same_as" for s in store.suggestion_rows())
