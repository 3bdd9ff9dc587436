"""Syndicated copies and stories: which current documents carry the same story, across outlets and languages.

Two kinds of link, both between current documents:

- `near_duplicate`: nearly the same text (wire copy carried by several outlets, lightly edited).
  Found with MinHash over word 4-grams and locality-sensitive hashing (bands of the signature);
  scored by the estimated Jaccard share of 4-grams.
- `same_story`: the same report in another language or rewritten. Names and figures survive
  translation where vocabulary does not, so the evidence is the set of proper names (entity
  mentions) and numbers two documents share; the score is their Jaccard share (shared over
  either). Shared names are not enough on a wire where one press conference, or one kind of
  announcement by several companies, gives many reports with the same names: each document's
  most salient name (its mentions times the name's rarity) must be one the other document holds,
  and documents in one language must also share their vocabulary (TF-IDF cosine of their words).
- Publication times, where both are known: near duplicates within `window_days` (a recurring
  report of the same template a week later is not a copy), same-story links across languages
  within `window_days`, in one language within `same_language_window_days` (a wire's follow-up
  the next days is another development).

Candidates come from inverted indexes (LSH bands, names and numbers), so a run compares its new
documents with all current ones, never all pairs. Stories are the clusters of links, merged in
order of score only while most pairs across the two clusters are linked, so that one generic
article cannot chain unrelated stories together.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import polars as pl

from transforms.schema import STORIES, STORY_FEATURES, STORY_LINKS

LINKING_VERSION = "stories-3"
FEATURE_SCHEMA = STORY_FEATURES.polars_schema
LINK_SCHEMA = STORY_LINKS.polars_schema
STORY_SCHEMA = STORIES.polars_schema


@dataclass(frozen=True)
class LinkSettings:
    """The thresholds of story linking (set in the StoryLinking resource, documented in the README)."""

    num_perm: int = 64  # MinHash functions
    bands: int = 16  # LSH bands of num_perm / bands rows each
    shingle_words: int = 4
    near_duplicate_jaccard: float = 0.6  # estimated 4-gram Jaccard at or above: near_duplicate
    min_shingles: int = 20  # texts with fewer 4-grams are too short to call copies
    same_story_share: float = 0.4  # Jaccard share of the names and numbers either document holds
    min_shared: int = 5  # names and numbers both documents hold, at least
    min_shared_names: int = 3  # of which proper names, at least
    min_word_cosine: float = 0.45  # same-language same_story pairs: TF-IDF cosine of their words
    window_days: float = 3.0  # documents dated to the day or better must be this close
    same_language_window_days: float = 0.75  # ... and this close (18 h) for a same_story link in one language
    index_max_documents: int = 200  # names or numbers in more documents than this do not propose candidates
    merge_share: float = 0.5  # clusters merge when more than this share of their cross pairs are linked


# A document's features depend on these alone (its text and mentions through the fingerprint).
_FEATURE_INPUTS = ("doc_id", "language", "published_at", "published_at_precision", "features_fingerprint")
_WORD = re.compile(r"\w+", re.UNICODE)
_VOCABULARY_WORD = r"[^\W\d_]{3,}"  # words of the vocabulary vector: three letters or more
_NUMBER = re.compile(r"\b\d+(?:[.,\u00a0\u202f ]\d+)*\b")
_NAME_LABELS = ("PERSON", "ORG", "LOC", "PRODUCT", "EVENT")
_GRAM_SEED = 20240917
_PRIME = np.uint64(4294967291)  # largest prime under 2**32: hash values fit a uint32


def fold(text: str) -> str:
    """Lower case, accents removed, spaces collapsed: `Élysée` and `elysee` are one name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("’", "'").split())


def normalise_number(token: str) -> str | None:
    """`155,221`, `155 221` and `155.221` are 155221; `1,5` and `1.5` are 1.5. None for numbers that
    carry no evidence: whole numbers under 10, and plain years (1900–2099)."""
    groups = re.split(r"[.,\u00a0\u202f ]", token)
    if len(groups) > 1 and all(len(group) == 3 for group in groups[1:]):
        value = "".join(groups)
    elif len(groups) == 2:
        value = f"{groups[0]}.{groups[1]}"
    else:
        value = groups[0] if len(groups) == 1 else "".join(groups)
    value = value.lstrip("0") or "0"
    if value.startswith("."):
        value = "0" + value
    whole = value.split(".")[0]
    if "." not in value and (len(whole) < 2 or (len(whole) == 4 and 1900 <= int(whole) <= 2099)):
        return None
    return value


def text_numbers(text: str) -> list[str]:
    return document_numbers(pl.Series([text], dtype=pl.String))[0]


