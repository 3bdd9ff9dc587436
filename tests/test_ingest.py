from __future__ import annotations

import codecs

import polars as pl
import pytest

from transforms.ingest import Rejection, build_raw_documents, content_id, decode_document
from transforms.schema import RAW_DOCUMENTS, REJECTED_DOCUMENTS

TEXT = "Le café de Hélène coûte 3 € — « très cher »."


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_decodes_common_encodings_without_replacement_characters(raw, encoding):
    text, detected = decode_document(raw)
    assert text == TEXT
    assert detected == encoding


def test_latin1_accents_come_out_right():
    text = "Les élèves français étudient à l'école où ils apprennent beaucoup de choses intéressantes."
    decoded, encoding = decode_document(text.encode("latin-1"))
    assert decoded == text
    assert "\ufffd" not in decoded


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"PK\x03\x04\x14\x00\x00\x00", "binary"),
        (b"abc\x00def", "binary"),
    ],
)
def test_rejects_what_is_not_text(raw, reason):
    with pytest.raises(Rejection) as caught:
        decode_document(raw)
    assert caught.value.reason == reason


def test_build_raw_documents_splits_documents_and_rejections():
    files = pl.DataFrame(
        {
            "source_path": ["b.txt", "a.txt", "c.png", "d.txt"],
            "content": [b"hello world", b"bonjour", b"\x89PNG\r\n\x1a\n", None],
            "read_reason": [None, None, None, "unreadable"],
            "read_error": [None, None, None, "PermissionError: Permission denied"],
        },
        schema={"source_path": pl.String, "content": pl.Binary, "read_reason": pl.String, "read_error": pl.String},
    )
    documents, rejections = build_raw_documents(files)
    assert documents.get_column("source_path").to_list() == ["a.txt", "b.txt"]
    assert documents.get_column("doc_id").to_list() == [content_id(b"bonjour"), content_id(b"hello world")]
    assert documents.columns == RAW_DOCUMENTS.column_names
    assert documents.get_column("record_number").to_list() == [None, None]
    assert documents.get_column("metadata_source").to_list() == [None, None]
    assert rejections.columns == REJECTED_DOCUMENTS.column_names
    assert rejections.rows() == [
        ("c.png", None, "binary", "content is a PNG image, not text"),
        ("d.txt", None, "unreadable", "PermissionError: Permission denied"),
    ]
