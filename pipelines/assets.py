"""The Python assets: ingest → prepare (clean, detect language) → analyse (NLP, sentiment) → link stories,
extract quotations, amounts and dates.

Each asset loads its inputs, calls one transform and returns frames; the IO manager writes them to
the working DuckDB database under the schema of the asset key's prefix.
"""

import functools
import time
from collections import Counter

import dagster as dg
import polars as pl

from pipelines.resources import (
    CleaningRules,
    ExtractionRules,
    LanguageDetection,
    NlpModels,
    SourceFolder,
    StoryLinking,
    Workers,
    fingerprint,
)
from pipelines.sources import read_source_files
from pipelines.warehouse import Warehouse
from transforms import extraction, schema, stories
from transforms.analysis import ANALYSIS_INPUTS, assemble_analysis, previous_text_analysis, reusable_documents
from transforms.documents import Prepared, prepare_documents
from transforms.ingest import REJECTION_SCHEMA, build_raw_documents
from transforms.nlp import analyse_batch, common_nouns

OWNERS = ["team:news-warehouse"]


def asset_key(table: schema.Table) -> dg.AssetKey:
    return dg.AssetKey([table.schema, table.name])


def column_schema(table: schema.Table) -> dg.TableSchema:
    """The table's columns as the Dagster UI shows them."""
    return dg.TableSchema(
        columns=[dg.TableColumn(name=c.name, type=c.sql_type, description=c.comment) for c in table.columns]
    )


def _out(table: schema.Table, group: str, kinds: set[str]) -> dg.AssetOut:
    return dg.AssetOut(
        key=asset_key(table),
        description=table.description,
        group_name=group,
        owners=OWNERS,
        kinds=kinds,
        metadata={"dagster/column_schema": column_schema(table)},
    )


@dg.multi_asset(
    outs={
        "raw_documents": _out(schema.RAW_DOCUMENTS, "ingest", {"polars", "duckdb"}),
        "raw_rejected_files": _out(schema.RAW_REJECTED_FILES, "ingest", {"polars", "duckdb"}),
    },
    name="ingest",
)
def ingest(context: dg.AssetExecutionContext, source: SourceFolder):
    """Read every file of the source folder and decode it (a record file: each record); the rest is rejected."""
    started = time.perf_counter()
    documents, rejections = build_raw_documents(
        read_source_files(source.root, source.file_limit), source.field_map, source.file_limit
    )
    context.log.info(
        f"{documents.height} documents decoded, {rejections.height} rejected, in {time.perf_counter() - started:.2f} s"
    )
    yield dg.Output(documents, "raw_documents", metadata={"source_folder": str(source.root)})
    yield dg.Output(
        rejections, "raw_rejected_files", metadata={"reasons": dict(Counter(rejections.get_column("reason").to_list()))}
    )


