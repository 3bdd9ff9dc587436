"""The run's settings as Dagster resources: the source folder, the rules, the models, the workers.

Every field left unset (None) takes its setting from the environment when the resource is used,
with the defaults of `pipelines/settings.py`; configuring a field in the UI's launchpad or in code
overrides it for that run. The warehouse itself is `pipelines/warehouse.py`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from pydantic import Field

from pipelines.parallel import WorkerPool
from pipelines.settings import int_setting, parse_mapping, setting, worker_count
from transforms import amounts, dates, extraction, extraction_rules, quotations
from transforms.cleaning import CleaningRule, parse_rules
from transforms.entities import ENTITIES_VERSION, WatchlistEntry, parse_watchlist
from transforms.extraction_rules import EXTRACTION_VERSION, LanguageRules
from transforms.extraction_rules import parse_rules as parse_extraction_rules
from transforms.language import GUARD_VERSION, LINGUA_PACKAGE, LanguageDetector
from transforms.nlp import NlpSettings, installed_version
from transforms.records import FieldMap
from transforms.sentiment import SENTIMENT_VERSION, parse_overlay
from transforms.stories import LINKING_VERSION, LinkSettings

# Bump when a change of code changes the output of a stage, so that reruns recompute it.
CLEANING_VERSION = "cleaning-1"
ANALYSIS_VERSION = "analysis-1"


def fingerprint(*parts: object) -> str:
    """A short stable hash of the settings a stage's output depends on."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8") + b"\x1f")
    return digest.hexdigest()[:16]


class SourceFolder(dg.ConfigurableResource):
    """The folder of raw articles (NEWS_SOURCE_DIR)."""

    path: str | None = Field(default=None, description="folder scanned recursively; unset: NEWS_SOURCE_DIR")
    max_file_bytes: int | None = Field(
        default=None,
        description="larger files (a record file's records) are rejected as too_large; unset: NEWS_MAX_FILE_BYTES",
    )
    fields: str | None = Field(
        default=None,
        description="field=name pairs naming a record's fields, e.g. text=story_body,title=hed; "
        "unset: NEWS_SOURCE_FIELDS",
    )

    @property
    def root(self) -> Path:
        return Path(self.path or setting("NEWS_SOURCE_DIR")).absolute()

    @property
    def field_map(self) -> FieldMap:
        """The record field names (NEWS_SOURCE_FIELDS) before the defaults; ValueError on an unknown field."""
        return FieldMap.parse(self.fields if self.fields is not None else setting("NEWS_SOURCE_FIELDS"))

    @property
    def file_limit(self) -> int:
        return self.max_file_bytes if self.max_file_bytes is not None else int_setting("NEWS_MAX_FILE_BYTES")


class CleaningRules(dg.ConfigurableResource):
    """The user-editable cleaning rules file (NEWS_CLEANING_RULES)."""

    path: str | None = Field(default=None, description="rules file; unset: NEWS_CLEANING_RULES")

    @property
    def file(self) -> Path:
        return Path(self.path or setting("NEWS_CLEANING_RULES"))

    def load(self) -> tuple[CleaningRule, ...]:
        return parse_rules(self.file.read_text(encoding="utf-8"))

    def fingerprint(self) -> str:
        return fingerprint(CLEANING_VERSION, self.file.read_text(encoding="utf-8"))


EXTRACTION_MODULES = (extraction, extraction_rules, quotations, amounts, dates)


class ExtractionRules(dg.ConfigurableResource):
    """The quotation, amount and date rules: one `<language>.toml` per language in a folder
    (NEWS_EXTRACTION_RULES)."""

    path: str | None = Field(default=None, description="rules folder; unset: NEWS_EXTRACTION_RULES")

    @property
    def folder(self) -> Path:
        return Path(self.path or setting("NEWS_EXTRACTION_RULES"))

    def _files(self) -> list[Path]:
        return sorted(self.folder.glob("*.toml"))

    def load(self) -> dict[str, LanguageRules]:
        return {file.stem: parse_extraction_rules(file.stem, file.read_text(encoding="utf-8")) for file in self._files()}

    def fingerprint(self) -> str:
        """The rules files and the code that applies them: a change to either extracts again."""
        code = [Path(module.__file__).read_bytes() for module in EXTRACTION_MODULES]
        return fingerprint(EXTRACTION_VERSION, [(file.name, file.read_text(encoding="utf-8")) for file in self._files()], code)