def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(20240917)  # fixed: signatures must not change between runs
    a = generator.integers(1, 2**31, size=num_perm, dtype=np.uint64)
    b = generator.integers(0, 2**31, size=num_perm, dtype=np.uint64)
    return a, b


def minhash_signatures(texts: pl.Series, words: int, num_perm: int) -> tuple[list[list[int]], list[int]]:
    """MinHash signatures of the word `words`-grams of each text (lower case), and how many distinct
    grams each has. Grams are hashed by Polars (stable for a given Polars version, which the caller's
    fingerprint names), then permuted as h -> (a*h + b) mod p, the minimum kept per function."""
    frame = pl.DataFrame({"text": texts.fill_null("")}).with_row_index("document")
    tokens = frame.select(
        "document", pl.col("text").str.to_lowercase().str.extract_all(_WORD.pattern).alias("word")
    ).explode("word")
    grams = (
        tokens.with_columns(
            pl.concat_str([pl.col("word").shift(-k).over("document") for k in range(words)], separator=" ").alias(
                "gram"
            )
        )
        .drop_nulls("gram")
        .select("document", (pl.col("gram").hash(seed=_GRAM_SEED) & 0xFFFFFFFF).alias("hash"))
        .unique()
        .sort("document", "hash")
    )
    counts = grams.group_by("document").agg(pl.len().alias("n")).sort("document")
    n_grams = [0] * texts.len()
    for document, n in counts.iter_rows():
        n_grams[document] = n
    signatures = [[int(_PRIME)] * num_perm for _ in range(texts.len())]
    if grams.height:
        documents = grams.get_column("document").to_numpy()
        hashes = grams.get_column("hash").to_numpy().astype(np.uint64)
        starts = np.flatnonzero(np.r_[True, documents[1:] != documents[:-1]])
        owners = documents[starts]
        a, b = _permutations(num_perm)
        table = np.empty((len(starts), num_perm), dtype=np.uint32)
        for index in range(num_perm):  # a < 2**31, hash < 2**32: no overflow in uint64
            table[:, index] = np.minimum.reduceat((hashes * a[index] + b[index]) % _PRIME, starts)
        for owner, row in zip(owners.tolist(), table.tolist(), strict=True):
            signatures[owner] = row
    return signatures, n_grams


def document_numbers(texts: pl.Series) -> list[list[str]]:
    """The evidence numbers of each text (see `normalise_number`), sorted."""
    found = pl.DataFrame({"text": texts.fill_null("")}).select(pl.col("text").str.extract_all(_NUMBER.pattern))
    lists = found.get_column("text").to_list()
    normalised = {token: normalise_number(token.strip()) for tokens in lists for token in tokens}
    return [sorted({normalised[t] for t in tokens if normalised[t]}) for tokens in lists]


def document_words(texts: pl.Series) -> pl.DataFrame:
    """Each text's vocabulary: `words` (distinct, lower case, letters only, three or more, sorted)
    and `word_counts` (occurrences of each), one row per text in order."""
    found = (
        pl.DataFrame({"text": texts.fill_null("")})
        .with_row_index("document")
        .select("document", pl.col("text").str.to_lowercase().str.extract_all(_VOCABULARY_WORD).alias("word"))
        .explode("word")
        .drop_nulls("word")
        .group_by("document", "word")
        .agg(pl.len().cast(pl.Int32).alias("n"))
        .sort("document", "word")
        .group_by("document", maintain_order=True)
        .agg(pl.col("word").alias("words"), pl.col("n").alias("word_counts"))
    )
    every = pl.DataFrame({"document": pl.arange(0, texts.len(), eager=True).cast(pl.UInt32)})
    return (
        every.join(found, on="document", how="left")
        .sort("document")
        .select(
            pl.col("words").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("word_counts").fill_null(pl.lit([], dtype=pl.List(pl.Int32))),
        )
    )


