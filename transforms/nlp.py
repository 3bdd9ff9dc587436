"""Where the models load: spaCy pipelines with the watchlist ruler, sentiment scorers, and the
analysis of one batch of documents with them.

Everything is cached per process (a worker loads each pipeline once and keeps it for the run) and
built from `NlpSettings`, plain values a worker process receives with each batch.
"""

from __future__ import annotations

import functools
import importlib.metadata
from dataclasses import dataclass

import polars as pl
import spacy
from spacy.language import Language
from spacy.lookups import Lookups

from transforms.analysis import LanguagePipeline, TextAnalysis, analyse_texts_or_record_failures
from transforms.entities import LINE_BREAKS, Lexicon, WatchlistEntry, add_watchlist_ruler, set_lexicon
from transforms.sentiment import SCORER_PACKAGES, SentimentScorer, build_scorers

# spaCy components the pipeline never uses; NER and senter carry their own embeddings.
UNUSED_COMPONENTS = ("tok2vec", "tagger", "morphologizer", "parser", "attribute_ruler", "lemmatizer")


@dataclass(frozen=True)
class NlpSettings:
    """Everything a worker needs to build the analysis pipelines itself."""

    models: tuple[tuple[str, str], ...]  # (language, spaCy package)
    watchlist: tuple[WatchlistEntry, ...]
    sentiment_backends: tuple[tuple[str, str], ...]  # (language, backend)
    batch_size: int = 16
    sentiment_overlays: tuple[tuple[str, str], ...] = ()  # (language, text of its overlay file)
    entity_aliases: tuple[WatchlistEntry, ...] = ()  # config/entity_aliases.csv: merges names only

    def package_versions(self) -> tuple[tuple[str, str], ...]:
        """The installed version of spaCy, of every configured pipeline package and of every
        scorer's lexicon package: an upgrade of any of them changes the analysis."""
        packages = {"spacy", *(model for _, model in self.models)}
        packages |= {SCORER_PACKAGES[backend] for _, backend in self.sentiment_backends if backend in SCORER_PACKAGES}
        return tuple((package, installed_version(package)) for package in sorted(packages))


def installed_version(package: str) -> str:
    """The installed distribution's version, or 'not installed' (the run then fails where it loads it)."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


@functools.lru_cache(maxsize=8)
def load_pipeline(model: str, watchlist: tuple[WatchlistEntry, ...]) -> Language:
    """Load a spaCy pipeline once per process, with only senter and NER, and the watchlist ruler."""
    nlp = spacy.load(model, exclude=list(UNUSED_COMPONENTS))
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    if "senter" not in nlp.pipe_names and "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    splitter = "senter" if "senter" in nlp.pipe_names else "sentencizer"
    nlp.add_pipe(LINE_BREAKS, after=splitter)
    set_lexicon(nlp, load_lexicon(nlp))
    return add_watchlist_ruler(nlp, watchlist)


# Languages whose verbs (lemmas) are seldom also first names: a capitalised verb there is no name.
VERB_LANGUAGES = ("fr",)


def load_lexicon(nlp: Language) -> Lexicon:
    """The junk filter's common words for a loaded pipeline: its language's stop words, and the
    adverbs, verbs and other lemmas of its package's `lemmatizer/lookups` `lemma_index` table (read
    from the package's files; the lemmatizer itself does not run). Stop words only without one."""
    stop_words = frozenset(word.lower() for word in nlp.Defaults.stop_words)
    folder = nlp.path / "lemmatizer" / "lookups" if nlp.path is not None else None
    if folder is None or not folder.exists():
        return Lexicon(stop_words=stop_words)
    index = Lookups().from_disk(folder).get_table("lemma_index", {})
    parts = {}
    for part in ("adj", "adv", "noun", "verb"):
        words = index.get(part, index.get(nlp.vocab.strings.add(part)))
        parts[part] = frozenset(words or ())
    return Lexicon(
        stop_words=stop_words,
        adverbs=parts["adv"],
        verbs=parts["verb"] if nlp.lang in VERB_LANGUAGES else frozenset(),
        words=frozenset().union(*parts.values()),
        nouns=parts["noun"],
    )


@functools.lru_cache(maxsize=8)
def package_nouns(model: str) -> frozenset[str]:
    """The nouns (lowercase lemmas) of a spaCy package's `lemmatizer/lookups` `lemma_index` table,
    read from its files without loading the pipeline; empty without one."""
    from spacy.strings import StringStore

    package = spacy.util.get_package_path(model)
    folders = sorted(package.glob("*/lemmatizer/lookups")) + sorted(package.glob("lemmatizer/lookups"))
    if not folders:
        return frozenset()
    index = Lookups().from_disk(folders[0]).get_table("lemma_index", {})
    words = index.get("noun", index.get(StringStore().add("noun")))
    return frozenset(words or ())


def common_nouns(settings: NlpSettings) -> dict[str, frozenset[str]]:
    """Language → nouns of its configured pipeline's package (evidence for entity fragments)."""
    return {language: package_nouns(model) for language, model in settings.models}


@functools.lru_cache(maxsize=32)
def blank_pipeline(language: str) -> LanguagePipeline:
    """A pipeline without NER that only splits sentences, for a language without a model."""
    try:
        blank = spacy.blank(language)
    except Exception:  # spaCy has no tokenizer for this code (or it is 'und')
        blank = spacy.blank("xx")
    blank.add_pipe("sentencizer")
    blank.add_pipe(LINE_BREAKS)
    return LanguagePipeline(f"blank:{blank.lang}", blank, has_ner=False)


def language_pipelines(languages: list[str], settings: NlpSettings) -> dict[str, LanguagePipeline]:
    """The configured pipeline for each language, else a blank one that only splits sentences."""
    registry = dict(settings.models)
    pipelines = {}
    for language in languages:
        model = registry.get(language)
        if model is None:
            pipelines[language] = blank_pipeline(language)
        else:
            pipelines[language] = LanguagePipeline(model, load_pipeline(model, settings.watchlist), has_ner=True)
    return pipelines


@functools.lru_cache(maxsize=4)
def sentiment_scorers(
    backends: tuple[tuple[str, str], ...], overlays: tuple[tuple[str, str], ...] = ()
) -> dict[str, SentimentScorer]:
    """The scorers of `(language, backend)` pairs with the `(language, overlay text)` overlays,
    built once per process."""
    return build_scorers(dict(backends), dict(overlays))


def load_models(settings: NlpSettings) -> None:
    """Load every configured pipeline and scorer into this process's caches (a warm-up)."""
    for _, model in settings.models:
        load_pipeline(model, settings.watchlist)
    sentiment_scorers(settings.sentiment_backends, settings.sentiment_overlays)


def analyse_batch(batch: pl.DataFrame, settings: NlpSettings) -> TextAnalysis:
    """Analyse one batch of documents with the pipelines of their languages (run in a worker)."""
    languages = sorted(batch.get_column("language").unique().to_list())
    return analyse_texts_or_record_failures(
        batch,
        language_pipelines(languages, settings),
        sentiment_scorers(settings.sentiment_backends, settings.sentiment_overlays),
        batch_size=settings.batch_size,
    )