@dg.multi_asset(
    outs={
        "cleaned_documents": _out(schema.PREP_CLEANED_DOCUMENTS, "prepare", {"polars", "duckdb"}),
        "cleaning_log": _out(schema.CLEANING_LOG, "prepare", {"polars", "duckdb"}),
        "document_links": _out(schema.DOCUMENT_LINKS, "prepare", {"polars", "duckdb"}),
        "rejected_documents": _out(schema.REJECTED_DOCUMENTS, "prepare", {"polars", "duckdb"}),
    },
    ins={
        "raw_documents": dg.AssetIn(key=asset_key(schema.RAW_DOCUMENTS)),
        "raw_rejected_files": dg.AssetIn(key=asset_key(schema.RAW_REJECTED_FILES)),
    },
    name="prepare",
)
def prepare(
    context: dg.AssetExecutionContext,
    raw_documents: pl.DataFrame,
    raw_rejected_files: pl.DataFrame,
    cleaning_rules: CleaningRules,
    language_detection: LanguageDetection,
    warehouse: Warehouse,
    workers: Workers,
):
    """Deduplicate, clean (config/cleaning_rules.toml) and detect the language of each document.

    Documents prepared by an earlier run with the same rules and settings are reused, not redone."""
    started = time.perf_counter()
    previous = _previous_preparation(warehouse)
    with workers.pool(context.log) as pool:
        prepared = prepare_documents(
            raw_documents,
            cleaning_rules.load(),
            language_detection.detector(),
            fingerprint=fingerprint(cleaning_rules.fingerprint(), language_detection.fingerprint()),
            previous=previous,
            map_frame=functools.partial(pool.map_frame, label="prepare"),
        )
    elapsed = time.perf_counter() - started
    busy = prepared.cleaning_seconds + prepared.language_seconds
    documents = prepared.documents
    languages = dict(sorted(Counter(documents.get_column("language").to_list()).items()))
    yield dg.Output(
        schema.PREP_CLEANED_DOCUMENTS.conform(documents),
        "cleaned_documents",
        metadata={
            "documents_per_language": languages,
            "documents_cleaned_and_detected": prepared.n_processed,
            "documents_reused": prepared.n_reused,
            "documents_no_longer_in_source": documents.filter(~pl.col("present_in_source")).height,
            "worker_processes": pool.processes_used,
            "parallelism": pool.describe(),
            # wall time of the step, split between the two stages by the time workers spent on each
            "cleaning_seconds": round(elapsed * prepared.cleaning_seconds / busy, 2) if busy else 0.0,
            "language_seconds": round(elapsed * prepared.language_seconds / busy, 2) if busy else 0.0,
            "seconds": round(elapsed, 2),
        },
    )
    log = prepared.cleaning_log
    yield dg.Output(
        log,
        "cleaning_log",
        metadata={"rules_fired": dict(sorted(Counter(log.get_column("rule_id").to_list()).items()))},
    )
    yield dg.Output(prepared.links, "document_links")
    all_rejections = pl.concat([raw_rejected_files.cast(REJECTION_SCHEMA), prepared.rejections]).sort("source_path")
    yield dg.Output(all_rejections, "rejected_documents")


def _previous_preparation(warehouse: Warehouse) -> Prepared | None:
    tables = [
        warehouse.read_previous(t) for t in (schema.PREP_CLEANED_DOCUMENTS, schema.CLEANING_LOG, schema.DOCUMENT_LINKS)
    ]
    if any(table is None for table in tables):
        return None
    documents, log, links = tables
    return Prepared(
        documents=documents, cleaning_log=log, links=links, rejections=pl.DataFrame(), n_processed=0, n_reused=0
    )


