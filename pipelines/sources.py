"""Reading the source folder: the only place that touches the articles on disk."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import polars as pl

from transforms.records import is_record_file

SOURCE_FILE_SCHEMA = {"source_path": pl.String, "content": pl.Binary, "read_reason": pl.String, "read_error": pl.String}


def list_source_files(root: Path) -> list[Path]:
    """Every non-hidden file below `root` (links included, not followed), sorted by path."""
    found = []
    for directory, subdirectories, files in os.walk(root, followlinks=False):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(Path(directory, name) for name in files if not name.startswith("."))
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def read_source_files(root: Path, max_file_bytes: int) -> pl.DataFrame:
    """Read every source file's bytes; a file that cannot be read gets a reason and a detail instead.

    Symbolic links are never followed (a link could point outside the source folder); files over
    `max_file_bytes` are not read (no article is that long; NLP cost and memory grow with it),
    except record files (JSON Lines, CSV, Parquet), read whatever their size: there the limit is
    one record's text (`build_raw_documents(..., max_record_bytes=...)`).
    """
    rows = []
    for path in list_source_files(root):
        relative = path.relative_to(root).as_posix()
        content, reason, error = None, None, None
        try:
            if path.is_symlink():
                reason, error = "symlink", f"symbolic link to {os.readlink(path)!r} is not followed"
            elif not path.is_file():
                reason, error = "not_a_file", "not a regular file (a pipe, socket or device)"
            elif path.stat().st_size > max_file_bytes and not is_record_file(relative):
                reason, error = (
                    "too_large",
                    f"{path.stat().st_size} bytes, over the limit of {max_file_bytes} (NEWS_MAX_FILE_BYTES)",
                )
            else:
                content = _read_stable(path)
        except OSError as exc:
            reason, error = "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}"
        rows.append({"source_path": relative, "content": content, "read_reason": reason, "read_error": error})
    return pl.DataFrame(rows, schema=SOURCE_FILE_SCHEMA)


def _read_stable(path: Path, attempts: int = 3) -> bytes:
    """Read a file whose size and modification time do not change while it is read."""
    for _ in range(attempts):
        before = path.stat()
        content = path.read_bytes()
        after = path.stat()
        if before.st_size == after.st_size == len(content) and before.st_mtime_ns == after.st_mtime_ns:
            return content
    raise OSError(0, f"the file kept changing while it was read ({attempts} attempts)")


def fingerprint_source_folder(root: Path) -> str:
    """A cheap fingerprint of the folder (paths, sizes, modification times) for the sensor."""
    digest = hashlib.sha256()
    for path in list_source_files(root):
        try:
            stat = path.lstat()
        except OSError:
            continue
        digest.update(f"{path.relative_to(root).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
