"""Articles as records (JSON Lines, CSV, Parquet) and text files with front matter (issue 16)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import itertools
import json
from pathlib import Path

import polars as pl
import pytest

from pipelines.sources import SOURCE_FILE_SCHEMA, read_source_files
from transforms.ingest import build_raw_documents, content_id
from transforms.records import (
    DEFAULT_FIELDS,
    FieldMap,
    is_record_file,
    normalise_language,
    parse_published_at,
    read_records,
    record_id,
    split_front_matter,
)
from transforms.schema import RAW_DOCUMENTS, REJECTED_DOCUMENTS

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
NEWS_BENCH = Path("/work/shared/corpora/news_bench.jsonl.gz")


def jsonl(*records: object) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records).encode()


def files_frame(contents: dict[str, bytes | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source_path": list(contents),
            "content": list(contents.values()),
            "read_reason": [None] * len(contents),
            "read_error": [None] * len(contents),
        },
        schema=SOURCE_FILE_SCHEMA,
    )


def by_path(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["source_path"]: row for row in frame.iter_rows(named=True)}


GOOD = {
    "id": "a-1",
    "title": "  Microsoft and OpenAI  ",
    "date": "2018-11-17T15:01:01+02:00",
    "source": "Le Monde",
    "url": "https://example.org/a-1",
    "language": "fr-FR",
    "text": "Texte de l'article.",
}


# --- JSON Lines -------------------------------------------------------------------------------


def test_jsonl_good_and_bad_records():
    raw = jsonl(
        GOOD,
        "[1, 2, 3]",
        "{not json",
        {"id": "a-4", "title": "no text here"},
        {"id": "a-5", "text": "   \n "},
        {"id": "a-6", "text": "dated badly", "date": "the day after tomorrow"},
        "",
        {"Body": "capitalised key", "HEADLINE": "Shouting", "pubDate": "Sat, 17 Nov 2018 10:00:00 +0100"},
    )
    documents, rejections = read_records("feed.jsonl", raw, DEFAULT_FIELDS)
    assert [(r["source_path"], r["record_number"], r["reason"]) for r in rejections] == [
        ("feed.jsonl#2", 2, "bad_record"),
        ("feed.jsonl#3", 3, "bad_record"),
        ("feed.jsonl#4", 4, "no_text_field"),
        ("feed.jsonl#5", 5, "no_text_field"),
        ("feed.jsonl#6", 6, "bad_date"),
    ]
    assert "not an object" in rejections[0]["detail"] and "line 2" in rejections[0]["detail"]
    assert "the day after tomorrow" in rejections[4]["detail"]

    first, last = documents
    assert set(first) == set(RAW_DOCUMENTS.column_names)
    assert first["source_path"] == "feed.jsonl#1" and first["record_number"] == 1
    assert first["raw_text"] == "Texte de l'article."
    assert first["declared_title"] == "Microsoft and OpenAI"
    assert first["declared_outlet"] == "Le Monde"
    assert first["declared_url"] == "https://example.org/a-1"
    assert first["declared_id"] == "a-1"
    assert first["declared_language"] == "fr"
    assert first["declared_published_at"] == dt.datetime(2018, 11, 17, 13, 1, 1)
    assert first["declared_published_at_precision"] == "second"
    assert first["metadata_source"] == "record"
    assert first["encoding"] == "utf-8"
    doc_id, serialised = record_id(GOOD)
    assert first["doc_id"] == doc_id and first["n_bytes"] == len(serialised)

    # The blank line is not a record: the record after it is the 7th.
    assert last["source_path"] == "feed.jsonl#7" and last["record_number"] == 7
    assert (last["raw_text"], last["declared_title"]) == ("capitalised key", "Shouting")
    assert last["declared_published_at"] == dt.datetime(2018, 11, 17, 9, 0)


def test_first_alias_with_a_value_wins():
    record = {"text": "", "body": "the body", "content": "the content", "title": None, "headline": "H"}
    (document,), rejections = read_records("a.jsonl", jsonl(record), DEFAULT_FIELDS)
    assert rejections == []
    assert (document["raw_text"], document["declared_title"]) == ("the body", "H")


def test_newsapi_source_object_names_the_outlet():
    record = {"source": {"id": None, "name": "BBC News"}, "content": "Text.", "publishedAt": "2020-01-01"}
    (document,), _ = read_records("a.jsonl", jsonl(record), FieldMap.parse("published_at=publishedAt"))
    assert document["declared_outlet"] == "BBC News"
    assert document["declared_published_at"] == dt.datetime(2020, 1, 1)


def test_record_text_over_the_limit_is_too_large_and_the_others_go_on():
    raw = jsonl({"text": "x" * 5000}, {"text": "short"})
    documents, rejections = read_records("a.jsonl", raw, DEFAULT_FIELDS, max_text_bytes=1000)
    assert [d["source_path"] for d in documents] == ["a.jsonl#2"]
    assert [(r["source_path"], r["reason"]) for r in rejections] == [("a.jsonl#1", "too_large")]


def test_jsonl_gz_reads_like_jsonl_and_a_corrupt_gzip_is_one_rejection():
    raw = jsonl(GOOD, {"text": "second"})
    plain, _ = read_records("a.jsonl", raw, DEFAULT_FIELDS)
    packed, rejections = read_records("a.jsonl.gz", gzip.compress(raw), DEFAULT_FIELDS)
    assert rejections == []
    assert [d["doc_id"] for d in packed] == [d["doc_id"] for d in plain]
    assert [d["source_path"] for d in packed] == ["a.jsonl.gz#1", "a.jsonl.gz#2"]

    documents, rejections = read_records("b.jsonl.gz", gzip.compress(raw)[:-20], DEFAULT_FIELDS)
    assert documents == []
    assert [(r["source_path"], r["record_number"], r["reason"]) for r in rejections] == [
        ("b.jsonl.gz", None, "bad_record")
    ]


def test_a_file_without_records_is_rejected_as_empty():
    for path, raw in (("a.jsonl", b""), ("b.jsonl", b"\n\n"), ("c.csv", b"title,text\n")):
        documents, rejections = read_records(path, raw, DEFAULT_FIELDS)
        assert documents == [] and [(r["record_number"], r["reason"]) for r in rejections] == [(None, "empty")]


# --- CSV --------------------------------------------------------------------------------------


def test_csv_with_quoted_multiline_text():
    raw = (
        "Headline,Body,date,source\r\n"
        '"Un titre, avec virgule","Premier paragraphe.\r\n\r\nDeuxième ""cité"" paragraphe.",2018-11-17,Le Monde\r\n'
        "Short row,only two\r\n"
        '"No text",,2018,Reuters\r\n'
        '"Third","Texte trois",17/11/2018,AFP\r\n'
    ).encode()
    documents, rejections = read_records("export.csv", raw, DEFAULT_FIELDS)
    assert [(r["source_path"], r["reason"]) for r in rejections] == [
        ("export.csv#2", "bad_record"),
        ("export.csv#3", "no_text_field"),
    ]
    assert "2 fields, the header has 4" in rejections[0]["detail"]
    first, third = documents
    assert first["raw_text"] == 'Premier paragraphe.\r\n\r\nDeuxième "cité" paragraphe.'
    assert first["declared_title"] == "Un titre, avec virgule"
    assert (first["declared_published_at"], first["declared_published_at_precision"]) == (
        dt.datetime(2018, 11, 17),
        "day",
    )
    assert third["source_path"] == "export.csv#4" and third["declared_outlet"] == "AFP"
    assert third["declared_published_at"] == dt.datetime(2018, 11, 17)


def test_csv_semicolons_latin1_and_no_text_column():
    raw = "titre;text\nÉté;Le café coûte cher.\n".encode("cp1252")
    (document,), rejections = read_records("a.csv", raw, FieldMap.parse("title=titre"))
    assert rejections == []
    assert (document["declared_title"], document["raw_text"]) == ("Été", "Le café coûte cher.")
    assert document["encoding"] == "cp1252"

    documents, rejections = read_records("b.csv", b"title,story\nA,B\nC,D\n", DEFAULT_FIELDS)
    assert documents == []
    assert [(r["source_path"], r["record_number"], r["reason"]) for r in rejections] == [
        ("b.csv", None, "no_text_field")
    ]
    assert "the columns are title, story" in rejections[0]["detail"]


def test_a_binary_file_named_csv_is_one_rejection():
    documents, rejections = read_records("x.csv", b"\x89PNG\r\n\x1a\n\x00\x00", DEFAULT_FIELDS)
    assert documents == [] and [(r["record_number"], r["reason"]) for r in rejections] == [(None, "binary")]


# --- Parquet ----------------------------------------------------------------------------------


def test_parquet_written_with_polars(tmp_path):
    frame = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "headline": ["One", "Two", None],
            "maintext": ["First text.", None, "Third text."],
            "date_publish": [dt.datetime(2018, 11, 17, 15, 1), dt.datetime(2019, 1, 2), None],
            "day": [dt.date(2018, 11, 17)] * 3,
            "source_domain": ["lemonde.fr", "bbc.co.uk", "reuters.com"],
        }
    )
    path = tmp_path / "articles.parquet"
    frame.write_parquet(path)
    documents, rejections = read_records("articles.parquet", path.read_bytes(), DEFAULT_FIELDS)
    assert [(r["source_path"], r["reason"]) for r in rejections] == [("articles.parquet#2", "no_text_field")]
    first, third = documents
    assert (first["declared_id"], first["declared_title"], first["declared_outlet"]) == ("1", "One", "lemonde.fr")
    assert (first["declared_published_at"], first["declared_published_at_precision"]) == (
        dt.datetime(2018, 11, 17, 15, 1),
        "second",
    )
    assert third["source_path"] == "articles.parquet#3" and third["declared_published_at"] is None

    # A date column named by NEWS_SOURCE_FIELDS comes as a date: day precision.
    documents, _ = read_records("articles.parquet", path.read_bytes(), FieldMap.parse("published_at=day"))
    assert documents[0]["declared_published_at_precision"] == "day"

    documents, rejections = read_records("broken.parquet", path.read_bytes()[:200], DEFAULT_FIELDS)
    assert documents == []
    assert [(r["source_path"], r["record_number"], r["reason"]) for r in rejections] == [
        ("broken.parquet", None, "bad_record")
    ]


# --- Front matter -----------------------------------------------------------------------------

FRONT_MATTER = """---
title: "Microsoft et OpenAI : la tension"
Date: 2023-09-12
outlet: Le Journal
url: https://example.org/article
language: FR
tags:
  - ia
