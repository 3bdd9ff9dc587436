"""The Python assets: ingest → prepare (clean, detect language) → analyse (NLP, sentiment).

Each asset loads its inputs, calls one transform and returns frames; the IO manager writes them to
the working DuckDB database under the schema of the asset key's prefix.
"""

import time
from collections import Counter

import dagster as dg
import polars as pl
import spacy

from pipelines import catalog
from pipelines.resources import (
    CleaningRules,
    LanguageDetection,
    NlpModels,
    RunLock,
    SentimentScorers,
    SourceFolder,
    Warehouse,
    fingerprint,
)
from pipelines.sources import read_source_files
from transforms.analysis import LanguagePipeline, analyse_documents
from transforms.documents import Prepared, prepare_documents
from transforms.entities import LINE_BREAKS
from transforms.ingest import REJECTION_SCHEMA, build_raw_documents

OWNERS = ["team:news-warehouse"]


def _out(table: catalog.Table, group: str, kinds: set[str]) -> dg.AssetOut:
    return dg.AssetOut(
        key=table.key,
        description=table.description,
        group_name=group,
        owners=OWNERS,
        kinds=kinds,
        metadata={"dagster/column_schema": table.column_schema},
    )


@dg.multi_asset(
    outs={
        "raw_documents": _out(catalog.RAW_DOCUMENTS, "ingest", {"polars", "duckdb"}),
        "raw_rejected_files": _out(catalog.RAW_REJECTED_FILES, "ingest", {"polars", "duckdb"}),
    },
    name="ingest",
)
def ingest(context: dg.AssetExecutionContext, source: SourceFolder, run_lock: RunLock):
    """Read every file of the source folder and decode it; files that cannot be read are rejected."""
    started = time.perf_counter()
    documents, rejections = build_raw_documents(read_source_files(source.root, source.max_file_bytes))
    context.log.info(
        f"{documents.height} files decoded, {rejections.height} rejected, in {time.perf_counter() - started:.2f} s"
    )
    yield dg.Output(documents, "raw_documents", metadata={"source_folder": str(source.root)})
    yield dg.Output(
        rejections, "raw_rejected_files", metadata={"reasons": dict(Counter(rejections.get_column("reason").to_list()))}
    )


