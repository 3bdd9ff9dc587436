"""Story linking (transforms/stories.py): near duplicates, same stories across languages, clusters."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from transforms.schema import STORIES, STORY_FEATURES, STORY_LINKS
from transforms.stories import LinkSettings, build_stories, link_stories, normalise_number, text_numbers

WIRE = (
    "Globex Corporation agreed on Tuesday to buy Initech for 4.2 billion dollars in cash, the two companies said. "
    "The deal, approved by both boards, values Initech at 38 dollars a share, a premium of 27 percent over its "
    "closing price on Monday. Hank Scorpio, chief executive of Globex, said the purchase would double its software "
    "business. Bill Lumbergh, who runs Initech, will join the Globex board. Regulators in Brussels and Washington "
    "must still approve the transaction, which the companies expect to close in the first quarter. Shares of "
    "Initech rose 19 percent in early trading in New York while Globex stock slipped 2 percent."
)
MENTIONS = ["Globex Corporation", "Initech", "Hank Scorpio", "Globex", "Bill Lumbergh", "Brussels", "Washington", "New York"]


def _document(doc_id: str, text: str, *, language: str = "en", published_at=None, precision=None) -> dict:
    return {
        "doc_id": doc_id,
        "language": language,
        "text": text,
        "published_at": published_at,
        "published_at_precision": precision,
        "is_current": True,
        "features_fingerprint": "f1",
    }


def _mentions(doc_id: str, names: list[str], label: str = "ORG") -> list[dict]:
    return [{"doc_id": doc_id, "field": "text", "label": label, "mention_text": name} for name in names]


def _found(doc_id: str, text: str, names: list[str]) -> list[dict]:
    """A mention per occurrence of each name in `text`, as the NER would give them."""
    return _mentions(doc_id, [name for name in names for _ in range(max(1, text.count(name)))])


def _frames(documents: list[dict], mentions: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    schema = {
        "doc_id": pl.String,
        "language": pl.String,
        "text": pl.String,
        "published_at": pl.Datetime("us"),
        "published_at_precision": pl.String,
        "is_current": pl.Boolean,
        "features_fingerprint": pl.String,
    }
    mention_schema = {"doc_id": pl.String, "field": pl.String, "label": pl.String, "mention_text": pl.String}
    return pl.DataFrame(documents, schema=schema), pl.DataFrame(mentions, schema=mention_schema)


def _story_pairs(stories: pl.DataFrame) -> set[frozenset[str]]:
    groups = stories.group_by("story_id").agg(pl.col("doc_id").sort())
    return {frozenset(ids) for ids in groups.get_column("doc_id").to_list() if len(ids) > 1}


def test_a_syndicated_copy_with_another_headline_and_a_sentence_cut_is_a_near_duplicate():
    copy = "GLOBEX TO BUY INITECH\n\n" + WIRE.replace(" Bill Lumbergh, who runs Initech, will join the Globex board.", "")
    documents, mentions = _frames(
        [_document("a", WIRE), _document("b", copy), _document("c", "A quiet day on the markets. " * 30)],
        _mentions("a", MENTIONS) + _mentions("b", MENTIONS[:4]),
    )
    linked = link_stories(documents, mentions, LinkSettings())
    assert linked.links.select("doc_id_a", "doc_id_b", "link_type", "method").rows() == [
        ("a", "b", "near_duplicate", "minhash_jaccard")
    ]
    assert linked.links.get_column("score")[0] >= 0.6
    assert _story_pairs(linked.stories) == {frozenset({"a", "b"})}
    assert not STORY_LINKS.problems(linked.links) and not STORIES.problems(linked.stories)
    assert not STORY_FEATURES.problems(linked.features)


def test_a_translation_shares_names_and_numbers_not_shingles():
    french = (
        "Globex Corporation a accepté mardi de racheter Initech pour 4,2 milliards de dollars. Hank Scorpio, "
        "patron de Globex, veut doubler son activité logicielle; Bill Lumbergh rejoindra le conseil. Bruxelles et "
        "Washington doivent encore approuver l'opération. L'action Initech a gagné 19 % à New York."
    )
    documents, mentions = _frames(
        [_document("en", WIRE), _document("fr", french, language="fr")],
        _found("en", WIRE, MENTIONS)
        + _found("fr", french, ["Globex Corporation", "Hank Scorpio", "Globex", "Bill Lumbergh", "Initech", "Bruxelles", "Washington", "New York"]),
    )
    linked = link_stories(documents, mentions, LinkSettings())
    link = linked.links.row(0, named=True)
    assert (link["link_type"], link["method"]) == ("same_story", "shared_names_numbers")
    assert link["shingle_share"] is None  # languages differ: shingles are not compared
    assert {"globex", "hank scorpio", "initech"} <= set(link["shared_names"])
    assert {"4.2", "19"} <= set(link["shared_numbers"])


def test_same_language_stories_far_apart_in_time_are_not_linked():
    documents, mentions = _frames(
        [
            _document("a", "Report one. " + " ".join(MENTIONS), published_at=dt.datetime(2020, 1, 1), precision="day"),
            _document("b", "Another report. " + " ".join(MENTIONS), published_at=dt.datetime(2020, 1, 20), precision="second"),
            _document("c", "Third report. " + " ".join(MENTIONS), published_at=dt.datetime(2020, 1, 1, 9), precision="second"),
        ],
        _mentions("a", MENTIONS) + _mentions("b", MENTIONS) + _mentions("c", MENTIONS),
    )
    links = link_stories(documents, mentions, LinkSettings()).links
    assert links.select("doc_id_a", "doc_id_b").rows() == [("a", "c")]


def test_a_recurring_report_of_one_template_a_week_later_is_not_a_copy():
    template = (
        "The Federal Reserve entered the government securities market to arrange {amount} billion dlrs of customer "
        "repurchase agreements, a Fed spokesman said in New York. Dealers said federal funds were trading at "
        "{rate} pct when the Fed began its temporary and indirect supply of reserves to the banking system, "
        "which the market had expected after the weekend."
    )
    first, later, copy = template.format(amount="1.5", rate="6.25"), template.format(amount="2.5", rate="6.15"), (
        template.format(amount="1.5", rate="6.25") + " REUTER"
    )
    documents, mentions = _frames(
        [
            _document("a", first, published_at=dt.datetime(2020, 3, 2, 11, 45), precision="second"),
            _document("b", later, published_at=dt.datetime(2020, 3, 12, 11, 45), precision="second"),
            _document("c", copy, published_at=dt.datetime(2020, 3, 2, 13, 5), precision="second"),
        ],
        [],
    )
    links = link_stories(documents, mentions, LinkSettings()).links
    assert links.select("doc_id_a", "doc_id_b", "link_type").rows() == [("a", "c", "near_duplicate")]


def test_two_companies_making_the_same_kind_of_announcement_are_two_stories():
    # Same day, same market, same figures; each report is about its own company.
    def posting(company: str) -> str:
        return (
            f"{company} said it raised the contract price it will pay for all grades of crude oil by 50 cts a "
            f"barrel, effective today. {company} said the increase brings its posted price for West Texas "
            "Intermediate to 19.00 dlrs a barrel and West Texas Sour to 18.50 dlrs. In New York, traders said "
            f"{company} followed a similar move by other refiners. {company} last changed its postings in May."
        )

    names = ["West Texas Intermediate", "West Texas Sour", "New York"]
    text_a, text_b = posting("Sunray Oil"), posting("Blue Mesa Petroleum")
    others = "Weather: rain in Houston and New York all week, sunshine later. " * 4
    documents, mentions = _frames(
        [_document("a", text_a), _document("b", text_b), _document("c", others)],
        _found("a", text_a, ["Sunray Oil", *names]) + _found("b", text_b, ["Blue Mesa Petroleum", *names])
        + _found("c", others, ["Houston", "New York"]),
    )
    assert link_stories(documents, mentions, LinkSettings(min_shared=3, min_shared_names=2)).links.height == 0
    # the same report twice, rewritten: one story
    rewrite = text_a.replace("said it raised", "announced it had raised").replace("In New York, traders", "Traders")
    documents, mentions = _frames(
        [_document("a", text_a), _document("b", rewrite, language="en"), _document("c", others)],
        _found("a", text_a, ["Sunray Oil", *names]) + _found("b", rewrite, ["Sunray Oil", *names])
        + _found("c", others, ["Houston", "New York"]),
    )
    settings = LinkSettings(min_shared=3, min_shared_names=2, near_duplicate_jaccard=0.99)
    links = link_stories(documents, mentions, settings).links
    assert links.select("doc_id_a", "doc_id_b", "link_type").rows() == [("a", "b", "same_story")]


def test_one_press_conference_on_two_subjects_is_not_one_story_in_one_language():
    names = ["James Baker", "Treasury", "Cable News Network", "Washington"]
    lending = (
        "Treasury Secretary James Baker told Cable News Network that commercial banks must keep lending to debtor "
        "nations, and that loans to Latin American borrowers were vital for their growth. James Baker said in "
        "Washington that the banks' bad debt provisions did not mean an end to new credits for the region."
    )
    tax = (
        "Treasury Secretary James Baker told Cable News Network he opposed a proposed tax on stock transactions, "
        "saying such a levy on share trades would drive investors from the exchanges. James Baker said in "
        "Washington that the administration would fight the securities tax in Congress this spring."
    )
    documents, mentions = _frames(
        [_document("a", lending), _document("b", tax), _document("c", "Sport: the home team lost again. " * 6)],
        _found("a", lending, names) + _found("b", tax, names),
    )
    assert link_stories(documents, mentions, LinkSettings(min_shared=3, min_shared_names=3)).links.height == 0


def test_one_generic_article_does_not_chain_two_stories():
    # x is linked to both a–b and c–d, which share nothing: it joins one story, never both.
    links = pl.DataFrame(
        [
            ("a", "b", "same_story", 0.9),
            ("c", "d", "same_story", 0.9),
            ("a", "x", "same_story", 0.5),
            ("b", "x", "same_story", 0.5),
            ("c", "x", "same_story", 0.45),
            ("d", "x", "same_story", 0.45),
        ],
        schema={"doc_id_a": pl.String, "doc_id_b": pl.String, "link_type": pl.String, "score": pl.Float64},
        orient="row",
    )
    documents = pl.DataFrame({"doc_id": list("abcdx"), "published_at": [None] * 5}, schema_overrides={"published_at": pl.Datetime("us")})
    stories = build_stories(documents, links)
    assert _story_pairs(stories) == {frozenset("abx"), frozenset("cd")}
    # a chain a–b–c with no a–c link: c does not join a and b
    chain = links.head(0).vstack(
        pl.DataFrame([("a", "b", "same_story", 0.9), ("b", "c", "same_story", 0.8)], schema=links.schema, orient="row")
    )
    assert _story_pairs(build_stories(documents, chain)) == {frozenset("ab")}


def test_story_ids_do_not_depend_on_row_order_and_name_the_earliest_document():
    links = pl.DataFrame(
        [("a", "b", "near_duplicate", 0.9)],
        schema={"doc_id_a": pl.String, "doc_id_b": pl.String, "link_type": pl.String, "score": pl.Float64},
        orient="row",
    )
    documents = pl.DataFrame(
        {"doc_id": ["a", "b", "c"], "published_at": [dt.datetime(2020, 1, 2), dt.datetime(2020, 1, 1), None]}
    )
    forward = build_stories(documents, links)
    backward = build_stories(documents.reverse(), links)
    assert forward.equals(backward)
    story_of = dict(forward.select("doc_id", "story_id").iter_rows())
    assert story_of["a"] == story_of["b"] != story_of["c"]
    assert forward.filter(pl.col("doc_id") == "a").get_column("n_documents").item() == 2
    only_b = build_stories(documents.filter(pl.col("doc_id") == "b"), links.clear())
    assert only_b.get_column("story_id").item() == story_of["b"]  # b, the earliest, names the story


def test_linking_new_documents_against_the_last_run_gives_the_same_result_as_linking_all():
    copy = "GLOBEX TO BUY INITECH\n\n" + WIRE
    texts = {
        "a": WIRE,
        "b": copy,
        "c": "Initech and Globex: " + WIRE[:300] + " Analysts were unimpressed by the price.",
        "d": "Weather: rain in Brussels all week, sunshine later. " * 8,
    }
    rows = [_document(key, text) for key, text in texts.items()]
    mention_rows = _mentions("a", MENTIONS) + _mentions("b", MENTIONS) + _mentions("c", MENTIONS[:5])
    everything, mentions = _frames(rows, mention_rows)
    at_once = link_stories(everything, mentions, LinkSettings())
    first, first_mentions = _frames(rows[:2], mention_rows)
    before = link_stories(first, first_mentions, LinkSettings())
    after = link_stories(
        everything, mentions, LinkSettings(), previous_features=before.features, previous_links=before.links
    )
    assert (after.n_compared, after.n_reused) == (2, 2)
    assert after.links.equals(at_once.links)
    assert after.stories.equals(at_once.stories)
    assert after.features.equals(at_once.features)


def test_documents_that_are_not_current_are_left_out():
    rows = [_document("a", WIRE), {**_document("b", WIRE), "is_current": False}]
    documents, mentions = _frames(rows, _mentions("a", MENTIONS) + _mentions("b", MENTIONS))
    linked = link_stories(documents, mentions, LinkSettings())
    assert linked.links.height == 0
    assert linked.stories.get_column("doc_id").to_list() == ["a"]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("155,221", "155221"),
        ("155 221", "155221"),
        ("155.221", "155221"),
        ("1,5", "1.5"),
        ("4.2", "4.2"),
        ("7", None),
        ("2023", None),
        ("2500", "2500"),
        ("007", None),
        ("12", "12"),
    ],
)
def test_numbers_are_normalised_across_languages(token, expected):
    assert normalise_number(token) == expected


def test_text_numbers_reads_numbers_in_french_and_english_notation():
    assert text_numbers("4,2 milliards, 19 %, en 2023, 155 221 sacs") == ["155221", "19", "4.2"]
    assert text_numbers("4.2 billion, 19 percent, in 2023, 155,221 bags") == ["155221", "19", "4.2"]
