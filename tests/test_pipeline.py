"""End-to-end: real Dagster runs of every asset on the seeds, queried through the published file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from tests.conftest import PROJECT_ROOT


def test_definitions_validate():
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-m", "pipelines.definitions"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_lineage_runs_from_raw_documents_to_the_marts():
    import dagster as dg

    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(["marts", "entity_overview"])).parent_keys
    assert dg.AssetKey(["staging", "stg_entity_mentions"]) in upstream
    assert (
        dg.AssetKey(["core", "entity_mentions"])
        in graph.get(dg.AssetKey(["staging", "stg_entity_mentions"])).parent_keys
    )
    ancestors = graph.upstream_key_iterator(dg.AssetKey(["marts", "entity_overview"]))
    assert dg.AssetKey(["raw", "documents"]) in set(ancestors)
    assert dg.AssetKey(["marts", "entity_overview"]) in graph.get(dg.AssetKey("published_warehouse")).parent_keys


def test_seed_documents_and_languages(seed_db):
    rows = seed_db.execute("select source_path, language from core.documents order by source_path").fetchall()
    assert [path[:3] for path, _ in rows] == ["000", "001", "002", "003", "004"]
    assert [language for _, language in rows] == ["fr", "fr", "fr", "fr", "en"]
    assert seed_db.execute("select count(*) from raw.documents").fetchone()[0] == 5
    assert seed_db.execute("select count(*) from core.rejected_documents").fetchone()[0] == 0


def test_entity_offsets_point_at_their_text(seed_db):
    rows = seed_db.execute(
        "select m.field, d.text, d.credits, d.source_note, m.start_char, m.end_char, m.mention_text "
        "from core.entity_mentions m join core.documents d using (doc_id)"
    ).fetchall()
    assert len(rows) > 100
    for field, text, credits, source_note, start, end, mention in rows:
        value = {"text": text, "credits": credits, "source_note": source_note}[field]
        assert value[start:end] == mention


def test_sentences_cover_text_in_order(seed_db):
    rows = seed_db.execute(
        "select doc_id, sentence_index, start_char, end_char from core.sentences order by doc_id, sentence_index"
    ).fetchall()
    previous = {}
    for doc_id, _, start, end in rows:
        assert start < end
        assert start >= previous.get(doc_id, 0)
        previous[doc_id] = end


def test_marts_are_built(seed_db):
    n_entities = seed_db.execute("select count(*) from marts.entity_overview").fetchone()[0]
    assert n_entities == seed_db.execute("select count(*) from core.entities").fetchone()[0] > 0
    openai = seed_db.execute(
        "select n_documents, languages, mean_sentiment from marts.entity_overview where entity_name = 'OpenAI'"
    ).fetchone()
    assert openai[0] == 5 and openai[1] == ["en", "fr"] and -1 <= openai[2] <= 1


def test_every_table_and_column_is_documented(seed_db):
    missing_tables = seed_db.execute(
        "select schema_name || '.' || table_name from duckdb_tables() where comment is null "
        "union all select schema_name || '.' || view_name from duckdb_views() where not internal and comment is null"
    ).fetchall()
    missing_columns = seed_db.execute(
        "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
        "where not internal and comment is null"
    ).fetchall()
    assert missing_tables == []
    assert missing_columns == []


def test_sentences_have_no_surrounding_whitespace(seed_db):
    rows = seed_db.execute(
        "select substring(d.text, s.start_char + 1, s.end_char - s.start_char) "
        "from core.sentences s join core.documents d using (doc_id)"
    ).fetchall()
    assert rows and all(sentence == sentence.strip() for (sentence,) in rows)


def test_report_is_written_beside_the_warehouse(seed_warehouse):
    folder = seed_warehouse.parent / "report"
    chart = ElementTree.fromstring((folder / "entities.svg").read_text(encoding="utf-8"))  # well-formed
    bars = [e for e in chart.iter("{http://www.w3.org/2000/svg}rect") if e.find("{*}title") is not None]
    assert 1 <= len(bars) <= 15 and all(float(bar.get("width")) > 0 for bar in bars)
    assert "OpenAI" in "".join(chart.itertext())
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "OpenAI" in page and "entities.svg" in page and "Tone by language" in page


def test_every_table_asset_reports_row_count_and_preview(seed_run_metadata):
    SEED_RUN_METADATA = seed_run_metadata  # noqa: N806
    tables = [key for key in SEED_RUN_METADATA if key.split("/")[0] in {"raw", "prep", "core", "staging", "marts"}]
    assert len(tables) == 37
    for key in tables:
        assert "dagster/row_count" in SEED_RUN_METADATA[key], key
        assert "preview" in SEED_RUN_METADATA[key], key
    assert SEED_RUN_METADATA["core/documents"]["words_per_second"].value > 0
    assert "chart" in SEED_RUN_METADATA["report/entity_report"]


def test_asset_definitions_carry_grain_kinds_owners_and_schema():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        spec_kinds = {tag.split("/", 2)[-1] for tag in node.tags if tag.startswith("dagster/kind/")}
        assert node.description, key
        assert node.owners == ["team:news-warehouse"], key
        assert spec_kinds, key
        if key.path[0] in {"raw", "prep", "core"}:
            assert "dagster/column_schema" in node.metadata, key