@dg.multi_asset(
    outs={
        "cleaned_documents": _out(catalog.PREP_CLEANED_DOCUMENTS, "prepare", {"polars", "duckdb"}),
        "cleaning_log": _out(catalog.CLEANING_LOG, "prepare", {"polars", "duckdb"}),
        "document_links": _out(catalog.DOCUMENT_LINKS, "prepare", {"polars", "duckdb"}),
        "rejected_documents": _out(catalog.REJECTED_DOCUMENTS, "prepare", {"polars", "duckdb"}),
    },
    ins={
        "raw_documents": dg.AssetIn(key=catalog.RAW_DOCUMENTS.key),
        "raw_rejected_files": dg.AssetIn(key=catalog.RAW_REJECTED_FILES.key),
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
):
    """Deduplicate, clean (config/cleaning_rules.toml) and detect the language of each document.

    Documents prepared by an earlier run with the same rules and settings are reused, not redone."""
    started = time.perf_counter()
    previous = _previous_preparation(warehouse)
    prepared = prepare_documents(
        raw_documents,
        cleaning_rules.load(),
        language_detection.detector(),
        fingerprint=fingerprint(cleaning_rules.fingerprint(), language_detection.fingerprint()),
        previous=previous,
    )
    elapsed = time.perf_counter() - started
    documents = prepared.documents
    languages = dict(sorted(Counter(documents.get_column("language").to_list()).items()))
    yield dg.Output(
        documents.select([column.name for column in catalog.PREP_CLEANED_DOCUMENTS.columns]),
        "cleaned_documents",
        metadata={
            "documents_per_language": languages,
            "documents_cleaned_and_detected": prepared.n_processed,
            "documents_reused": prepared.n_reused,
            "documents_no_longer_in_source": documents.filter(~pl.col("present_in_source")).height,
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
        warehouse.read_previous(t)
        for t in (catalog.PREP_CLEANED_DOCUMENTS, catalog.CLEANING_LOG, catalog.DOCUMENT_LINKS)
    ]
    if any(table is None for table in tables):
        return None
    documents, log, links = tables
    return Prepared(
        documents=documents, cleaning_log=log, links=links, rejections=pl.DataFrame(), n_processed=0, n_reused=0
    )


def language_pipelines(languages: list[str], models: NlpModels) -> dict[str, LanguagePipeline]:
    """The registry's pipeline for each language, else a blank one that only splits sentences."""
    pipelines = {}
    for language in languages:
        nlp = models.pipeline(language)
        if nlp is not None:
            pipelines[language] = LanguagePipeline(models.registry[language], nlp, has_ner=True)
            continue
        try:
            blank = spacy.blank(language)
        except Exception:  # spaCy has no tokenizer for this code (or it is 'und')
            blank = spacy.blank("xx")
        blank.add_pipe("sentencizer")
        blank.add_pipe(LINE_BREAKS)
        pipelines[language] = LanguagePipeline(f"blank:{blank.lang}", blank, has_ner=False)
    return pipelines


@dg.multi_asset(
    outs={
        "documents": _out(catalog.DOCUMENTS, "analyse", {"spacy", "polars", "duckdb"}),
        "sentences": _out(catalog.SENTENCES, "analyse", {"spacy", "polars", "duckdb"}),
        "entity_mentions": _out(catalog.ENTITY_MENTIONS, "analyse", {"spacy", "polars", "duckdb"}),
        "entities": _out(catalog.ENTITIES, "analyse", {"spacy", "polars", "duckdb"}),
    },
    ins={"cleaned_documents": dg.AssetIn(key=catalog.PREP_CLEANED_DOCUMENTS.key)},
    name="analyse",
)
def analyse(
    context: dg.AssetExecutionContext,
    cleaned_documents: pl.DataFrame,
    nlp_models: NlpModels,
    sentiment_scorers: SentimentScorers,
):
    """Sentences, entity mentions and canonical entities (spaCy + watchlist), sentiment and tone."""
    started = time.perf_counter()
    languages = sorted(cleaned_documents.get_column("language").unique().to_list())
    pipelines = language_pipelines(languages, nlp_models)
    loaded = time.perf_counter()
    analysis = analyse_documents(
        cleaned_documents,
        pipelines,
        sentiment_scorers.scorers(),
        nlp_models.watchlist(),
        batch_size=nlp_models.batch_size,
        n_process=nlp_models.n_process,
    )
    elapsed = time.perf_counter() - loaded
    n_words = int(analysis.documents.get_column("n_words").sum() or 0)
    throughput = {
        "documents_per_second": round(analysis.documents.height / elapsed, 1) if elapsed else None,
        "words_per_second": round(n_words / elapsed, 1) if elapsed else None,
        "model_load_seconds": round(loaded - started, 2),
        "pipelines": {language: pipeline.name for language, pipeline in pipelines.items()},
        "documents_per_language": dict(sorted(Counter(analysis.documents.get_column("language").to_list()).items())),
    }
    documents = analysis.documents.with_columns(
        pl.lit(nlp_models.fingerprint(sentiment_scorers.backends)).alias("analysis_fingerprint")
    )
    yield dg.Output(documents.select([c.name for c in catalog.DOCUMENTS.columns]), "documents", metadata=throughput)
    yield dg.Output(analysis.sentences, "sentences")
    yield dg.Output(analysis.mentions.select([c.name for c in catalog.ENTITY_MENTIONS.columns]), "entity_mentions")
    yield dg.Output(
        analysis.entities,
        "entities",
        metadata={"labels": dict(sorted(Counter(analysis.entities.get_column("label").to_list()).items()))},
    )