def document_features(documents: pl.DataFrame, mentions: pl.DataFrame, settings: LinkSettings) -> pl.DataFrame:
    """One STORY_FEATURES row per document (`doc_id`, `language`, `text`, `published_at`,
    `published_at_precision`, `features_fingerprint`); `mentions` are its entity mentions (`doc_id`,
    `field`, `label`, `mention_text`)."""
    names = (
        mentions.filter(pl.col("field") == "text", pl.col("label").is_in(_NAME_LABELS))
        .select("doc_id", pl.col("mention_text").map_elements(fold, return_dtype=pl.String).alias("name"))
        .filter(pl.col("name").str.len_chars() > 1)
        .group_by("doc_id", "name")
        .agg(pl.len().cast(pl.Int32).alias("n"))
        .sort("doc_id", "name")
        .group_by("doc_id", maintain_order=True)
        .agg(pl.col("name").alias("names"), pl.col("n").alias("name_counts"))
    )
    texts = documents.get_column("text")
    signatures, n_grams = minhash_signatures(texts, settings.shingle_words, settings.num_perm)
    frame = pl.concat(
        [
            documents.select(
                "doc_id", "language", "published_at", "published_at_precision", "features_fingerprint"
            ).with_columns(
                pl.Series("n_shingles", n_grams, dtype=pl.Int32),
                pl.Series("minhash", signatures, dtype=pl.List(pl.UInt32)),
                pl.Series("numbers", document_numbers(texts), dtype=pl.List(pl.String)),
            ),
            document_words(texts),
        ],
        how="horizontal",
    )
    return (
        frame.join(names, on="doc_id", how="left")
        .with_columns(
            pl.col("names").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("name_counts").fill_null(pl.lit([], dtype=pl.List(pl.Int32))),
        )
        .select(list(FEATURE_SCHEMA))
        .cast(FEATURE_SCHEMA)
        .sort("doc_id")
    )


def _pairs_sharing(
    new: pl.DataFrame, everyone: pl.DataFrame, max_documents: int, at_least: int = 1
) -> pl.DataFrame:
    """Pairs (doc_id_a < doc_id_b) of a new document and any document holding `at_least` common
    tokens, counting tokens held by at most `max_documents` documents."""
    frequency = everyone.group_by("token").agg(pl.len().alias("df"))
    usable = everyone.join(frequency.filter(pl.col("df") <= max_documents), on="token", how="semi")
    pairs = (
        new.join(usable, on="token", how="inner", suffix="_other")
        .filter(pl.col("doc_id") != pl.col("doc_id_other"))
        .select(
            pl.min_horizontal("doc_id", "doc_id_other").alias("doc_id_a"),
            pl.max_horizontal("doc_id", "doc_id_other").alias("doc_id_b"),
            "token",
        )
        .unique()
        .group_by("doc_id_a", "doc_id_b")
        .agg(pl.len().alias("shared"))
        .filter(pl.col("shared") >= at_least)
        .select("doc_id_a", "doc_id_b")
    )
    return pairs


def _dated(precision: str | None) -> bool:
    return precision in ("second", "day")


def find_links(
    features: pl.DataFrame, new_ids: list[str], settings: LinkSettings
) -> pl.DataFrame:
    """Links between the documents `new_ids` and every document of `features` (new ones included)."""
    if not new_ids or features.height < 2:
        return pl.DataFrame(schema=LINK_SCHEMA)
    new_set = pl.Series(new_ids, dtype=pl.String).implode()
    rows_per_band = settings.num_perm // settings.bands
    bands = (
        features.filter(pl.col("n_shingles") >= settings.min_shingles)
        .select(
            "doc_id",
            "language",
            pl.concat_list(
                [
                    pl.format(
                        "{}:{}",
                        pl.lit(band),
                        pl.col("minhash").list.slice(band * rows_per_band, rows_per_band).list.eval(
                            pl.element().cast(pl.String)
                        ).list.join("."),
                    )
                    for band in range(settings.bands)
                ]
            ).alias("token"),
        )
        .explode("token")
        .select("doc_id", pl.format("{}|{}", "language", "token").alias("token"))
    )
    # Names propose candidates (numbers alone are too common); the pair is then scored on both.
    evidence = features.select("doc_id", pl.col("names").alias("token")).explode("token").drop_nulls()
    # LSH buckets of identical bands are not capped: copies of one wire story are all candidates.
    candidates = pl.concat(
        [
            _pairs_sharing(bands.filter(pl.col("doc_id").is_in(new_set)), bands, max_documents=features.height),
            _pairs_sharing(
                evidence.filter(pl.col("doc_id").is_in(new_set)),
                evidence,
                max_documents=settings.index_max_documents,
                at_least=min(2, settings.min_shared_names),
            ),
        ]
    ).unique().sort("doc_id_a", "doc_id_b")
    if not candidates.height:
        return pl.DataFrame(schema=LINK_SCHEMA)

    involved = pl.concat([candidates.get_column("doc_id_a"), candidates.get_column("doc_id_b")]).unique().implode()
    name_idf, word_idf = _idf(features, "names"), _idf(features, "words")
    by_id = {
        row["doc_id"]: _comparable(row, name_idf, word_idf)
        for row in features.filter(pl.col("doc_id").is_in(involved)).iter_rows(named=True)
    }
    links = []
    for doc_a, doc_b in candidates.iter_rows():
        link = score_pair(by_id[doc_a], by_id[doc_b], settings)
        if link is not None:
            links.append({"doc_id_a": doc_a, "doc_id_b": doc_b, **link})
    return pl.DataFrame(links, schema=LINK_SCHEMA).sort("doc_id_a", "doc_id_b")


