"""`python -m pipelines.rollback [SNAPSHOT]`: put a kept snapshot back as the published warehouse.

Without SNAPSHOT, the newest of `snapshots/` beside the published file (NEWS_WAREHOUSE_PATH);
`--list` lists them, newest first. The file replaced becomes a snapshot itself, so a roll-back
is undone by another (`make rollback` again). Nothing happens while a run holds the warehouse's
lock. Only the published file changes: the next successful run publishes the current working
state again (`.build/<name>/`); to keep the rolled-back content, fix the input first.
`make rollback` / `make rollback SNAPSHOT=path` call it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path


class _Log:
    """What the warehouse reports (a snapshot not kept, a run holding the lock), on stderr."""

    warned = False

    def info(self, message: str) -> None:
        print(message, file=sys.stderr)

    def warning(self, message: str) -> None:
        self.warned = True
        print(f"warning: {message}", file=sys.stderr)


def _describe(path: Path) -> str:
    stat = path.stat()
    written = datetime.fromtimestamp(stat.st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{path}  ({stat.st_size / 2**20:,.1f} MiB, written {written})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.rollback", description=__doc__.split("\n")[0])
    parser.add_argument("snapshot", nargs="?", type=Path, help="the snapshot to restore (default: the newest)")
    parser.add_argument("--list", action="store_true", help="list the kept snapshots, newest first, and stop")
    parser.add_argument("--wait", type=float, default=0, metavar="SECONDS", help="wait this long for a running run")
    arguments = parser.parse_args(argv[1:])

    import dagster as dg  # after parsing: `--help` answers at once

    from pipelines.warehouse import Warehouse

    warehouse = Warehouse()
    if arguments.list:
        kept = warehouse.snapshots()
        if not kept:
            print(f"no snapshots of {warehouse.published_path} in {warehouse.snapshot_directory}")
        for path in kept:
            print(_describe(path))
        return 0
    log = _Log()
    replaced = warehouse.published_path.is_file() and warehouse.snapshot_limit > 0
    try:
        restored = warehouse.roll_back(arguments.snapshot, log=log, wait_seconds=arguments.wait)
    except dg.Failure as failure:
        print(f"rollback failed: {failure.description}", file=sys.stderr)
        return 1
    print(f"{warehouse.published_path} is now a copy of {restored}")
    if replaced and not log.warned:
        print(f"the file it replaced is the newest snapshot: {warehouse.snapshots()[0]}")
    print("the next successful run publishes the current working state again")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