---

Le corps de l'article.
"""


def test_front_matter_fills_the_declared_columns():
    raw = FRONT_MATTER.encode()
    documents, rejections = build_raw_documents(files_frame({"article.md": raw}))
    assert rejections.is_empty()
    row = documents.row(0, named=True)
    assert row["doc_id"] == hashlib.sha256(raw).hexdigest()
    assert row["raw_text"] == "Le corps de l'article.\n"
    assert row["record_number"] is None and row["n_bytes"] == len(raw)
    assert row["declared_title"] == "Microsoft et OpenAI : la tension"
    assert (row["declared_published_at"], row["declared_published_at_precision"]) == (dt.datetime(2023, 9, 12), "day")
    assert (row["declared_outlet"], row["declared_url"], row["declared_language"]) == (
        "Le Journal",
        "https://example.org/article",
        "fr",
    )
    assert row["metadata_source"] == "front_matter"


@pytest.mark.parametrize(
    "text",
    [
        "---\nNot a key value line at all.\n---\nBody\n",  # a rule, prose, a rule
        "--- \ntitle: x\n",  # never closed
        "title: x\n---\n",  # does not start with ---
        "---\n" + "key: value\n" * 60 + "---\nBody\n",  # closed too late
    ],
)
def test_what_is_not_front_matter_stays_text(text):
    assert split_front_matter(text) == (None, text)
    documents, _ = build_raw_documents(files_frame({"a.txt": text.encode()}))
    assert documents.row(0, named=True)["raw_text"] == text
    assert documents.row(0, named=True)["metadata_source"] is None


def test_front_matter_with_a_bad_date_is_rejected():
    _, rejections = build_raw_documents(files_frame({"a.txt": b"---\ndate: someday\n---\nBody\n"}))
    assert rejections.rows()[0][:3] == ("a.txt", None, "bad_date")


# --- Field names ------------------------------------------------------------------------------


def test_news_source_fields_are_tried_before_the_defaults():
    fields = FieldMap.parse("text=story_body, title=hed,published_at=firstpub,outlet=Brand")
    assert fields.names("text") == ("story_body", "text", "body", "content", "maintext")
    assert fields.names("published_at")[0] == "firstpub" and "pubdate" in fields.names("published_at")
    record = {
        "story_body": "Story.",
        "text": "not this",
        "HED": "Hed",
        "title": "not this",
        "firstpub": "2018",
        "brand": "B",
    }
    (document,), _ = read_records("a.jsonl", jsonl(record), fields)
    assert (document["raw_text"], document["declared_title"], document["declared_outlet"]) == ("Story.", "Hed", "B")
    assert (document["declared_published_at"], document["declared_published_at_precision"]) == (
        dt.datetime(2018, 1, 1),
        "year",
    )
    assert FieldMap.parse("text=a,text=b").names("text")[:2] == ("a", "b")
    assert FieldMap.parse("") == DEFAULT_FIELDS


@pytest.mark.parametrize("value", ["body=story", "text", "text=", "=story"])
def test_a_bad_news_source_fields_value_is_a_clear_error(value):
    with pytest.raises(ValueError, match="NEWS_SOURCE_FIELDS"):
        FieldMap.parse(value)


def test_the_source_folder_resource_reads_news_source_fields(monkeypatch):
    from pipelines.resources import SourceFolder

    monkeypatch.setenv("NEWS_SOURCE_FIELDS", "text=story_body")
    assert SourceFolder().field_map.names("text")[0] == "story_body"
    assert SourceFolder(fields="title=hed").field_map.names("text")[0] == "text"
    monkeypatch.setenv("NEWS_SOURCE_FIELDS", "headline=hed")
    with pytest.raises(ValueError, match="unknown field 'headline'"):
        _ = SourceFolder().field_map


# --- Dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "moment", "precision"),
    [
        ("2018-11-17", dt.datetime(2018, 11, 17), "day"),
        ("2018-11-17T15:01:01", dt.datetime(2018, 11, 17, 15, 1, 1), "second"),
        ("2018-11-17 15:01", dt.datetime(2018, 11, 17, 15, 1), "second"),
        ("2018-11-17T15:01:01Z", dt.datetime(2018, 11, 17, 15, 1, 1), "second"),
        ("2018-11-17T15:01:01+02:00", dt.datetime(2018, 11, 17, 13, 1, 1), "second"),
        ("2018-11-17T00:30:00-05:00", dt.datetime(2018, 11, 17, 5, 30), "second"),
        ("2018-11", dt.datetime(2018, 11, 1), "month"),
        ("2018", dt.datetime(2018, 1, 1), "year"),
        ("Sat, 17 Nov 2018 10:00:00 +0100", dt.datetime(2018, 11, 17, 9, 0), "second"),
        ("Sat, 17 Nov 2018 10:00:00 GMT", dt.datetime(2018, 11, 17, 10, 0), "second"),
        ("Sat, 17 Nov 2018 10:00:00 EST", dt.datetime(2018, 11, 17, 15, 0), "second"),
        (1542466800, dt.datetime(2018, 11, 17, 15, 0), "second"),
        (1542466800000, dt.datetime(2018, 11, 17, 15, 0), "second"),
        ("1542466800", dt.datetime(2018, 11, 17, 15, 0), "second"),
        ("17/11/2018", dt.datetime(2018, 11, 17), "day"),
        ("11/17/2018", dt.datetime(2018, 11, 17), "day"),
        ("05.11.2018", dt.datetime(2018, 11, 5), "day"),
        ("17/11/2018 10:30", dt.datetime(2018, 11, 17, 10, 30), "second"),
        ("17 novembre 2018", dt.datetime(2018, 11, 17), "day"),
        ("17 de noviembre de 2018", dt.datetime(2018, 11, 17), "day"),
        ("17. März 2018", dt.datetime(2018, 3, 17), "day"),
        ("November 17, 2018", dt.datetime(2018, 11, 17), "day"),
        ("novembre 2018", dt.datetime(2018, 11, 1), "month"),
        ("Nov 17, 2018 3:00 PM EST", dt.datetime(2018, 11, 17, 20, 0), "second"),
        (dt.date(2018, 11, 17), dt.datetime(2018, 11, 17), "day"),
        (
            dt.datetime(2018, 11, 17, 10, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            dt.datetime(2018, 11, 17, 9),
            "second",
        ),
    ],
)
def test_parse_published_at(value, moment, precision):
    parsed = parse_published_at(value)
    assert parsed == (moment, precision)
    assert parsed[0].tzinfo is None


@pytest.mark.parametrize(
    "value",
    ["", "yesterday", "2018-13-01", "2018-02-30", "05/11/2018", "17 Nov 2018 10:00:00 XYZ", "nan", True, None, [2018]],
)
def test_parse_published_at_refuses(value):
    with pytest.raises(ValueError):
        parse_published_at(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [("en-US", "en"), ("EN", "en"), ("fr_FR", "fr"), ("fra", "fra"), ("English", None), ("und", None), ("", None)],
)
def test_declared_language_is_normalised(value, code):
    assert normalise_language(value) == code


# --- Ids, order, the source folder ------------------------------------------------------------


def test_doc_id_is_stable_and_changes_with_any_field():
    reordered = dict(reversed(list(GOOD.items())))
    changed = {**GOOD, "url": "https://example.org/a-1?v=2"}
    raw = jsonl(GOOD, reordered, changed)
    documents, _ = build_raw_documents(files_frame({"a.jsonl": raw, "b.jsonl.gz": gzip.compress(jsonl(GOOD))}))
    ids = dict(zip(documents["source_path"], documents["doc_id"], strict=True))
    assert ids["a.jsonl#1"] == ids["a.jsonl#2"] == ids["b.jsonl.gz#1"]
    assert ids["a.jsonl#3"] != ids["a.jsonl#1"]


def test_rows_are_sorted_by_file_then_record_number():
    raw = jsonl(*({"text": f"article {n}"} if n != 10 else "[]" for n in range(1, 13)))
    files = files_frame({"b.txt": b"plain", "a.jsonl": raw, "a.jsonl.gz": b"not gzip", "A.txt": b"upper"})
    documents, rejections = build_raw_documents(files)
    assert documents.columns == RAW_DOCUMENTS.column_names
    assert rejections.columns == REJECTED_DOCUMENTS.column_names
    assert documents["source_path"].to_list() == [
        "A.txt",
        *(f"a.jsonl#{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12)),
        "b.txt",
    ]
    assert rejections.rows() == [
        ("a.jsonl#10", 10, "bad_record", "line 10 is a JSON array, not an object"),
        ("a.jsonl.gz", None, "bad_record", rejections["detail"][1]),
    ]


def test_the_seeds_keep_their_doc_ids():
    documents, rejections = build_raw_documents(read_source_files(SEEDS, 2_000_000))
    assert rejections.is_empty()
    expected = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in SEEDS.glob("*.txt")}
    assert dict(zip(documents["source_path"], documents["doc_id"], strict=True)) == expected
    assert expected == {name: content_id((SEEDS / name).read_bytes()) for name in expected}
    assert documents["metadata_source"].null_count() == documents.height
    assert documents["record_number"].null_count() == documents.height


def test_record_files_are_read_whatever_their_size(tmp_path):
    big = jsonl(*({"text": f"article {n} " + "mot " * 100} for n in range(40)))
    (tmp_path / "feed.jsonl").write_bytes(big)
    (tmp_path / "long.txt").write_bytes(b"x" * 2000)
    (tmp_path / "notes.md").write_text("---\ntitle: T\n---\nBody\n")
    files = read_source_files(tmp_path, 1000)
    reasons = dict(zip(files["source_path"], files["read_reason"], strict=True))
    assert len(big) > 1000 and reasons == {"feed.jsonl": None, "long.txt": "too_large", "notes.md": None}
    assert is_record_file("feed.jsonl") and is_record_file("X.JSONL.GZ") and not is_record_file("long.txt")

    documents, rejections = build_raw_documents(files, DEFAULT_FIELDS, 1000)
    assert documents.height == 41
    assert rejections.rows()[0][:3] == ("long.txt", None, "too_large")


@pytest.mark.skipif(not NEWS_BENCH.exists(), reason="the shared benchmark corpus is not on this machine")
def test_the_first_records_of_news_bench(tmp_path):
    with gzip.open(NEWS_BENCH, "rb") as corpus:
        lines = list(itertools.islice(corpus, 200))
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as packed:
        packed.writelines(lines)
    (tmp_path / "news_bench.jsonl.gz").write_bytes(buffer.getvalue())
    documents, rejections = build_raw_documents(read_source_files(tmp_path, 2_000_000), DEFAULT_FIELDS, 2_000_000)
    assert rejections.is_empty()
    assert documents.height == 200
    assert documents["record_number"].to_list() == list(range(1, 201))
    assert documents["declared_outlet"].null_count() == 0
    records = [json.loads(line) for line in lines]
    dated = [bool(record["date"].strip()) for record in records]
    assert documents["declared_published_at"].is_not_null().to_list() == dated
    assert documents["declared_id"].to_list() == [record["id"] for record in records]
    assert documents["raw_text"].to_list() == [record["text"] for record in records]
