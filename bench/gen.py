"""A deterministic generator of realistic news-brief corpora of any size, for kb's benchmarks.

Each story is a sectioned brief in the layout of data/corpus/2026-06-18-seed-recap.txt ("Illustrative
photo for:", "Published", "Summary:", "What We Know", "What’s Still Unclear", "What to Watch Next",
optional FAQ, "Source Transparency", "Discover more from OUTLET"), with about 15 claims.

What makes it realistic enough to benchmark matching at scale:

- a long tail of invented entities (thousands of companies, products, people and regulators built from
  syllables: "Varnex Systems", "Q-Lumen 3", "Dara Kovelski"), mentioned under aliases ("Varnex Systems
  Inc.", "Varnex Systems Group"), now and then misspelt ("Varenx Systems") or with a ticker;
- skewed entity frequencies, as in real news: one head company is the subject of about half the storylines (so
  it is named in about a third of all claims), the others follow a Zipf law, and outlets do too;
- storylines: about half the stories follow up an earlier one and repeat its facts (verbatim or
  paraphrased), answer its open questions (a figure, a name, a date, a reaction), or contradict it (the
  opposite polarity or a conflicting figure), from the same outlet or another one;
- hundreds of outlets, so repeats from independent outlets corroborate;
- dates that advance with the story index (`per_day` stories a day; the default 60 spreads 100k stories
  over about four and a half years), so that story i is the same whatever n is: `generate(n)` is a prefix
  of `generate(n + m)`.

No network, no clock: everything comes from one seeded `random.Random`.

    python bench/gen.py 1000 /tmp/corpus --seed 0

    from bench.gen import generate            # (name, text) pairs
    from bench.gen import stories             # texts only; parse with kb.parse.brief.read_brief
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import random
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

START = date(2022, 1, 3)
PER_DAY = 60.0
HEAD_SHARE = 0.6  # storylines about the head company; it ends up named in about a third of all claims

# ----------------------------------------------------------------------------------- vocabulary

_ONSETS = (
    "b c d f g h j k l m n p r s t v z br cr dr fr gr kr pr tr st sk sp str th ch sh qu v k t m n l r z"
).split()
_VOWELS = "a e i o u a e i o a e y ae ia io ea ou ai".split()
_CODAS = [""] * 8 + "n r l x s m th nd rk st v nt rn sk".split()
_LEGAL = ["Inc.", "Corp.", "Group", "Holdings", "Ltd", "Co."]
_COMPANY_WORDS = {
    "cloud": ["Systems", "Cloud", "Networks", "Data", "Software", "Technologies"],
    "chips": ["Semiconductor", "Microsystems", "Silicon", "Devices"],
    "energy": ["Energy", "Power", "Renewables", "Grid"],
    "health": ["Health", "Pharma", "Bio", "Therapeutics", "Medical"],
    "auto": ["Motors", "Mobility", "Automotive"],
    "retail": ["Retail", "Stores", "Brands", "Foods"],
    "finance": ["Financial", "Payments", "Bank", "Capital"],
    "telecom": ["Telecom", "Communications", "Mobile"],
    "media": ["Media", "Studios", "Games", "Entertainment"],
    "logistics": ["Logistics", "Freight", "Shipping"],
    "aerospace": ["Aerospace", "Space", "Aviation"],
    "security": ["Security", "Defense", "Cyber"],
}
_NOUNS = {
    "cloud": ["cloud storage", "AI models", "data centres", "database software", "cloud services"],
    "chips": ["memory chips", "graphics processors", "chip packaging", "power chips", "sensors"],
    "energy": ["battery cells", "solar panels", "grid storage", "wind turbines", "hydrogen electrolysers"],
    "health": ["diagnostic tests", "vaccines", "clinical software", "hearing aids", "insulin pumps"],
    "auto": ["electric vans", "charging stations", "driver-assistance software", "electric buses"],
    "retail": ["grocery delivery", "payment terminals", "frozen foods", "store-brand goods"],
    "finance": ["consumer loans", "payment processing", "wealth management", "small-business credit"],
    "telecom": ["fibre broadband", "mobile networks", "satellite links", "undersea cables"],
    "media": ["video streaming", "online advertising", "mobile games", "music licensing"],
    "logistics": ["parcel delivery", "cold-chain storage", "container shipping", "warehouse robots"],
    "aerospace": ["satellite launches", "regional jets", "drone inspections", "jet engines"],
    "security": ["threat detection", "identity software", "border scanners", "encrypted messaging"],
}
_FACILITIES = {
    "cloud": "data centre",
    "chips": "chip plant",
    "energy": "battery factory",
    "health": "research campus",
    "auto": "assembly plant",
    "retail": "distribution centre",
    "finance": "operations hub",
    "telecom": "network operations centre",
    "media": "production studio",
    "logistics": "sorting hub",
    "aerospace": "engine plant",
    "security": "research centre",
}
_COUNTRIES = [
    ("China", "Chinese"),
    ("the United States", "American"),
    ("Germany", "German"),
    ("France", "French"),
    ("Japan", "Japanese"),
    ("India", "Indian"),
    ("Brazil", "Brazilian"),
    ("Canada", "Canadian"),
    ("Mexico", "Mexican"),
    ("Spain", "Spanish"),
    ("Italy", "Italian"),
    ("Poland", "Polish"),
    ("Sweden", "Swedish"),
    ("Norway", "Norwegian"),
    ("Denmark", "Danish"),
    ("the Netherlands", "Dutch"),
    ("Singapore", "Singaporean"),
    ("Indonesia", "Indonesian"),
    ("Vietnam", "Vietnamese"),
    ("Thailand", "Thai"),
    ("Australia", "Australian"),
    ("South Korea", "South Korean"),
    ("Taiwan", "Taiwanese"),
    ("Turkey", "Turkish"),
    ("Egypt", "Egyptian"),
    ("Nigeria", "Nigerian"),
    ("Kenya", "Kenyan"),
    ("South Africa", "South African"),
    ("Chile", "Chilean"),
    ("Argentina", "Argentine"),
    ("Colombia", "Colombian"),
    ("Saudi Arabia", "Saudi"),
    ("Ireland", "Irish"),
    ("Portugal", "Portuguese"),
    ("Finland", "Finnish"),
    ("Austria", "Austrian"),
]
_BODIES = [
    "Competition Authority",
    "Data Protection Board",
    "Securities Commission",
    "Telecoms Regulator",
    "Energy Agency",
    "Medicines Agency",
]
_OUTLET_A = (
    "Harbor Lane Pacific Ledger Northgate Riverside Summit Meridian Granite Lantern Beacon Copper Silver "
    "Cedar Atlas Harbour Compass Quarry Anchor Orchard Tidewater Ironwood Highland Lakeshore Prairie "
    "Crescent Westbrook Eastgate Foundry Capital Union Frontier Keystone Bayside Redwood Bluewater Mill"
).split()
_OUTLET_B = "Dispatch Review Ledger Wire Times Chronicle Observer Post Herald Journal Report Bulletin".split()
_OUTLET_C = ["", "", "", "Daily", "Weekly", "Business", "Tech", "Markets", "Policy"]
_MONTHS = ("January February March April May June July August September October November December").split()
_ROLES = ["chief executive", "chief financial officer", "president", "chief technology officer"]
_TRANSPARENCY = [
    "Where available, links to sources appear in the Sources section.",
    "Key points were checked against openly available sources; anything still uncertain is flagged.",
    "This brief was assembled from public filings and earlier coverage.",
    "Figures in this brief are as reported and have not been independently verified by us.",
    "Quotes are taken from published statements.",
]
_PRELIMINARY = "This recap draws on a short preliminary brief, so details that surface later may be missing."

# ------------------------------------------------------------------------------------- templates
# Slots: {A} the storyline's company, {B} its counterparty, {T} {U} other (long-tail) companies, {P} A's
# product, {X} A's executive, {Y} an analyst, {K} a bank, {R} a regulator, {C} {D} countries, {N} {M}
# sector nouns, {F} a facility, {$} {$2} sums, {%} a share, {#} a count, {@} a date. "’s" is the possessive.
# A fact is (statement, paraphrase, negation); a question is (question, answer, conflicting answer | "").

TOPICS: dict[str, dict] = {
    "acquisition": {
        "titles": [
            "{A} Agrees to Buy {B}",
            "{A} Moves to Acquire {B} in {N} Push",
            "{A} Bets on {N} With {B} Deal",
        ],
        "facts": [
            (
                "{A} agreed to acquire {B}, a maker of {N}, in a deal announced this week.",
                "{A} has agreed to buy {B}, which makes {N}.",
                "{A} has not agreed to acquire {B}, the companies said.",
            ),
            (
                "The acquisition of {B} still needs approval from the {R}.",
                "The {R} must approve {A}’s purchase of {B}.",
                "The acquisition of {B} does not need approval from the {R}.",
            ),
            (
                "{X}, {role} of {A}, said the acquisition would expand its {N} business in {C}.",
                "The purchase of {B} will expand {A}’s {N} business in {C}, {X} said.",
                "",
            ),
            (
                "{B} supplies {N} to several of {A}’s competitors in {C}.",
                "Several of {A}’s rivals in {C} buy {N} from {B}.",
                "",
            ),
        ],
        "questions": [
            (
                "The price {A} will pay for {B} is not disclosed.",
                "{A} will pay {$} for {B}, according to a regulatory filing.",
                "{A} will pay {$2} for {B}, according to people familiar with the deal.",
            ),
            (
                "When the {R} will rule on the acquisition is unclear.",
                "The {R} said it would rule on the acquisition of {B} by {@}.",
                "",
            ),
            (
                "Whether {B}’s founders will stay after the acquisition is not confirmed.",
                "{B}’s founders will stay after the acquisition, {A} said.",
                "",
            ),
            (
                "How many {B} employees will move to {A} is not disclosed.",
                "About {#} {B} employees will move to {A} under the acquisition.",
                "",
            ),
        ],
        "watch": [
            "A ruling by the {R} on the acquisition of {B}.",
            "Any rival bid for {B} from other makers of {N}.",
            "Reactions from {B}’s largest customers in {C}.",
        ],
    },
    "launch": {
        "titles": ["{A} Launches {P} for Business Customers", "{A} Unveils {P} as {N} Race Heats Up"],
        "facts": [
            (
                "{A} launched {P}, a new line of {N}, for business customers in {C}.",
                "{A} has started selling {P}, its new {N} line, to business customers in {C}.",
                "{A} has not launched {P} for business customers in {C}.",
            ),
            (
                "{P} is built on {N} supplied by {B}.",
                "{B} supplies the {N} on which {P} is built.",
                "{P} is not built on {N} from {B}.",
            ),
            (
                "{A} says {P} cuts energy use compared with its previous {N}.",
                "According to {A}, {P} uses less energy than its earlier {N}.",
                "",
            ),
            (
                "Early customers of {P} include {T}, according to {A}.",
                "{T} is among the first customers of {P}.",
                "",
            ),
        ],
        "questions": [
            (
                "How many customers have signed up for {P} is not disclosed.",
                "{P} has signed up {#} business customers since its launch, {A} said.",
                "{P} has signed up {#2} business customers since its launch, {A} said.",
            ),
            (
                "The price of {P} is not specified.",
                "{A} charges {$} a year for {P}.",
                "{A} charges {$2} a year for {P}, according to a price list.",
            ),
            (
                "Whether {A} will sell {P} outside {C} is unclear.",
                "{A} will sell {P} outside {C} from next year.",
                "",
            ),
        ],
        "watch": [
            "Sales figures for {P} in {A}’s next quarterly report.",
            "Responses from rival makers of {N} to {P}.",
            "Whether {P} reaches customers outside {C}.",
        ],
    },
    "probe": {
        "titles": ["{R} Investigates {A} Over Customer Data", "{A} Faces {R} Inquiry"],
        "facts": [
            (
                "The {R} opened an investigation into {A}’s handling of customer data.",
                "{A}’s handling of customer data is under investigation by the {R}.",
                "The {R} has not opened an investigation into {A}’s handling of customer data.",
            ),
            (
                "The investigation concerns {A}’s {N} business in {C}.",
                "The {R} inquiry focuses on {A}’s {N} operations in {C}.",
                "",
            ),
            (
                "{A} stored customer data from {C} on servers run by {B}.",
                "Servers run by {B} held {A}’s customer data from {C}.",
                "{A} did not store customer data from {C} on servers run by {B}.",
            ),
        ],
        "questions": [
            (
                "Whether the {R} will fine {A} is not known.",
                "The {R} fined {A} {$} over its handling of customer data.",
                "The {R} fined {A} {$2} over its handling of customer data, according to the decision.",
            ),
            (
                "How {A} will respond to the investigation is unclear.",
                "{A} said it would cooperate fully with the {R} investigation.",
                "",
            ),
            (
                "When the investigation will conclude is not disclosed.",
                "The {R} expects to conclude its investigation into {A} by {@}.",
                "",
            ),
        ],
        "watch": [
            "A decision by the {R} on {A}’s handling of customer data.",
            "Whether regulators in {D} open similar investigations into {A}.",
        ],
    },
    "partnership": {
        "titles": ["{A} Teams Up With {B} on {N} in {C}", "{A} and {B} Sign {N} Partnership"],
        "facts": [
            (
                "{A} is working with {B} to supply {N} to customers in {C}.",
                "{A} and {B} have teamed up to supply {N} in {C}.",
                "{A} is not working with {B} to supply {N} in {C}.",
            ),
            (
                "The partnership helps {A} meet local data rules in {C}.",
                "Working with {B} lets {A} comply with data rules in {C}.",
                "",
            ),
            (
                "{B} will run the {F} that hosts the service in {C}.",
                "The service in {C} is hosted in a {F} run by {B}.",
                "{B} will not run the {F} that hosts the service in {C}.",
            ),
        ],
        "questions": [
            (
                "The identities of partners other than {B} are not disclosed.",
                "{A} also works with {T} and {U} to supply {N} in {C}.",
                "",
            ),
            (
                "The value of the partnership between {A} and {B} is not quantified.",
                "The partnership between {A} and {B} is worth {$} over five years.",
                "The partnership between {A} and {B} is worth {$2} over five years, {B} said.",
            ),
            (
                "Whether the partnership needs approval from the {R} is unclear.",
                "The {R} approved the partnership between {A} and {B}.",
                "",
            ),
        ],
        "watch": [
            "Any change to the terms of the partnership between {A} and {B}.",
            "Whether {A} signs similar partnerships outside {C}.",
        ],
    },
    "earnings": {
        "titles": ["{A} Reports Growth in {N}", "{A} Results Show {N} Momentum"],
        "facts": [
            (
                "{A}’s revenue from {N} grew in the latest quarter.",
                "{A} reported growing revenue from its {N} business in the latest quarter.",
                "{A}’s revenue from {N} did not grow in the latest quarter.",
            ),
            (
                "{A} raised its forecast for {M} demand this year.",
                "{A} now expects stronger demand for {M} this year.",
                "{A} did not raise its forecast for {M} demand this year.",
            ),
            (
                "{X}, {role} of {A}, said price cuts by {T} hurt margins in {C}.",
                "Margins in {C} suffered from price cuts by {T}, {X} said.",
                "",
            ),
        ],
        "questions": [
            (
                "The size of {A}’s {N} business is not quantified.",
                "{A}’s {N} business generated revenue of {$} last year.",
                "{A}’s {N} business generated revenue of {$2} last year, according to analysts at {K}.",
            ),
            (
                "{A}’s market share in {C} is not disclosed.",
                "{A} holds about {%} of the market for {N} in {C}, according to analysts at {K}.",
                "{A} holds about {%2} of the market for {N} in {C}.",
            ),
        ],
        "watch": [
            "{A}’s next quarterly results and any guidance on demand for {N}.",
            "Price moves by {T} in {C}.",
        ],
    },
    "layoffs": {
        "titles": ["{A} Plans Job Cuts in {C}", "{A} to Shrink {N} Unit"],
        "facts": [
            (
                "{A} plans to cut jobs at its {N} unit in {C}.",
                "{A} is preparing job cuts in its {N} unit in {C}.",
                "{A} does not plan to cut jobs at its {N} unit in {C}.",
            ),
            (
                "The cuts follow weaker demand for {N} from customers such as {T}.",
                "Customers such as {T} have ordered fewer {N}, prompting the cuts.",
                "",
            ),
            (
                "{A} will move some {N} work to {D}.",
                "Part of {A}’s {N} work is moving to {D}.",
                "{A} will not move {N} work to {D}.",
            ),
        ],
        "questions": [
            (
                "How many jobs {A} will cut is not disclosed.",
                "{A} will cut {#} jobs at its {N} unit in {C}.",
                "{A} will cut {#2} jobs at its {N} unit in {C}, according to a union.",
            ),
            (
                "The timing of the job cuts is unclear.",
                "The job cuts at {A} will take effect by {@}.",
                "",
            ),
        ],
        "watch": [
            "Reactions from unions representing {A} workers in {C}.",
            "Whether {A} sells its {N} unit.",
        ],
    },
    "lawsuit": {
        "titles": ["{B} Sues {A} Over {N} Patents", "{A} Hit With Patent Suit From {B}"],
        "facts": [
            (
                "{B} sued {A} over alleged infringement of its patents on {N}.",
                "{B} has filed a lawsuit accusing {A} of infringing its patents on {N}.",
                "{B} has not sued {A} over its patents on {N}.",
            ),
            (
                "The case was filed in a federal court in {C}.",
                "The lawsuit against {A} was lodged in a court in {C}.",
                "",
            ),
            (
                "{A} denies infringing any patents held by {B}.",
                "{A} rejects the claim that it infringed patents held by {B}.",
                "",
            ),
        ],
        "questions": [
            (
                "The damages {B} is seeking are not specified.",
                "{B} is seeking damages of {$} from {A}.",
                "{B} is seeking damages of {$2} from {A}, according to the complaint.",
            ),
            (
                "Whether {A} will appeal is unclear.",
                "{A} will appeal the ruling in the patent case brought by {B}.",
                "",
            ),
            (
                "When the court will hear the case is not known.",
                "The court will hear the case against {A} on {@}.",
                "",
            ),
        ],
        "watch": [
            "A court date in the patent case between {B} and {A}.",
            "Any settlement talks between {A} and {B}.",
        ],
    },
    "executive": {
        "titles": ["{A} Names {X} Chief Executive", "{X} to Lead {A}"],
        "facts": [
            (
                "{A} named {X} as its new chief executive.",
                "{X} has been appointed chief executive of {A}.",
                "{A} has not named {X} as its chief executive.",
            ),
            (
                "{X} previously ran the {N} business at {T}.",
                "Before joining {A}, {X} led {T}’s {N} business.",
                "",
            ),
            (
                "Investors in {A} have pushed for faster growth in {N}.",
                "Shareholders of {A} want quicker growth in {N}.",
                "",
            ),
        ],
        "questions": [
            (
                "Whether {X} will keep {A}’s strategy in {N} is not confirmed.",
                "{X} will keep {A}’s strategy in {N}, the company said.",
                "",
            ),
            (
                "When {X} will take over is not specified.",
                "{X} will take over as chief executive of {A} on {@}.",
                "",
            ),
            (
                "The pay package offered to {X} is not disclosed.",
                "{A} will pay {X} a package worth {$} a year.",
                "{A} will pay {X} a package worth {$2} a year, according to a filing.",
            ),
        ],
        "watch": [
            "Changes to {A}’s leadership team under {X}.",
            "The first strategy update from {X} at {A}.",
        ],
    },
    "breach": {
        "titles": ["{A} Discloses Data Breach at {P}", "Breach at {A} Exposes {P} Customers"],
        "facts": [
            (
                "{A} disclosed a data breach affecting customers of {P}.",
                "A breach of {A}’s systems exposed data belonging to customers of {P}.",
                "{A} has not disclosed a data breach affecting customers of {P}.",
            ),
            (
                "The attackers entered through software supplied by {B}.",
                "Software from {B} gave the attackers their way in.",
                "The attackers did not enter through software supplied by {B}.",
            ),
            ("{A} hired {T} to investigate the breach.", "{T} is investigating the breach for {A}.", ""),
        ],
        "questions": [
            (
                "How many customers were affected by the breach is not known.",
                "The breach at {A} affected about {#} customers of {P}.",
                "The breach at {A} affected about {#2} customers of {P}, according to the {R}.",
            ),
            (
                "Whether the {R} will investigate the breach is unclear.",
                "The {R} opened an inquiry into the breach at {A}.",
                "",
            ),
            (
                "How {B} will respond to the breach is not known.",
                "{B} said it had patched the software flaw used in the breach at {A}.",
                "",
            ),
        ],
        "watch": [
            "Whether the {R} opens an inquiry into the breach at {A}.",
            "Lawsuits from customers of {P}.",
        ],
    },
    "investment": {
        "titles": ["{A} Plans New {F} in {C}", "{A} Expands in {C} With {F}"],
        "facts": [
            (
                "{A} plans to build a new {F} in {C}.",
                "{A} is planning a new {F} in {C}.",
                "{A} does not plan to build a {F} in {C}.",
            ),
            (
                "The {F} will produce {N} for customers including {B}.",
                "{B} will be among the customers of the {N} made at the new {F}.",
                "",
            ),
            (
                "Officials in {C} offered {A} tax breaks for the project.",
                "{A} was offered tax breaks by officials in {C} for the project.",
                "{A} was not offered tax breaks for the project in {C}.",
            ),
        ],
        "questions": [
            (
                "The cost of {A}’s new {F} in {C} is not disclosed.",
                "{A} will invest {$} in the new {F} in {C}.",
                "{A} will invest {$2} in the new {F} in {C}, according to local officials.",
            ),
            ("When the {F} will open is not specified.", "The new {F} in {C} is due to open by {@}.", ""),
            (
                "How many people the {F} will employ is not disclosed.",
                "The {F} in {C} will employ about {#} people.",
                "",
            ),
        ],
        "watch": [
            "Permits for the {F} from authorities in {C}.",
            "Whether rivals such as {T} build plants in {C}.",
        ],
    },
}
TOPIC_NAMES = sorted(TOPICS)

# Long-tail filler: facts, questions and watch items about other companies, analysts and markets.
FILLER_FACTS = [
    "{T}, a smaller rival based in {D}, said demand for {N} remained strong.",
    "Analysts at {K} expect spending on {N} to rise this year.",
    "{T} and {U} announced a similar arrangement in {D} last year.",
    "Shares of {A} rose after the announcement.",
    "Shares of {A} fell in early trading after the news.",
    "{Y}, an analyst at {K}, said the move puts pressure on {T}.",
    "{T} supplies {M} to several of {A}’s competitors.",
    "Prices for {N} in {C} have fallen for three straight quarters.",
    "The {R} tightened its rules on {N} earlier this year.",
    "{T} opened an office in {D} to sell {M} to local customers.",
    "{U} cut prices on its {M} in {C} last month.",
    "{A} competes with {T} and {U} for contracts in {C}.",
    "Local rivals such as {T} have gained share in {N}.",
    "{Y} of {K} called the market for {N} in {C} crowded.",
    "{T} said it would double its spending on {M} over the next two years.",
    "{A} employs thousands of staff in {C} and {D}.",
    "{A} has expanded its {M} business over the past two years.",
    "{A} counts {T} among its largest customers in {C}.",
    "{A} declined to comment beyond its statement.",
    "{A} has faced criticism in {D} over its {M} prices.",
]
FILLER_QUESTIONS = [
    "Whether {T} will follow with its own plans for {N} is unclear.",
    "How the {R} views the market for {N} is not known.",
    "The response of {A}’s customers in {C} is not yet clear.",
    "Whether {U} will bid for contracts in {C} is not confirmed.",
    "Whether {A} will expand its {M} business to {D} is not known.",
    "How {A} will fund its plans in {N} is not disclosed.",
]
FILLER_WATCH = [
    "Moves by {T} in the market for {N}.",
    "New rules on {N} from the {R}.",
    "Statements from {A}’s largest customers in {C}.",
    "Quarterly figures from {U} on demand for {M}.",
    "Comments from {A} executives at the next investor day.",
    "{A}’s plans for {M} in {D}.",
]
CONTEXT = [
    "Companies selling {N} in {C} face rising costs and tighter rules.",
    "Demand for {N} has grown quickly as businesses modernise their operations.",
    "Regulators in several countries have stepped up scrutiny of the {N} market.",
    "Competition in {N} is intense, with larger players buying smaller specialists.",
    "Local partners often help foreign companies meet rules on data and ownership.",
]
WHY = [
    "The move could reshape competition in {N} and affect prices for customers in {C}.",
    "It shows how companies are adjusting their strategies as the market for {N} matures.",
    "The outcome will shape how regulators treat similar deals and partnerships.",
]
SUMMARY = [
    "{A} is at the centre of new developments in {N} in {C}, with questions remaining over the details.",
    "New reporting sheds light on {A}’s plans in {N}, while key figures remain undisclosed.",
    "{A} and {B} are in the news over {N} in {C}, with the terms still only partly known.",
]
FAQ = [
    (
        "Has {A} confirmed the figures?",
        "{A} has not confirmed the figures, and the details are not confirmed by other sources.",
    ),
    ("What does {B} make?", "{B} makes {N} for business customers in {C}."),
    ("Is the {R} involved?", "The available reports do not say whether the {R} is involved."),
    ("Who competes with {A}?", "{A} competes with {T} in {C}."),
]


# ------------------------------------------------------------------------------------- the world


@dataclass
class Company:
    name: str
    sector: str
    legal: str  # "Inc.", "Group", ... (kb folds these: same alias key)
    ticker: str
    products: list[str] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)  # (name, role)


class World:
    """The invented entities and outlets, built once from the seed."""

    def __init__(self, rng: random.Random, companies: int = 3000, outlets: int = 400) -> None:
        self.rng = rng
        self._used: set[str] = set()
        self.companies: list[Company] = []
        sectors = sorted(_COMPANY_WORDS)
        while len(self.companies) < companies:
            sector = rng.choice(sectors)
            base = self._word(rng.randint(2, 3))
            name = base if rng.random() < 0.35 else f"{base} {rng.choice(_COMPANY_WORDS[sector])}"
            if not self._claim(name):
                continue
            ticker = "".join(c for c in base.upper() if c not in "AEIOU")[:4]
            self.companies.append(Company(name, sector, rng.choice(_LEGAL), ticker))
        # Zipf weights: company 0 is the head ("Microsoft-like"), chosen separately for a fixed share.
        weights = [0.0] + [1.0 / (r + 1) ** 1.05 for r in range(1, len(self.companies))]
        self.cum_weights = list(itertools.accumulate(weights))
        self.banks = [c for c in self.companies if c.sector == "finance"][:60]
        for c in self.companies:
            for _ in range(rng.choice((0, 1, 1, 2))):
                c.products.append(self._product())
            for _ in range(rng.choice((1, 1, 2))):
                c.people.append((self._person(), rng.choice(_ROLES)))
        self.analysts = [self._person() for _ in range(300)]
        self.regulators = {country: [f"{adj} {body}" for body in _BODIES] for country, adj in _COUNTRIES}
        names: set[str] = set()
        while len(names) < outlets:
            name = f"{rng.choice(_OUTLET_A)} {rng.choice(_OUTLET_C)} {rng.choice(_OUTLET_B)}"
            names.add(" ".join(name.split()))
        self.outlets = sorted(names)
        rng.shuffle(self.outlets)
        self.outlet_cum = list(itertools.accumulate(1.0 / (r + 1) ** 0.9 for r in range(len(self.outlets))))

    def _word(self, syllables: int) -> str:
        rng = self.rng
        parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)]
        return ("".join(parts) + rng.choice(_CODAS)).capitalize()

    def _claim(self, name: str) -> bool:
        key = name.casefold()
        if key in self._used or len(name) < 4:
            return False
        self._used.add(key)
        return True

    def _product(self) -> str:
        rng = self.rng
        while True:
            word = self._word(2)
            style = rng.random()
            if style < 0.4:
                name = f"{word}-{rng.randint(2, 9)}"
            elif style < 0.7:
                name = f"{rng.choice('QXZVKT')}-{word} {rng.randint(2, 9)}"
            else:
                name = f"{word} {rng.choice('XSTRZ')}{rng.randint(1, 9)}"
            if self._claim(name):
                return name

    def _person(self) -> str:
        rng = self.rng
        while True:
            first = self._word(rng.randint(1, 2))
            last = self._word(rng.randint(2, 3)) + rng.choice(["", "", "", "ski", "sen", "ez", "ova", "ani"])
            name = f"{first} {last}"
            if self._claim(name):
                return name


# ------------------------------------------------------------------------------------- storylines


@dataclass
class Thread:
    """A storyline: one company, one topic, the facts and questions told so far."""

    topic: str
    slots: dict[str, object]
    told: dict[int, str] = field(default_factory=dict)  # fact index -> text as first told
    asked: dict[int, str] = field(default_factory=dict)  # open question index -> text
    answered: dict[int, str] = field(default_factory=dict)
    stories: int = 0


class _Slots(dict):
    """Slot values for str.format_map; each company mention picks an alias form afresh."""

    def __init__(self, gen: Generator, values: dict[str, object]) -> None:
        super().__init__()
        self.gen = gen
        self.values = values

    def __missing__(self, key: str) -> str:
        value = self.values[key]
        if isinstance(value, Company):
            return self.gen.mention(value)
        return str(value)


class Generator:
    def __init__(self, seed: int = 0, per_day: float = PER_DAY) -> None:
        self.rng = random.Random(seed)
        self.world = World(random.Random(seed * 7919 + 1))
        self.per_day = per_day
        self.threads: deque[Thread] = deque(maxlen=800)
        self.index = 0

    # -------------------------------------------------------------------------------- names

    def company(self) -> Company:
        w = self.world
        if self.rng.random() < HEAD_SHARE:
            return w.companies[0]
        return self.rng.choices(w.companies, cum_weights=w.cum_weights)[0]

    def tail(self) -> Company:
        """A company named in passing: half the time as skewed as storyline subjects, half the time any
        company at all (the long tail)."""
        w = self.world
        if self.rng.random() < 0.5:
            return self.rng.choices(w.companies, cum_weights=w.cum_weights)[0]
        return w.companies[self.rng.randrange(1, len(w.companies))]

    def mention(self, c: Company) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.015 and len(c.name.split()[0]) >= 7:
            return _misspell(rng, c.name)
        if r < 0.03:
            return f"{c.name} ({c.ticker})"
        if r < 0.20:
            return f"{c.name} {c.legal}"
        return c.name

    def _figures(self) -> dict[str, object]:
        rng = self.rng
        amount = rng.choice([rng.randint(12, 950), rng.randint(1, 40) * 50])
        other = int(amount * rng.choice([0.4, 0.5, 2, 3]))
        cur = rng.choice(["$", "$", "€", "£"])
        count = rng.choice([rng.randint(40, 950), rng.randint(2, 90) * 100])
        pct = rng.randint(3, 45)
        return {
            "$": f"{cur}{amount} million",
            "$2": f"{cur}{other} million",
            "#": f"{count:,}",
            "#2": f"{int(count * rng.choice([0.3, 2.5, 4])):,}",
            "%": f"{pct}%",
            "%2": f"{min(90, pct * 2 + 5)}%",
            "@": f"{rng.choice(_MONTHS)} {rng.randint(1, 28)}",
        }

    def _new_thread(self) -> Thread:
        rng, w = self.rng, self.world
        a = self.company()
        b = w.companies[0] if a is not w.companies[0] and rng.random() < 0.1 else self.company()
        while b is a:
            b = self.tail()
        country, _ = rng.choice(_COUNTRIES)
        other, _ = rng.choice(_COUNTRIES)
        nouns = _NOUNS[a.sector]
        slots: dict[str, object] = {
            "A": a,
            "B": b,
            "P": a.products[0] if a.products else f"{a.name.split()[0]}-{rng.randint(2, 9)}",
            "X": a.people[0][0],
            "role": a.people[0][1],
            "Y": rng.choice(w.analysts),
            "K": rng.choice(w.banks),
            "R": rng.choice(w.regulators[country]),
            "C": country,
            "D": other,
            "N": rng.choice(nouns),
            "M": rng.choice(nouns),
            "F": _FACILITIES[a.sector],
        }
        slots.update(self._figures())
        return Thread(rng.choice(TOPIC_NAMES), slots)

    def fill(self, template: str, thread: Thread) -> str:
        values = dict(thread.slots)
        values["T"] = self.tail()
        values["U"] = self.tail()
        text = template.format_map(_Slots(self, values)).replace("..", ".")
        return text[0].upper() + text[1:]

    # -------------------------------------------------------------------------------- stories

    def story(self) -> tuple[str, str]:
        rng = self.rng
        i = self.index
        self.index += 1
        day = START + timedelta(days=int(i / self.per_day))
        follow = bool(self.threads) and rng.random() < 0.5
        if follow:
            back = min(len(self.threads) - 1, int(rng.expovariate(1 / 40)))
            thread = self.threads[-1 - back]
        else:
            thread = self._new_thread()
            self.threads.append(thread)
        topic = TOPICS[thread.topic]
        facts: list[str] = []
        questions: list[str] = []
        watch: list[str] = []

        if follow:
            # Repeat what was told (verbatim or in other words), answer what was asked, now and then
            # contradict a fact or give a conflicting figure.
            for idx in rng.sample(sorted(thread.told), min(len(thread.told), rng.randint(1, 3))):
                if rng.random() < 0.4:
                    facts.append(thread.told[idx])
                else:
                    facts.append(self.fill(topic["facts"][idx][1], thread))
            for idx in rng.sample(sorted(thread.asked), min(len(thread.asked), rng.randint(0, 2))):
                facts.append(self.fill(topic["questions"][idx][1], thread))
                thread.answered[idx] = thread.asked.pop(idx)
            if rng.random() < 0.15:
                negatable = [i for i in thread.told if topic["facts"][i][2]]
                conflicting = [i for i in thread.answered if topic["questions"][i][2]]
                if conflicting and rng.random() < 0.5:
                    facts.append(self.fill(topic["questions"][rng.choice(conflicting)][2], thread))
                elif negatable:
                    facts.append(self.fill(topic["facts"][rng.choice(negatable)][2], thread))
            if rng.random() < 0.1 and thread.asked:
                questions.append(thread.asked[rng.choice(sorted(thread.asked))])  # still unclear
        fresh = [i for i in range(len(topic["facts"])) if i not in thread.told]
        for idx in rng.sample(fresh, min(len(fresh), rng.randint(1, 2) if follow else rng.randint(2, 4))):
            text = self.fill(topic["facts"][idx][0], thread)
            thread.told[idx] = text
            facts.append(text)
        n_facts = rng.randint(6, 8)
        while len(facts) < n_facts:
            facts.append(self.fill(rng.choice(FILLER_FACTS), thread))
        unasked = [
            i for i in range(len(topic["questions"])) if i not in thread.asked and i not in thread.answered
        ]
        for idx in rng.sample(unasked, min(len(unasked), rng.randint(1, 3))):
            text = self.fill(topic["questions"][idx][0], thread)
            thread.asked[idx] = text
            questions.append(text)
        n_questions = rng.randint(3, 5)
        while len(questions) < n_questions:
            questions.append(self.fill(rng.choice(FILLER_QUESTIONS), thread))
        for template in rng.sample(topic["watch"], min(len(topic["watch"]), rng.randint(1, 2))):
            watch.append(self.fill(template, thread))
        n_watch = rng.randint(2, 4)
        while len(watch) < n_watch:
            watch.append(self.fill(rng.choice(FILLER_WATCH), thread))
        thread.stories += 1
        if thread.stories >= 6 or (not thread.asked and len(thread.told) == len(topic["facts"])):
            with contextlib.suppress(ValueError):  # a thread appears once, but be safe
                self.threads.remove(thread)

        outlet = rng.choices(self.world.outlets, cum_weights=self.world.outlet_cum)[0]
        title = _title_case(self.fill(rng.choice(topic["titles"]), thread))
        text = self._render(i, day, title, outlet, facts, questions, watch, thread)
        slug = "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:48].strip("-")
        return f"{day.isoformat()}-{i:07d}-{slug}.txt", text

    def _render(
        self,
        i: int,
        day: date,
        title: str,
        outlet: str,
        facts: list[str],
        questions: list[str],
        watch: list[str],
        thread: Thread,
    ) -> str:
        rng = self.rng
        published = (
            day.isoformat() if rng.random() < 0.9 else f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"
        )
        summary = self.fill(rng.choice(SUMMARY), thread)
        lines = [
            f"Illustrative photo for: {title}",
            "",
            f"Published {published}",
            "",
            f"Summary: {summary}",
            "",
            "What We Know",
            "",
            *(f"  • {f}" for f in facts),
            "",
            "What’s Still Unclear",
            "",
            *(f"  • {q}" for q in questions),
            "",
            "Context",
            "",
            " ".join(self.fill(t, thread) for t in rng.sample(CONTEXT, 2)),
            "",
            "Why It Matters",
            "",
            self.fill(rng.choice(WHY), thread),
            "",
            "What to Watch Next",
            "",
            *(f"  • {w}" for w in watch),
            "",
        ]
        if rng.random() < 0.4:
            lines += ["FAQ", ""]
            for q, a in rng.sample(FAQ, rng.randint(1, 2)):
                lines += [f"Q: {self.fill(q, thread)}", f"A: {self.fill(a, thread)}", ""]
        caveats = rng.sample(_TRANSPARENCY, 2)
        if rng.random() < 0.15:
            caveats.insert(0, _PRELIMINARY)
        lines += [
            "Related coverage",
            "",
            "Source Transparency",
            "",
            *(f"  • {c}" for c in caveats),
            "",
            f"Original brief: {facts[0][:100].rstrip()}…",
            "",
            "Sources",
            "",
            "",
            "Leave a Reply",
            "",
            f"Discover more from {outlet}",
            "",
            "Subscribe now to keep reading and get access to the full archive.",
            "",
            "Continue reading",
        ]
        return "\n".join(lines) + "\n"


_SMALL = frozenset("a an the of in on for with to as and at by over from".split())


def _title_case(text: str) -> str:
    words = text.split(" ")
    return " ".join(
        w[:1].upper() + w[1:] if (i == 0 or w not in _SMALL) and w[:1].islower() else w
        for i, w in enumerate(words)
    )


def _misspell(rng: random.Random, name: str) -> str:
    """One letter edit inside the first word: a swap of two neighbours, or a dropped letter."""
    first, _, rest = name.partition(" ")
    j = rng.randint(1, len(first) - 3)
    if rng.random() < 0.5:
        first = first[:j] + first[j + 1] + first[j] + first[j + 2 :]
    else:
        first = first[:j] + first[j + 1 :]
    return f"{first} {rest}".strip()


# ------------------------------------------------------------------------------------------- API


def generate(n: int, seed: int = 0, start: int = 0, per_day: float = PER_DAY) -> Iterator[tuple[str, str]]:
    """Stories start..n-1 of the corpus for `seed`, as (file name, brief text). Story i is the same
    whatever n and start are (the ones before start are generated and dropped)."""
    gen = Generator(seed, per_day)
    for i in range(n):
        item = gen.story()
        if i >= start:
            yield item


def stories(n: int, seed: int = 0, start: int = 0, per_day: float = PER_DAY) -> Iterator[str]:
    """The texts of `generate` (parse each with kb.parse.brief.read_brief)."""
    for _, text in generate(n, seed, start, per_day):
        yield text


def head_names(seed: int = 0, top: int = 5) -> list[str]:
    """Names of the most frequent storyline companies for `seed`, head first."""
    return [c.name for c in World(random.Random(seed * 7919 + 1)).companies[:top]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of stories")
    ap.add_argument("outdir", type=Path, help="folder to write the .txt briefs into")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0, help="skip the first stories (write start..n-1)")
    ap.add_argument("--per-day", type=float, default=PER_DAY, help="stories a day (spreads the dates)")
    args = ap.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, text in generate(args.n, args.seed, args.start, args.per_day):
        (args.outdir / name).write_text(text, encoding="utf-8")
        count += 1
    print(f"wrote {count} briefs to {args.outdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
