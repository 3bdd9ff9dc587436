"""The news model end to end: record files, outlets and times, versions, stories (issue 16)."""

from __future__ import annotations

import gzip
import json
import shutil

import duckdb
import polars as pl

from tests.conftest import SEEDS, run_pipeline
from tests.test_stories import WIRE


def test_seed_stories(seed_db):
    stories = dict(
        seed_db.execute(
            "select d.source_path[:3], s.story_id from core.stories s join core.documents d using (doc_id)"
        ).fetchall()
    )
    assert len(stories) == 5
    assert stories["000"] == stories["004"], "000 and 004 are one story in French and English"
    assert len(set(stories.values())) == 4, "no other pair of seeds is one story"
    link = seed_db.execute("select link_type, method, score, shared_names from core.story_links").fetchall()
    assert [(kind, method) for kind, method, _, _ in link] == [("same_story", "shared_names_numbers")]
    assert {"sam altman", "rowan curran", "beatriz valle"} <= set(link[0][3])
    assert seed_db.execute("select count(*) from marts.story_overview").fetchone()[0] == 4
    pair = seed_db.execute(
        "select n_documents, n_languages from marts.story_overview where n_documents > 1"
    ).fetchall()
    assert pair == [(2, 2)]


def test_seed_outlets_and_times(seed_db):
    rows = {
        path[:3]: (outlet, source, published_at, precision, published_source, version, current)
        for path, outlet, source, published_at, precision, published_source, version, current in seed_db.execute(
            "select source_path, outlet, outlet_source, published_at, published_at_precision, published_at_source, "
            "version, is_current from core.documents"
        ).fetchall()
    }
    assert rows["000"][:2] == ("Direction informatique", "source_note")
    assert rows["000"][3:5] == ("month", "text") and rows["000"][2].year == 2023 and rows["000"][2].month == 9
    assert all(row[5:] == (1, True) for row in rows.values())


def test_a_folder_of_records_front_matter_and_a_syndicated_copy(tmp_path, monkeypatch):
    source = tmp_path / "source"
    source.mkdir()
    records = [
        {"id": "w-1", "title": "Globex to buy Initech", "body": WIRE, "pubDate": "Tue, 02 Jun 2020 09:30:00 +0200",
         "source": "Wire Service", "url": "https://wire.example/2020/06/02/globex-initech"},
        {"id": "w-2", "title": "No text here", "body": "   ", "pubDate": "2020-06-02"},
        {"id": "w-3", "title": "A bad date", "body": "Some text about markets.", "pubDate": "the day after"},
    ]
    with gzip.open(source / "wire.jsonl.gz", "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
        handle.write("not json\n")
    copy = WIRE.replace(" Bill Lumbergh, who runs Initech, will join the Globex board.", "") + " Analysts cheered."
    pl.DataFrame(
        {"headline": ["Initech sold to Globex"], "content": [copy], "date": ["2020-06-02T11:00:00Z"],
         "url": ["https://www.dailyplanet.example/business/initech?utm_source=rss"]}
    ).write_csv(source / "planet.csv")
    (source / "note.md").write_text(
        "---\ntitle: A local view\noutlet: Springfield Shopper\ndate: 2020-06-03\n---\n"
        "Springfield shrugs as Globex buys Initech.\n",
        encoding="utf-8",
    )
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    result = run_pipeline(source, warehouse, tmp_path / "home", monkeypatch)
    assert result.success
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        documents = connection.execute(
            "select source_path, title, outlet, outlet_source, cast(published_at as varchar), published_at_precision, "
            "external_id from core.documents order by source_path"
        ).fetchall()
        rejected = connection.execute(
            "select source_path, record_number, reason from core.rejected_documents order by all"
        ).fetchall()
        links = connection.execute("select link_type, method from core.story_links").fetchall()
        stories = connection.execute("select count(distinct story_id) from core.stories").fetchone()[0]
        outlets = connection.execute("select outlet, n_documents from marts.outlet_overview order by outlet").fetchall()
    assert documents == [
        ("note.md", "A local view", "Springfield Shopper", "front_matter", "2020-06-03 00:00:00", "day", None),
        ("planet.csv#1", "Initech sold to Globex", "dailyplanet.example", "url", "2020-06-02 11:00:00", "second", None),
        ("wire.jsonl.gz#1", "Globex to buy Initech", "Wire Service", "record", "2020-06-02 07:30:00", "second", "w-1"),
    ]
    assert rejected == [
        ("wire.jsonl.gz#2", 2, "no_text_field"),
        ("wire.jsonl.gz#3", 3, "bad_date"),
        ("wire.jsonl.gz#4", 4, "bad_record"),
    ]
    assert links == [("near_duplicate", "minhash_jaccard")], "the wire copy and the paper's edit are one story"
    assert stories == 2
    assert ("Wire Service", 1) in outlets and ("dailyplanet.example", 1) in outlets


def test_editing_a_seed_adds_a_version_and_leaves_the_marts_counts(tmp_path, monkeypatch):
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    assert run_pipeline(source, warehouse, tmp_path / "home", monkeypatch).success
    counts = {
        "coverage_by_language": "select language, n_documents from marts.coverage_by_language order by all",
        "document_overview": "select count(*) from marts.document_overview",
        "story_overview": "select n_documents, n_languages from marts.story_overview order by all",
        "entity_overview": "select entity_name, n_documents, n_mentions from marts.entity_overview order by all",
    }

    def read() -> dict:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            return {name: connection.execute(query).fetchall() for name, query in counts.items()}

    before = read()
    edited = next(path for path in sorted(source.iterdir()) if path.name.startswith("001"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\nCet article a été mis à jour par la rédaction.\n", "utf-8")
    assert run_pipeline(source, warehouse, tmp_path / "home", monkeypatch).success

    assert read() == before
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select count(*) from core.documents where is_current").fetchone()[0] == 5
        versions = connection.execute(
            "select version, is_current, present_in_source, superseded_by is not null from core.documents "
            "where source_path = ? order by version",
            [edited.name],
        ).fetchall()
        chain = connection.execute(
            "select count(*) from core.documents old join core.documents new on old.superseded_by = new.doc_id "
            "where old.article_id = new.article_id and new.version = old.version + 1"
        ).fetchone()[0]
    assert versions == [(1, False, False, True), (2, True, True, False)]
    assert chain == 1