@dg.multi_asset(
    outs={
        "documents": _out(schema.DOCUMENTS, "analyse", {"spacy", "polars", "duckdb"}),
        "sentences": _out(schema.SENTENCES, "analyse", {"spacy", "polars", "duckdb"}),
        "entity_mentions": _out(schema.ENTITY_MENTIONS, "analyse", {"spacy", "polars", "duckdb"}),
        "entities": _out(schema.ENTITIES, "analyse", {"spacy", "polars", "duckdb"}),
    },
    ins={"cleaned_documents": dg.AssetIn(key=asset_key(schema.PREP_CLEANED_DOCUMENTS))},
    name="analyse",
)
def analyse(
    context: dg.AssetExecutionContext,
    cleaned_documents: pl.DataFrame,
    nlp_models: NlpModels,
    warehouse: Warehouse,
    workers: Workers,
):
    """Sentences, entity mentions and canonical entities (spaCy + watchlist), sentiment and tone.

    Documents analysed by an earlier run with the same inputs, models, watchlist and scorers are
    taken over from it; only the others go through spaCy, in batches over the worker processes."""
    started = time.perf_counter()
    settings = nlp_models.settings()
    analysis_fingerprint = nlp_models.fingerprint(settings)
    previous = [warehouse.read_previous(t) for t in (schema.DOCUMENTS, schema.SENTENCES, schema.ENTITY_MENTIONS)]
    reused_ids = reusable_documents(cleaned_documents, previous[0], analysis_fingerprint)
    parts = [] if any(frame is None for frame in previous) else [previous_text_analysis(reused_ids, *previous)]
    if not parts:
        reused_ids = reused_ids.clear()
    fresh = cleaned_documents.join(reused_ids, on="doc_id", how="anti").sort("language", "doc_id")
    nlp_started = time.perf_counter()
    with workers.pool(context.log) as pool:
        parts += pool.map_frame(
            functools.partial(analyse_batch, settings=settings), fresh.select(ANALYSIS_INPUTS), label="analyse"
        )
    processes = pool.processes_used
    nlp_wall = time.perf_counter() - nlp_started
    analysis = assemble_analysis(
        cleaned_documents, parts, settings.watchlist, settings.entity_aliases, common_nouns(settings)
    )
    nlp_seconds = sum(part.nlp_seconds for part in parts)
    sentiment_seconds = sum(part.sentiment_seconds for part in parts)
    busy = nlp_seconds + sentiment_seconds
    fresh_words = int(analysis.documents.join(fresh.select("doc_id"), on="doc_id").get_column("n_words").sum() or 0)
    pipelines = {
        language: dict(settings.models).get(language, "blank")
        for language in sorted(fresh.get_column("language").unique().to_list())
    }
    metadata = {
        "documents_through_nlp": fresh.height,
        "documents_reused": reused_ids.height,
        "worker_processes": processes,
        "parallelism": pool.describe(),
        "nlp_seconds": round(nlp_wall * nlp_seconds / busy, 2) if busy else 0.0,
        "sentiment_seconds": round(nlp_wall * sentiment_seconds / busy, 2) if busy else 0.0,
        "assemble_seconds": round(time.perf_counter() - nlp_started - nlp_wall, 2),
        "words_per_second": round(fresh_words / nlp_wall, 1) if fresh.height and nlp_wall else None,
        "pipelines": pipelines,
        "documents_per_language": dict(sorted(Counter(analysis.documents.get_column("language").to_list()).items())),
        "seconds": round(time.perf_counter() - started, 2),
    }
    context.log.info(
        f"{fresh.height} documents analysed ({processes} process(es)), {reused_ids.height} reused from the last run"
    )
    documents = analysis.documents.with_columns(pl.lit(analysis_fingerprint).alias("analysis_fingerprint"))
    yield dg.Output(schema.DOCUMENTS.conform(documents), "documents", metadata=metadata)
    yield dg.Output(analysis.sentences, "sentences")
    yield dg.Output(schema.ENTITY_MENTIONS.conform(analysis.mentions), "entity_mentions")
    yield dg.Output(
        analysis.entities,
        "entities",
        metadata={"labels": dict(sorted(Counter(analysis.entities.get_column("label").to_list()).items()))},
    )


