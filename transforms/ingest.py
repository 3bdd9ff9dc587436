"""Turn the bytes of source files into decoded raw documents, or into rejections with a reason."""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass

import charset_normalizer
import polars as pl

from transforms.records import (
    DEFAULT_FIELDS,
    FieldMap,
    RecordRejection,
    declared_values,
    is_record_file,
    read_records,
    split_front_matter,
)
from transforms.schema import RAW_DOCUMENTS, REJECTED_DOCUMENTS

RAW_DOCUMENT_SCHEMA = RAW_DOCUMENTS.polars_schema
REJECTION_SCHEMA = REJECTED_DOCUMENTS.polars_schema

# File signatures of common binary formats that end up in news exports with a text name.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"RIFF", "RIFF container (WebP, WAV, AVI)"),
    (b"PK\x03\x04", "ZIP archive (or DOCX/XLSX)"),
    (b"%PDF-", "PDF document"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x7fELF", "ELF executable"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# Tie-break between legacy encodings that decode a text equally well.
_PREFERRED_LEGACY_ENCODINGS = ("cp1252", "latin_1", "iso8859_15", "cp1250", "cp1251", "iso8859_2")


def _preference(encoding: str) -> int:
    name = codecs.lookup(encoding).name.replace("-", "_")
    normalised = [codecs.lookup(e).name.replace("-", "_") for e in _PREFERRED_LEGACY_ENCODINGS]
    return normalised.index(name) if name in normalised else len(normalised)


@dataclass(frozen=True)
class Rejection(Exception):
    """A file that cannot become a document: `reason` is a stable code, `detail` is for people."""

    reason: str
    detail: str


def content_id(raw: bytes) -> str:
    """The document id: sha256 hex of the raw bytes, so the same content always gets the same id."""
    return hashlib.sha256(raw).hexdigest()


def decode_document(raw: bytes) -> tuple[str, str]:
    """Decode the bytes of a text file, returning `(text, encoding)`.

    Byte-order marks win; then strict UTF-8; then a statistical guess (charset-normalizer) for
    legacy encodings such as Latin-1 or Windows-1252. Raises `Rejection` for empty, binary or
    undecodable content, never returns text with replacement characters.
    """
    if not raw:
        raise Rejection("empty", "the file has no bytes")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError as error:
                raise Rejection("undecodable", f"{encoding} byte-order mark but invalid {encoding}: {error}") from error
    for signature, kind in _BINARY_SIGNATURES:
        if raw.startswith(signature):
            raise Rejection("binary", f"content is a {kind}, not text")
    if b"\x00" in raw[:65536]:
        raise Rejection("binary", "content has NUL bytes and no UTF-16/32 byte-order mark")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = list(charset_normalizer.from_bytes(raw[:1_000_000]))
    if not candidates:
        raise Rejection("undecodable", "not UTF-8 and no legacy encoding fits the bytes")
    # Lowest chaos, then highest language coherence; ties (short texts often fit several code
    # pages equally) go to the encodings Western news exports use most.
    best = min(
        candidates,
        key=lambda match: (
            round(match.chaos, 3),
            -round(match.coherence, 3),
            _preference(match.encoding),
            match.encoding,
        ),
    )
    encoding = codecs.lookup(best.encoding).name
    try:
        return raw.decode(encoding), encoding
    except UnicodeDecodeError as error:
        raise Rejection("undecodable", f"guessed {encoding} but the bytes do not decode: {error}") from error


def build_raw_documents(
    files: pl.DataFrame, fields: FieldMap = DEFAULT_FIELDS, max_record_bytes: int | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split read source files into raw documents and rejections.

    `files` has `source_path` (str), `content` (binary, null when the file could not be read),
    `read_reason` (a reason code) and `read_error` (a sentence) for files that could not be read.
    Record files (JSON Lines, CSV, Parquet: `transforms/records.py`) give one document per record,
    `source_path` `path#n`, their fields named by `fields`; a record whose text is over
    `max_record_bytes` bytes is rejected as `too_large`. Text files give one document each, its
    front matter (if any) read into the declared_* columns. Returns `(raw_documents, rejections)`,
    both sorted by file path then record number. Duplicated content is kept here (one row per
    file or record); `doc_id` shows it.
    """
    documents: list[dict] = []
    rejections: list[dict] = []
    for row in files.sort("source_path").iter_rows(named=True):
        path, content = row["source_path"], row["content"]
        if content is None:
            reason = row.get("read_reason") or "unreadable"
            rejections.append(_rejection(path, reason, row.get("read_error") or "unknown"))
            continue
        if is_record_file(path):
            found, rejected = read_records(path, content, fields, max_record_bytes)
            documents.extend(found)
            rejections.extend(rejected)
            continue
        try:
            text, encoding = decode_document(content)
        except Rejection as rejection:
            rejections.append(_rejection(path, rejection.reason, rejection.detail))
            continue
        declared: dict[str, object] = {}
        metadata, body = split_front_matter(text)
        if metadata is not None:
            try:
                declared = declared_values(metadata, fields)
            except RecordRejection as rejection:
                rejections.append(_rejection(path, rejection.reason, f"front matter: {rejection.detail}"))
                continue
            text, declared["metadata_source"] = body, "front_matter"
        documents.append(
            {
                "doc_id": content_id(content),
                "source_path": path,
                "record_number": None,
                "n_bytes": len(content),
                "encoding": encoding,
                "raw_text": text,
                **declared,
            }
        )
    return _frame(documents, RAW_DOCUMENT_SCHEMA), _frame(rejections, REJECTION_SCHEMA)


def _rejection(path: str, reason: str, detail: str) -> dict:
    return {"source_path": path, "record_number": None, "reason": reason, "detail": detail}


def _frame(rows: list[dict], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """`rows` as a frame of `schema`, sorted by file path, then record number (a file's own row first)."""
    columns = {name: [row.get(name) for row in rows] for name in schema}
    frame = pl.DataFrame(columns, schema=schema)
    if frame.height < 2:
        return frame
    file_path = pl.when(pl.col("record_number").is_null()).then(pl.col("source_path"))
    file_path = file_path.otherwise(pl.col("source_path").str.replace(r"#[0-9]+$", ""))
    return frame.sort([file_path, pl.col("record_number")], nulls_last=False, maintain_order=True)