class LanguageDetection(dg.ConfigurableResource):
    """Seeded langdetect settings, and the guard around it that answers 'und' (transforms/language.py)."""

    seed: int | None = Field(default=None, description="seed of langdetect's trials; unset: NEWS_LANGUAGE_SEED")
    max_chars: int = Field(default=2000, description="characters of each text langdetect reads")
    min_confidence: float = Field(default=0.90, description="below this probability the language is 'und'")
    guard: bool = Field(
        default=True, description="ask lingua whether the text is in a language langdetect lacks ('und' if so)"
    )
    guard_chars: int = Field(default=300, description="characters of each text lingua reads")
    guard_confidence: float = Field(
        default=0.9, description="lingua's confidence a language langdetect lacks needs to make the text 'und'"
    )

    @property
    def resolved_seed(self) -> int:
        return self.seed if self.seed is not None else int_setting("NEWS_LANGUAGE_SEED")

    def fingerprint(self) -> str:
        """The settings, the code around langdetect and the installed langdetect (its profiles are
        the model) and, with the guard, lingua (its models)."""
        lingua = (LINGUA_PACKAGE, installed_version(LINGUA_PACKAGE))
        guard = (GUARD_VERSION, self.guard_chars, self.guard_confidence, lingua)
        return fingerprint(
            self.resolved_seed,
            self.max_chars,
            self.min_confidence,
            ("langdetect", installed_version("langdetect")),
            guard if self.guard else "no guard",
        )

    def detector(self) -> LanguageDetector:
        return LanguageDetector(
            seed=self.resolved_seed,
            max_chars=self.max_chars,
            min_confidence=self.min_confidence,
            guard=self.guard,
            guard_chars=self.guard_chars,
            guard_confidence=self.guard_confidence,
        )


class NlpModels(dg.ConfigurableResource):
    """Which spaCy pipeline serves which language (NEWS_SPACY_MODELS), the watchlist, which
    sentiment scorer scores which language (NEWS_SENTIMENT_BACKENDS) and the overlays on their
    lexicons (NEWS_SENTIMENT_OVERLAYS)."""

    models: str | None = Field(
        default=None,
        description="language=package pairs; install another pipeline and name it here; unset: NEWS_SPACY_MODELS",
    )
    watchlist_path: str | None = Field(default=None, description="watchlist file; unset: NEWS_WATCHLIST_PATH")
    sentiment_backends: str | None = Field(
        default=None, description="language=sentiment backend pairs; unset: NEWS_SENTIMENT_BACKENDS"
    )
    sentiment_overlays_path: str | None = Field(
        default=None,
        description="folder of sentiment overlays, one <language>.toml per language; unset: NEWS_SENTIMENT_OVERLAYS",
    )
    batch_size: int = Field(default=16, description="documents per nlp.pipe batch")

    @property
    def registry(self) -> dict[str, str]:
        return parse_mapping(self.models or setting("NEWS_SPACY_MODELS"))

    def watchlist(self) -> tuple[WatchlistEntry, ...]:
        path = Path(self.watchlist_path or setting("NEWS_WATCHLIST_PATH"))
        return parse_watchlist(path.read_text(encoding="utf-8"))

    def entity_aliases(self) -> tuple[WatchlistEntry, ...]:
        """Other forms of names (`name,label,aliases`), used only to merge them in canonicalisation."""
        return parse_watchlist(Path(setting("NEWS_ENTITY_ALIASES_PATH")).read_text(encoding="utf-8"))

    def sentiment_overlays(self) -> tuple[tuple[str, str], ...]:
        """(language, text) of each overlay file, checked here so that a wrong entry fails the run
        at once, naming its file."""
        folder = Path(self.sentiment_overlays_path or setting("NEWS_SENTIMENT_OVERLAYS"))
        overlays = tuple((file.stem, file.read_text(encoding="utf-8")) for file in sorted(folder.glob("*.toml")))
        for language, text in overlays:
            try:
                parse_overlay(language, text)
            except ValueError as error:
                raise ValueError(f"{folder / (language + '.toml')}: {error}") from None
        return overlays

    def settings(self) -> NlpSettings:
        """What a worker process needs to build the pipelines and scorers itself."""
        return NlpSettings(
            models=tuple(sorted(self.registry.items())),
            watchlist=self.watchlist(),
            sentiment_backends=tuple(
                sorted(parse_mapping(self.sentiment_backends or setting("NEWS_SENTIMENT_BACKENDS")).items())
            ),
            batch_size=self.batch_size,
            sentiment_overlays=self.sentiment_overlays(),
            entity_aliases=self.entity_aliases(),
        )

    def fingerprint(self, settings: NlpSettings) -> str:
        """What an analysis depends on besides its document: code, models and their installed
        versions, watchlist, scorers, their lexicons' versions and the overlays' text."""
        return fingerprint(
            ANALYSIS_VERSION,
            ENTITIES_VERSION,
            settings.models,
            settings.watchlist,
            settings.entity_aliases,
            settings.sentiment_backends,
            settings.package_versions(),
            SENTIMENT_VERSION,
            settings.sentiment_overlays,
        )