def _idf(features: pl.DataFrame, column: str) -> dict[str, float]:
    """log(1 + documents / documents holding it) of every token of the list column `column`:
    rarity that stays above 0, so that on a handful of documents a name they all hold still counts."""
    n = features.height
    frequency = features.select(pl.col(column).alias("token")).explode("token").drop_nulls().group_by("token").len()
    return {token: math.log(1 + n / df) for token, df in frequency.iter_rows()}


def _comparable(row: dict, name_idf: dict[str, float], word_idf: dict[str, float]) -> dict:
    """A features row as `score_pair` compares it: sets of names and numbers, the most salient
    name (mentions times rarity; ties by name), and the TF-IDF vector of its words (unit length)."""
    counts = dict(zip(row["names"], row["name_counts"], strict=True))
    salient = min(counts, key=lambda name: (-counts[name] * name_idf.get(name, 0.0), name)) if counts else None
    vector = {
        word: (1 + math.log(n)) * word_idf.get(word, 0.0)
        for word, n in zip(row["words"], row["word_counts"], strict=True)
    }
    norm = math.sqrt(sum(weight * weight for weight in vector.values()))
    return {
        **row,
        "minhash": np.asarray(row["minhash"], dtype=np.uint32),
        "names": frozenset(row["names"]),
        "numbers": frozenset(row["numbers"]),
        "salient_name": salient,
        "vector": {word: weight / norm for word, weight in vector.items() if weight} if norm else {},
    }


def word_cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two unit-length sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b.get(word, 0.0) for word, weight in a.items())


def _days_apart(a: dict, b: dict) -> float | None:
    """Days between two documents' publication times when both are known to the day or better;
    calendar days when either is known to the day only. None when either is not."""
    if not (_dated(a["published_at_precision"]) and _dated(b["published_at_precision"])):
        return None
    if a["published_at_precision"] == "second" and b["published_at_precision"] == "second":
        return abs((a["published_at"] - b["published_at"]).total_seconds()) / 86400
    return float(abs((a["published_at"].date() - b["published_at"].date()).days))


def score_pair(a: dict, b: dict, settings: LinkSettings) -> dict | None:
    """The link between two documents (rows of `_comparable`), or None when they carry different stories."""
    signature_a, signature_b = a["minhash"], b["minhash"]
    same_language = a["language"] == b["language"]
    comparable = (
        same_language
        and min(a["n_shingles"], b["n_shingles"]) >= settings.min_shingles
        and len(signature_a) == len(signature_b)
    )
    jaccard = float(np.count_nonzero(signature_a == signature_b)) / len(signature_a) if comparable else None
    names = sorted(a["names"] & b["names"])
    numbers = sorted(a["numbers"] & b["numbers"])
    common = {"shared_names": names, "shared_numbers": numbers, "shingle_share": jaccard}
    apart = _days_apart(a, b)
    if apart is not None and apart > settings.window_days:
        return None
    if jaccard is not None and jaccard >= settings.near_duplicate_jaccard:
        return {"link_type": "near_duplicate", "method": "minhash_jaccard", "score": round(jaccard, 4), **common}
    if same_language and apart is not None and apart > settings.same_language_window_days:
        return None
    shared = len(names) + len(numbers)
    either = len(a["names"]) + len(a["numbers"]) + len(b["names"]) + len(b["numbers"]) - shared
    if shared < settings.min_shared or len(names) < settings.min_shared_names or not either:
        return None
    share = shared / either
    if share < settings.same_story_share:
        return None
    if a["salient_name"] not in b["names"] or b["salient_name"] not in a["names"]:
        return None  # not about the same subject
    if same_language and word_cosine(a["vector"], b["vector"]) < settings.min_word_cosine:
        return None
    return {"link_type": "same_story", "method": "shared_names_numbers", "score": round(share, 4), **common}


def story_id(first_doc_id: str) -> str:
    return hashlib.sha256(f"story\x1f{first_doc_id}".encode()).hexdigest()[:16]


