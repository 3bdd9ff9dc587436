"""Blocking asset checks on the Python assets: bad data stops before the marts and the publish."""

import dagster as dg

from pipelines.assets import asset_key
from pipelines.warehouse import Warehouse
from transforms import schema

ISO_639_1_OR_UND = "^([a-z]{2}|und)$"


def _count(warehouse: Warehouse, query: str, parameters: list | None = None) -> int:
    with warehouse.connect(read_only=True) as connection:
        return int(connection.execute(query, parameters or []).fetchone()[0])


def _sample(warehouse: Warehouse, query: str, parameters: list | None = None, limit: int = 10) -> list:
    with warehouse.connect(read_only=True) as connection:
        return [list(row) for row in connection.execute(f"{query} limit {int(limit)}", parameters or []).fetchall()]


@dg.asset_check(asset=asset_key(schema.DOCUMENTS), blocking=True, description="doc_id identifies exactly one document.")
def documents_have_unique_ids(warehouse: Warehouse) -> dg.AssetCheckResult:
    query = "select doc_id, count(*) from core.documents group by doc_id having count(*) > 1"
    duplicates = _sample(warehouse, query)
    return dg.AssetCheckResult(
        passed=not duplicates,
        metadata={"duplicated_doc_ids": [row[0] for row in duplicates], "threshold": 0},
    )


@dg.asset_check(asset=asset_key(schema.DOCUMENTS), blocking=True, description="language is an ISO 639-1 code or 'und'.")
def documents_have_valid_languages(warehouse: Warehouse) -> dg.AssetCheckResult:
    query = "select doc_id, language from core.documents where not regexp_full_match(coalesce(language, ''), ?)"
    bad = _sample(warehouse, query, [ISO_639_1_OR_UND])
    return dg.AssetCheckResult(passed=not bad, metadata={"offending_documents": bad, "pattern": ISO_639_1_OR_UND})


@dg.asset_check(
    asset=asset_key(schema.REJECTED_DOCUMENTS),
    blocking=True,
    additional_deps=[
        asset_key(schema.DOCUMENTS),
        asset_key(schema.RAW_DOCUMENTS),
        asset_key(schema.RAW_REJECTED_FILES),
    ],
    description="Every input file is either a document or a rejected document.",
)
def every_input_file_is_accounted_for(warehouse: Warehouse) -> dg.AssetCheckResult:
    input_files = _count(
        warehouse, "select (select count(*) from raw.documents) + (select count(*) from raw.rejected_files)"
    )
    outcomes = _count(
        warehouse,
        "select (select count(*) from core.documents where present_in_source) + (select count(*) from core.rejected_documents)",
    )
    return dg.AssetCheckResult(
        passed=input_files == outcomes,
        metadata={"input_files": input_files, "documents_plus_rejected": outcomes},
    )


@dg.asset_check(
    asset=asset_key(schema.ENTITY_MENTIONS),
    blocking=True,
    additional_deps=[asset_key(schema.DOCUMENTS)],
    description="Every mention's offsets point at its text in core.documents (text, credits or source_note).",
)
def mention_offsets_point_at_their_text(warehouse: Warehouse) -> dg.AssetCheckResult:
    query = """
        select m.doc_id, m.start_char, m.end_char, m.mention_text
        from core.entity_mentions as m
        left join core.documents as d on m.doc_id = d.doc_id
        where d.doc_id is null
           or substring(
                  case m.field when 'text' then d.text when 'credits' then d.credits when 'source_note' then d.source_note end,
                  m.start_char + 1,
                  m.end_char - m.start_char
              ) is distinct from m.mention_text
    """
    bad = _sample(warehouse, query)
    return dg.AssetCheckResult(passed=not bad, metadata={"offending_mentions": bad, "threshold": 0})


@dg.asset_check(asset=asset_key(schema.SENTENCES), blocking=True, description="Sentence sentiment lies within -1…1.")
def sentence_sentiment_in_range(warehouse: Warehouse) -> dg.AssetCheckResult:
    query = "select doc_id, sentence_index, sentiment from core.sentences where sentiment not between -1 and 1"
    bad = _sample(warehouse, query)
    return dg.AssetCheckResult(passed=not bad, metadata={"offending_sentences": bad, "range": "[-1, 1]"})


CHECKS = [
    documents_have_unique_ids,
    documents_have_valid_languages,
    every_input_file_is_accounted_for,
    mention_offsets_point_at_their_text,
    sentence_sentiment_in_range,
]