class Workers(dg.ConfigurableResource):
    """How many worker processes the CPU-bound stages use (NEWS_WORKERS; 0 = one per core)."""

    processes: int | None = Field(default=None, description="worker processes, 0 = one per core; unset: NEWS_WORKERS")
    min_documents: int | None = Field(
        default=None,
        description="below this many new documents, work stays in the run's process; unset: NEWS_PARALLEL_MIN_DOCUMENTS",
    )
    documents_per_batch: int | None = Field(
        default=None, description="documents sent to a worker at a time; unset: NEWS_DOCUMENTS_PER_BATCH"
    )
    ray_address: str | None = Field(
        default=None,
        description="a Ray cluster to run the batches on (host:port or ray://host:port); unset: NEWS_RAY_ADDRESS, "
        "empty: the local worker processes",
    )

    def _value(self, field: int | None, name: str) -> int:
        return field if field is not None else int_setting(name)

    def backend(self) -> str:
        """Where the batches run: "local" or the Ray cluster's address."""
        address = self.ray_address if self.ray_address is not None else setting("NEWS_RAY_ADDRESS")
        return address.strip() or "local"

    @contextmanager
    def pool(self, log=None) -> Iterator[WorkerPool]:
        """A worker pool for one stage (local processes, or Ray actors when NEWS_RAY_ADDRESS is
        set), stopped when the block ends."""
        min_documents = self._value(self.min_documents, "NEWS_PARALLEL_MIN_DOCUMENTS")
        per_batch = self._value(self.documents_per_batch, "NEWS_DOCUMENTS_PER_BATCH")
        backend = self.backend()
        if backend != "local":
            from pipelines.ray_pool import RayPool  # Ray is imported only when a cluster is named

            pool = RayPool(backend, min_documents, per_batch, log=log)
        else:
            pool = WorkerPool(worker_count(self._value(self.processes, "NEWS_WORKERS")), min_documents, per_batch, log=log)
        with pool:
            yield pool


class StoryLinking(dg.ConfigurableResource):
    """The thresholds of story linking (transforms/stories.py); the defaults are LinkSettings'."""

    near_duplicate_jaccard: float = Field(
        default=LinkSettings.near_duplicate_jaccard, description="estimated 4-gram Jaccard for a near_duplicate link"
    )
    same_story_share: float = Field(
        default=LinkSettings.same_story_share, description="Jaccard of names and numbers for a same_story link"
    )
    min_shared_names: int = Field(
        default=LinkSettings.min_shared_names, description="proper names a same_story pair shares, at least"
    )
    min_word_cosine: float = Field(
        default=LinkSettings.min_word_cosine,
        description="TF-IDF cosine of the words of a same_story pair in one language, at least",
    )
    window_days: float = Field(
        default=LinkSettings.window_days, description="days apart two linked documents dated to the day may be, at most"
    )
    same_language_window_days: float = Field(
        default=LinkSettings.same_language_window_days,
        description="days apart a same_story pair in one language may be, at most",
    )

    def settings(self) -> LinkSettings:
        return LinkSettings(
            near_duplicate_jaccard=self.near_duplicate_jaccard,
            same_story_share=self.same_story_share,
            min_shared_names=self.min_shared_names,
            min_word_cosine=self.min_word_cosine,
            window_days=self.window_days,
            same_language_window_days=self.same_language_window_days,
        )

    def fingerprint(self, settings: LinkSettings) -> str:
        return fingerprint(LINKING_VERSION, settings)