def build_stories(documents: pl.DataFrame, links: pl.DataFrame, merge_share: float = 0.5) -> pl.DataFrame:
    """Every document of `documents` (`doc_id`, `published_at`) in exactly one story.

    Links are taken strongest first (near duplicates, then by score, then by ids); two clusters
    merge when more than `merge_share` of the pairs across them are linked, so a document linked
    to two unrelated stories joins one of them and does not chain them. A story's id is a hash of
    its earliest published document (then lowest doc_id): it does not depend on row order."""
    doc_ids = documents.get_column("doc_id").to_list()
    cluster_of = {doc_id: doc_id for doc_id in doc_ids}
    members: dict[str, set[str]] = {doc_id: {doc_id} for doc_id in doc_ids}
    neighbours: dict[str, set[str]] = defaultdict(set)
    known = set(doc_ids)
    present = pl.Series(doc_ids, dtype=pl.String).implode()
    ordered = links.filter(pl.col("doc_id_a").is_in(present) & pl.col("doc_id_b").is_in(present)).sort(
        [pl.col("link_type") != "near_duplicate", pl.col("score"), "doc_id_a", "doc_id_b"],
        descending=[False, True, False, False],
    )
    for doc_a, doc_b in ordered.select("doc_id_a", "doc_id_b").iter_rows():
        if doc_a in known and doc_b in known:
            neighbours[doc_a].add(doc_b)
            neighbours[doc_b].add(doc_a)
    for doc_a, doc_b in ordered.select("doc_id_a", "doc_id_b").iter_rows():
        left, right = cluster_of[doc_a], cluster_of[doc_b]
        if left == right:
            continue
        small, large = sorted((left, right), key=lambda c: (len(members[c]), c))
        linked = sum(len(neighbours[doc] & members[large]) for doc in members[small])
        if linked <= merge_share * len(members[small]) * len(members[large]):
            continue
        for doc in members[small]:
            cluster_of[doc] = large
        members[large] |= members.pop(small)

    order = documents.select("doc_id", "published_at").sort(["published_at", "doc_id"], nulls_last=True)
    rank = {doc_id: position for position, doc_id in enumerate(order.get_column("doc_id").to_list())}
    rows = []
    for cluster in members.values():
        first = min(cluster, key=rank.__getitem__)
        identifier = story_id(first)
        rows.extend({"story_id": identifier, "doc_id": doc, "n_documents": len(cluster)} for doc in cluster)
    return pl.DataFrame(rows, schema=STORY_SCHEMA).sort("story_id", "doc_id")


@dataclass(frozen=True)
class Linked:
    features: pl.DataFrame
    links: pl.DataFrame
    stories: pl.DataFrame
    n_compared: int  # documents whose links were (re)computed this run
    n_reused: int  # documents whose features and links came from the last run


def link_stories(
    documents: pl.DataFrame,
    mentions: pl.DataFrame,
    settings: LinkSettings,
    previous_features: pl.DataFrame | None = None,
    previous_links: pl.DataFrame | None = None,
) -> Linked:
    """Features, links and stories of the current documents of `documents` (core.documents rows
    with a `features_fingerprint`, which the caller derives from the linking settings and the
    document's analysis).

    A document whose features the last run computed with the same fingerprint is not featurised
    again, and its links to other such documents are kept; only new documents are compared, against
    every current one. The result is the same as linking everything afresh."""
    current = documents.filter(pl.col("is_current")).sort("doc_id")
    reusable = (
        previous_features.join(
            current.select(*_FEATURE_INPUTS),
            on=list(_FEATURE_INPUTS),
            how="semi",
            nulls_equal=True,
        )
        if previous_features is not None
        else pl.DataFrame(schema=FEATURE_SCHEMA)
    )
    fresh_documents = current.join(reusable.select("doc_id"), on="doc_id", how="anti")
    fresh = document_features(
        fresh_documents, mentions.join(fresh_documents.select("doc_id"), on="doc_id", how="semi"), settings
    )
    features = pl.concat([reusable.select(list(FEATURE_SCHEMA)).cast(FEATURE_SCHEMA), fresh]).sort("doc_id")
    reused_ids = reusable.get_column("doc_id").implode()
    kept = (
        previous_links.filter(pl.col("doc_id_a").is_in(reused_ids), pl.col("doc_id_b").is_in(reused_ids))
        if previous_links is not None
        else pl.DataFrame(schema=LINK_SCHEMA)
    )
    new = find_links(features, fresh.get_column("doc_id").to_list(), settings)
    links = pl.concat([kept.select(list(LINK_SCHEMA)).cast(LINK_SCHEMA), new]).unique(
        subset=["doc_id_a", "doc_id_b"], keep="first"
    ).sort("doc_id_a", "doc_id_b")
    stories = build_stories(current.select("doc_id", "published_at"), links, settings.merge_share)
    return Linked(features, links, stories, n_compared=fresh.height, n_reused=reusable.height)