@dg.multi_asset(
    outs={
        "story_features": _out(schema.STORY_FEATURES, "stories", {"polars", "duckdb"}),
        "story_links": _out(schema.STORY_LINKS, "stories", {"polars", "duckdb"}),
        "stories": _out(schema.STORIES, "stories", {"polars", "duckdb"}),
    },
    ins={
        "documents": dg.AssetIn(key=asset_key(schema.DOCUMENTS)),
        "entity_mentions": dg.AssetIn(key=asset_key(schema.ENTITY_MENTIONS)),
    },
    name="link_stories",
)
def link_stories(
    context: dg.AssetExecutionContext,
    documents: pl.DataFrame,
    entity_mentions: pl.DataFrame,
    story_linking: StoryLinking,
    warehouse: Warehouse,
):
    """Syndicated copies (near duplicates) and stories across outlets and languages (shared names
    and numbers); new documents are compared with the existing ones through an index, not all pairs."""
    started = time.perf_counter()
    settings = story_linking.settings()
    linking_fingerprint = story_linking.fingerprint(settings)
    keyed = documents.with_columns(
        pl.concat_str(pl.lit(linking_fingerprint), pl.col("analysis_fingerprint"), separator=":").alias(
            "features_fingerprint"
        )
    )
    linked = stories.link_stories(
        keyed,
        entity_mentions,
        settings,
        previous_features=warehouse.read_previous(schema.STORY_FEATURES),
        previous_links=warehouse.read_previous(schema.STORY_LINKS),
    )
    sizes = linked.stories.group_by("story_id").agg(pl.len().alias("n"))
    context.log.info(
        f"{linked.links.height} links, {sizes.height} stories; {linked.n_compared} documents compared, "
        f"{linked.n_reused} reused"
    )
    link_types = dict(sorted(Counter(linked.links.get_column("link_type").to_list()).items()))
    yield dg.Output(
        linked.features,
        "story_features",
        metadata={"documents_compared": linked.n_compared, "documents_reused": linked.n_reused},
    )
    yield dg.Output(linked.links, "story_links", metadata={"links_by_type": link_types})
    yield dg.Output(
        linked.stories,
        "stories",
        metadata={
            "stories": sizes.height,
            "stories_with_several_documents": sizes.filter(pl.col("n") > 1).height,
            "largest_story": int(sizes.get_column("n").max() or 0),
            "seconds": round(time.perf_counter() - started, 2),
        },
    )


@dg.multi_asset(
    outs={
        "quotations": _out(schema.QUOTATIONS, "extract", {"polars", "duckdb"}),
        "amounts": _out(schema.AMOUNTS, "extract", {"polars", "duckdb"}),
        "date_mentions": _out(schema.DATE_MENTIONS, "extract", {"polars", "duckdb"}),
    },
    ins={
        "documents": dg.AssetIn(key=asset_key(schema.DOCUMENTS)),
        "sentences": dg.AssetIn(key=asset_key(schema.SENTENCES)),
        "entity_mentions": dg.AssetIn(key=asset_key(schema.ENTITY_MENTIONS)),
    },
    name="extract",
)
def extract(
    context: dg.AssetExecutionContext,
    documents: pl.DataFrame,
    sentences: pl.DataFrame,
    entity_mentions: pl.DataFrame,
    extraction_rules: ExtractionRules,
    warehouse: Warehouse,
    workers: Workers,
):
    """Quotations with their speakers, money and percentages, and dates mentioned (resolved against
    the publication date), by the rules of config/extraction/<language>.toml; new documents only,
    in batches over the worker processes."""
    started = time.perf_counter()
    with workers.pool(context.log) as pool:
        extracted = extraction.extract(
            documents,
            sentences,
            entity_mentions,
            extraction_rules.load(),
            extraction_rules.fingerprint(),
            previous=tuple(
                warehouse.read_previous(table) for table in (schema.QUOTATIONS, schema.AMOUNTS, schema.DATE_MENTIONS)
            ),
            map_batches=lambda function, frame: pool.map_frame(function, frame, label="extract"),
        )
    processes = pool.processes_used
    context.log.info(
        f"{extracted.quotations.height} quotations, {extracted.amounts.height} amounts, "
        f"{extracted.date_mentions.height} dates; {extracted.n_extracted} documents extracted, "
        f"{extracted.n_reused} reused"
    )
    resolutions = dict(sorted(Counter(extracted.quotations.get_column("speaker_resolution").to_list()).items()))
    yield dg.Output(
        extracted.quotations,
        "quotations",
        metadata={
            "documents_extracted": extracted.n_extracted,
            "documents_reused": extracted.n_reused,
            "worker_processes": processes,
            "parallelism": pool.describe(),
            "speaker_resolution": resolutions,
        },
    )
    yield dg.Output(
        extracted.amounts,
        "amounts",
        metadata={"kinds": dict(sorted(Counter(extracted.amounts.get_column("kind").to_list()).items()))},
    )
    yield dg.Output(
        extracted.date_mentions,
        "date_mentions",
        metadata={
            "status": dict(sorted(Counter(extracted.date_mentions.get_column("status").to_list()).items())),
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
