"""The report's rendering (transforms/report.py): pure functions of the marts' frames, no pipeline."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree

import polars as pl

from transforms.report import TIMELINE_STORIES, _time_ticks, render_report_html, render_story_timeline

SVG = "{http://www.w3.org/2000/svg}"


def _documents(rows: list[tuple]) -> pl.DataFrame:
    """marts.document_overview rows: doc_id, story_id, outlet, language, published_at."""
    return pl.DataFrame(
        [
            {
                "doc_id": doc_id,
                "source_path": f"{doc_id}.txt",
                "story_id": story_id,
                "headline": f"Headline of {doc_id}",
                "outlet": outlet,
                "language": language,
                "published_at": published_at,
                "published_date": published_at.date() if published_at else None,
                "tone": 0.5,
                "top_entities": ["OpenAI"],
            }
            for doc_id, story_id, outlet, language, published_at in rows
        ],
        schema_overrides={"published_at": pl.Datetime("us"), "published_date": pl.Date, "outlet": pl.String},
    )


DOCUMENTS = _documents(
    [
        ("d1", "s1", "lemonde.fr", "fr", dt.datetime(2024, 3, 5, 9)),
        ("d2", "s1", "bbc.co.uk", "en", dt.datetime(2024, 3, 4, 10)),
        ("d3", "s1", None, "fr", None),
        ("d4", "s2", "afp.com", "fr", dt.datetime(2024, 3, 20)),
        ("d5", "s3", "afp.com", "de", None),
    ]
)
STORIES = pl.DataFrame(
    {
        "story_id": ["s1", "s2", "s3"],
        "headline": ["Headline of d2", "Headline of d4", "Headline of d5"],
        "first_published_at": [dt.datetime(2024, 3, 4, 10), dt.datetime(2024, 3, 20), None],
        "last_published_at": [dt.datetime(2024, 3, 5, 9), dt.datetime(2024, 3, 20), None],
        "n_documents": [3, 1, 1],
        "outlets": [["bbc.co.uk", "lemonde.fr"], ["afp.com"], ["afp.com"]],
        "languages": [["en", "fr"], ["fr"], ["de"]],
        "top_entities": [["OpenAI"], [], []],
        "mean_tone": [0.5, 0.5, 0.5],
    }
)


def _marks(svg: str) -> list[ElementTree.Element]:
    return list(ElementTree.fromstring(svg).iter(f"{SVG}circle"))


def _tooltip(element: ElementTree.Element) -> str:
    return element.find(f"{SVG}title").text


def test_the_story_timeline_places_each_document_by_its_publication_time():
    svg = render_story_timeline(DOCUMENTS, STORIES)
    marks = {_tooltip(mark).split(" (")[0]: mark for mark in _marks(svg) if mark.find(f"{SVG}title") is not None}
    assert set(marks) == {f"Headline of d{i}" for i in range(1, 6)}
    x = {name.split()[-1]: float(mark.get("cx")) for name, mark in marks.items()}
    assert x["d2"] < x["d1"] < x["d4"], "earlier documents further left"
    assert x["d3"] > x["d4"] and x["d5"] > x["d4"], "undated documents at the end of their row, past the axis"
    y = {name.split()[-1]: float(mark.get("cy")) for name, mark in marks.items()}
    assert y["d1"] < y["d4"] < y["d5"], "a row per story, the largest first"
    text = "".join(ElementTree.fromstring(svg).itertext())
    for label in ("lemonde.fr · fr", "bbc.co.uk · en", "no outlet · fr", "afp.com · de"):
        assert label in text, label
    assert "<script" not in svg and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_story_timeline_shows_the_largest_stories_only():
    rows = [
        (f"d{s}-{i}", f"s{s:02}", "afp.com", "fr", dt.datetime(2024, 1, 1 + s)) for s in range(15) for i in range(s + 1)
    ]
    svg = render_story_timeline(_documents(rows))  # the stories read from the documents' story_id
    stories = {
        _tooltip(mark).split(" (")[0].split("-")[0] for mark in _marks(svg) if mark.find(f"{SVG}title") is not None
    }
    assert stories == {f"Headline of d{s}" for s in range(15 - TIMELINE_STORIES, 15)}


def test_the_story_timeline_copes_with_one_moment_and_with_nothing():
    one = render_story_timeline(_documents([("d1", "s1", None, "fr", dt.datetime(2024, 3, 5))]))
    assert len(_marks(one)) == 2  # the legend's and the document's
    nothing = render_story_timeline(DOCUMENTS.head(0), STORIES.head(0))
    assert "No stories yet." in nothing and ElementTree.fromstring(nothing) is not None


def test_time_ticks_are_round_and_inside_the_span():
    start = dt.datetime(2024, 3, 4, 10, tzinfo=dt.UTC).timestamp()
    for days in (0.5, 3, 40, 400, 4000):
        end = start + days * 86400
        ticks = _time_ticks(start, end)
        assert 1 <= len(ticks) <= 7, days
        assert all(start <= seconds <= end for seconds, _ in ticks)
        assert [seconds for seconds, _ in ticks] == sorted(seconds for seconds, _ in ticks)
    assert [label for _, label in _time_ticks(start, start + 400 * 86400)][0] == "Apr 2024"


def test_the_report_page_holds_the_story_view_inline():
    entities = pl.DataFrame(
        {"entity_name": ["OpenAI"], "entity_label": ["ORG"], "n_mentions": [3], "n_documents": [2],
         "languages": [["fr"]], "mean_sentiment": [0.1]}
    )  # fmt: skip
    coverage = pl.DataFrame(
        {"language": ["fr"], "published_month": [dt.datetime(2024, 3, 1)], "n_documents": [2], "n_words": [10],
         "mean_tone": [0.1], "mean_sentiment": [0.0]}
    )  # fmt: skip
    page = render_report_html(entities, coverage, DOCUMENTS, chart_file="entities.svg", stories=STORIES)
    assert "Largest stories" in page and "Tone by language" in page and "<svg" in page
    assert "bbc.co.uk, lemonde.fr" in page, "the stories' table lists their outlets"
    assert "<script" not in page
    without_stories = render_report_html(entities, coverage, DOCUMENTS, chart_file="entities.svg")
    assert "lemonde.fr · fr" in without_stories, "the stories come from the documents' story_id"
    before = DOCUMENTS.drop("story_id", "outlet", "published_at")  # a document_overview from before the stories
    assert "No stories yet." in render_report_html(entities, coverage, before, chart_file="entities.svg")
