"""Outlets, URLs, publication times and versions of articles (transforms/news_model.py)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from transforms.news_model import (
    article_id,
    assign_versions,
    describe_document,
    normalise_url,
    outlet_from_note,
    url_date,
)


def _row(**overrides) -> dict:
    row = {
        "doc_id": "d",
        "source_path": "a.txt",
        "title": "Heading from the text",
        "language": "fr",
        "language_confidence": 0.99,
        "published_date": None,
        "published_date_precision": None,
        "source_note": None,
        "declared_title": None,
        "declared_outlet": None,
        "declared_url": None,
        "declared_id": None,
        "declared_published_at": None,
        "declared_published_at_precision": None,
        "declared_language": None,
        "metadata_source": None,
    }
    return {**row, **overrides}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.Example.com/news/story/?utm_source=x&id=3#top", "https://example.com/news/story?id=3"),
        ("http://example.com/a/", "https://example.com/a"),
        ("ftp://example.com/a", None),
        ("not a url", None),
        ("", None),
    ],
)
def test_urls_are_normalised_so_that_one_article_has_one_url(url, expected):
    assert normalise_url(url) == expected


def test_dates_in_url_paths():
    assert url_date("https://x.com/2018/11/17/a-story") == (dt.datetime(2018, 11, 17), "day")
    assert url_date("https://x.com/news/2018-11-17-a-story") == (dt.datetime(2018, 11, 17), "day")
    assert url_date("https://x.com/2018/11/a-story") == (dt.datetime(2018, 11, 1), "month")
    assert url_date("https://x.com/2018/13/40/a") is None
    assert url_date("https://x.com/article/123456") is None


def test_a_source_note_names_the_outlet():
    note = "L'article original (en anglais) est disponible sur IT World Canada, une publication sœur de Direction informatique."
    assert outlet_from_note(note) == "Direction informatique"
    assert outlet_from_note("This story was originally published in The Globe.") == "The Globe"
    assert outlet_from_note("Photo: AFP") is None


def test_the_record_comes_first_then_the_url_then_the_source_note():
    declared = describe_document(
        _row(
            declared_outlet="Le Monde",
            declared_url="https://www.lemonde.fr/2021/03/04/x",
            declared_published_at=dt.datetime(2021, 3, 4, 8, 30),
            declared_published_at_precision="second",
            declared_title="Titre",
            declared_language="FR-fr",
            metadata_source="record",
            published_date=dt.date(2021, 3, 1),
            published_date_precision="month",
        )
    )
    assert (declared["outlet"], declared["outlet_source"]) == ("Le Monde", "record")
    assert (declared["published_at"], declared["published_at_precision"], declared["published_at_source"]) == (
        dt.datetime(2021, 3, 4, 8, 30),
        "second",
        "record",
    )
    assert declared["title"] == "Titre"
    assert (declared["language"], declared["language_confidence"], declared["language_source"]) == ("fr", 1.0, "declared")

    from_url = describe_document(_row(declared_url="https://www.lemonde.fr/2021/03/04/x", metadata_source="front_matter"))
    assert (from_url["outlet"], from_url["outlet_source"]) == ("lemonde.fr", "url")
    assert (from_url["published_at"], from_url["published_at_source"]) == (dt.datetime(2021, 3, 4), "url")
    assert from_url["title"] == "Heading from the text"
    assert from_url["language_source"] == "detected"

    from_text = describe_document(
        _row(
            source_note="Initialement paru dans Le Devoir.",
            published_date=dt.date(2023, 9, 1),
            published_date_precision="month",
        )
    )
    assert (from_text["outlet"], from_text["outlet_source"]) == ("Le Devoir", "source_note")
    assert (from_text["published_at"], from_text["published_at_precision"], from_text["published_at_source"]) == (
        dt.datetime(2023, 9, 1),
        "month",
        "text",
    )
    nothing = describe_document(_row())
    assert (nothing["outlet"], nothing["outlet_source"], nothing["published_at"]) == (None, None, None)


def test_an_article_is_its_id_else_its_url_else_its_path():
    assert article_id("123", "https://a.com/x", "f.jsonl#1") == article_id("123", None, "g.jsonl#9")
    assert article_id(None, "https://www.a.com/x/?utm_medium=rss", "f#1") == article_id(None, "http://a.com/x", "g#2")
    assert article_id(None, None, "f.jsonl#1") != article_id(None, None, "f.jsonl#2")


def _documents(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"doc_id": pl.String, "article_id": pl.String, "source_path": pl.String, "published_at": pl.Datetime("us")},
        orient="row",
    )


def test_a_changed_article_gets_a_new_version_and_the_old_one_names_its_successor():
    first = assign_versions(_documents([("v1", "art", "a.txt", None), ("other", "b", "b.txt", None)]), None)
    assert first.select("doc_id", "version", "is_current", "superseded_by").sort("doc_id").rows() == [
        ("other", 1, True, None),
        ("v1", 1, True, None),
    ]
    second = assign_versions(
        _documents([("v1", "art", "a.txt", None), ("v2", "art", "a.txt", None), ("other", "b", "b.txt", None)]),
        first.select("doc_id", "version"),
    )
    assert second.select("doc_id", "version", "is_current", "superseded_by").sort("doc_id").rows() == [
        ("other", 1, True, None),
        ("v1", 1, False, "v2"),
        ("v2", 2, True, None),
    ]
    # a version whose doc_id sorts first keeps its number: versions follow what the warehouse saw
    third = assign_versions(
        _documents([("v1", "art", "a.txt", None), ("v2", "art", "a.txt", None), ("a0", "art", "a.txt", None)]),
        second.select("doc_id", "version"),
    )
    assert third.select("doc_id", "version", "is_current").sort("version").rows() == [
        ("v1", 1, False),
        ("v2", 2, False),
        ("a0", 3, True),
    ]


def test_new_versions_seen_together_are_ordered_by_publication_time():
    both = assign_versions(
        _documents(
            [("z", "art", "f#1", dt.datetime(2020, 1, 1)), ("a", "art", "f#2", dt.datetime(2020, 1, 2))]
        ),
        None,
    )
    assert both.sort("version").get_column("doc_id").to_list() == ["z", "a"]
