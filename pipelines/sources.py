"""Reading the source folder: the only place that touches the articles on disk."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import polars as pl

SOURCE_FILE_SCHEMA = {"source_path": pl.String, "content": pl.Binary, "read_error": pl.String}
MAX_FILE_BYTES = 64 * 1024 * 1024


def list_source_files(root: Path) -> list[Path]:
    """Every non-hidden file below `root` (links included, not followed), sorted by path."""
    found = []
    for directory, subdirectories, files in os.walk(root, followlinks=False):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(Path(directory, name) for name in files if not name.startswith("."))
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def read_source_files(root: Path) -> pl.DataFrame:
    """Read every source file's bytes; a file that cannot be read gets a `read_error` instead.

    Symbolic links are never followed (a link could point outside the source folder).
    """
    rows = []
    for path in list_source_files(root):
        relative = path.relative_to(root).as_posix()
        content, error = None, None
        try:
            if path.is_symlink():
                error = f"symbolic link to {os.readlink(path)!r} is not followed"
            elif not path.is_file():
                error = "not a regular file"
            elif path.stat().st_size > MAX_FILE_BYTES:
                error = f"larger than {MAX_FILE_BYTES} bytes"
            else:
                content = _read_stable(path)
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc.strerror or exc}"
        rows.append({"source_path": relative, "content": content, "read_error": error})
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
