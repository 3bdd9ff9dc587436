"""Entity extraction quality on the dev gold: the project's pipeline beside the bare spaCy model.

Exact span match, per label and overall. Warehouse labels are scored as the corpora's:
PERSON → PER, ORG → ORG, LOC → LOC, and MISC, PRODUCT, EVENT → MISC. The project's label of a
mention is the one the warehouse publishes: its canonical entity's label (`canonicalise_entities`
over all mentions of the file, as a run does over its documents). The bare pipeline is the same
spaCy package with the same components and its labels mapped the same way, without the project's
watchlist ruler, line-break sentences, mention trimming, junk filter and label consistency.

Documents are split by the parity of their id's number: the `tune` half (even ids) is the one
whose errors were read while changing the code (`--errors FILE` writes them, tune half only); the
`report` half (odd ids) was only scored. The overall F1 of each half is printed after each table.

    .venv/bin/python -m benchmarks.eval_entities [--limit-docs N] [--fr-model PACKAGE] [--en-model PACKAGE]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import polars as pl
import spacy

from benchmarks.common import DEV, PROJECT_ROOT, read_jsonl
from pipelines.settings import SETTINGS, parse_mapping
from transforms.entities import LABEL_MAP, canonicalise_entities, extract_mentions, lexicon_of, parse_watchlist
from transforms.nlp import UNUSED_COMPONENTS, load_pipeline

TO_GOLD = {"PERSON": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC", "PRODUCT": "MISC", "EVENT": "MISC"}
DATASETS = {"en": "ner_en_conll2003_val.jsonl", "fr": "ner_fr_wikineural_val.jsonl"}
DEFAULT_MODELS = parse_mapping(next(s.default for s in SETTINGS if s.name == "NEWS_SPACY_MODELS"))


def half(doc_id: str) -> str:
    """`tune` for even-numbered ids, `report` for odd ones."""
    return "tune" if int(re.findall(r"\d+", doc_id)[-1]) % 2 == 0 else "report"


ALIASES = parse_watchlist((PROJECT_ROOT / "config" / "entity_aliases.csv").read_text(encoding="utf-8"))


def project_spans(nlp, documents: list[dict], watchlist) -> set[tuple]:
    """The warehouse's published spans and labels: extraction, then canonicalisation with the alias
    config and the fragment rule (the pipeline's lexicon nouns, the documents' lowercase words)."""
    _, mentions = extract_mentions(nlp, [(doc["id"], doc["text"]) for doc in documents])
    frame = pl.DataFrame(
        [(doc["id"], nlp.lang, doc["text"]) for doc in documents],
        schema={"doc_id": pl.String, "language": pl.String, "text": pl.String},
        orient="row",
    )
    resolved, _ = canonicalise_entities(
        mentions, watchlist, ALIASES, documents=frame, nouns={nlp.lang: lexicon_of(nlp).nouns}
    )
    return {
        (d, s, e, TO_GOLD[label])
        for d, s, e, label in resolved.select("doc_id", "start_char", "end_char", "label").iter_rows()
    }


def bare_spans(nlp, documents: list[dict]) -> set[tuple]:
    spans = set()
    for doc, source in zip(nlp.pipe(doc["text"] for doc in documents), documents, strict=True):
        for ent in doc.ents:
            label = LABEL_MAP.get(ent.label_)
            if label is not None:
                spans.add((source["id"], ent.start_char, ent.end_char, TO_GOLD[label]))
    return spans


def scores(predicted: set[tuple], gold: set[tuple]) -> dict[str, tuple[float, float, float, int]]:
    table = {}
    for label in ("PER", "ORG", "LOC", "MISC", "overall"):
        p = {span for span in predicted if label == "overall" or span[3] == label}
        g = {span for span in gold if label == "overall" or span[3] == label}
        hits = len(p & g)
        precision = hits / len(p) if p else 0.0
        recall = hits / len(g) if g else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = (precision, recall, f1, len(g))
    return table


def only(spans: set[tuple], part: str) -> set[tuple]:
    return {span for span in spans if half(span[0]) == part}


def write_errors(handle, language: str, documents: list[dict], predicted: set[tuple], gold: set[tuple]) -> None:
    """False alarms and misses of the tune half, one JSON line each, with the words around them."""
    texts = {doc["id"]: doc["text"] for doc in documents}
    for kind, spans in (("false_alarm", predicted - gold), ("miss", gold - predicted)):
        for doc_id, start, end, label in sorted(only(spans, "tune")):
            text = texts[doc_id]
            row = {
                "language": language,
                "kind": kind,
                "doc_id": doc_id,
                "label": label,
                "text": text[start:end],
                "context": text[max(0, start - 60) : end + 60].replace("\n", " ⏎ "),
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit-docs", type=int, default=None, help="evaluate only the first N documents per file")
    parser.add_argument(
        "--fr-model", default=DEFAULT_MODELS["fr"], help="French spaCy package (default: the project's)"
    )
    parser.add_argument(
        "--en-model", default=DEFAULT_MODELS["en"], help="English spaCy package (default: the project's)"
    )
    parser.add_argument("--languages", default="en,fr", help="languages to evaluate, comma-separated")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare pipeline")
    parser.add_argument("--errors", type=Path, default=None, help="write the tune half's errors to this JSONL file")
    args = parser.parse_args()
    models = {"en": args.en_model, "fr": args.fr_model}
    watchlist = parse_watchlist((PROJECT_ROOT / "config" / "watchlist.csv").read_text(encoding="utf-8"))
    errors = open(args.errors, "w", encoding="utf-8") if args.errors else None  # noqa: SIM115
    print("| language | label | gold | project P | project R | project F1 | bare P | bare R | bare F1 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for language in args.languages.split(","):
        model = models[language]
        documents = read_jsonl(Path(DEV) / DATASETS[language])[: args.limit_docs]
        gold = {(doc["id"], e["start"], e["end"], e["label"]) for doc in documents for e in doc["entities"]}
        words = sum(len(doc["text"].split()) for doc in documents)
        nlp = load_pipeline(model, tuple(watchlist))
        started = time.perf_counter()
        predicted = project_spans(nlp, documents, watchlist)
        project_seconds = time.perf_counter() - started
        if args.no_bare:
            bare_predicted = set()
        else:
            bare_nlp = spacy.load(model, exclude=list(UNUSED_COMPONENTS))
            if "senter" in bare_nlp.disabled:
                bare_nlp.enable_pipe("senter")
            bare_predicted = bare_spans(bare_nlp, documents)
        if errors is not None:
            write_errors(errors, language, documents, predicted, gold)
        project, bare = scores(predicted, gold), scores(bare_predicted, gold)
        for label in project:
            pp, pr, pf, n = project[label]
            bp, br, bf, _ = bare[label]
            print(f"| {language} | {label} | {n} | {pp:.3f} | {pr:.3f} | {pf:.3f} | {bp:.3f} | {br:.3f} | {bf:.3f} |")
        halves = []
        for part in ("tune", "report"):
            pf = scores(only(predicted, part), only(gold, part))["overall"][2]
            bf = scores(only(bare_predicted, part), only(gold, part))["overall"][2]
            halves.append(f"{part} {pf:.4f} vs {bf:.4f} ({100 * (pf - bf):+.1f})")
        verdict = "≥" if project["overall"][2] >= bare["overall"][2] else "<"
        print(
            f"<!-- {language} {model}: {len(documents)} documents, project {words / project_seconds:,.0f} words/s; "
            f"overall F1 project {project['overall'][2]:.4f} {verdict} bare {bare['overall'][2]:.4f} "
            f"({100 * (project['overall'][2] - bare['overall'][2]):+.1f}); {'; '.join(halves)} -->"
        )
    if errors is not None:
        errors.close()


if __name__ == "__main__":
    main()
