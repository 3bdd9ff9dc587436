"""Compare the content of two warehouses, table by table and column by column.

    python -m benchmarks.compare_warehouses BEFORE.duckdb AFTER.duckdb [--expect schema.table.column ...]

For every table and view of either file: `identical`, `differs` (naming the columns whose values
differ, each compared as a multiset over the table's key order-free), `only before` / `only after`.
Row order is ignored and so are columns named `*_at` (they record when a run happened). A
difference named with `--expect` (`schema.table`, `schema.table.column`, or `schema.*`) is
reported as expected; the exit status is 1 when any other difference is found.

Build the two warehouses from the same source folder with the code before and after a change
(e.g. a `git worktree` of the old commit and `python -m pipelines` with NEWS_SOURCE_DIR and
NEWS_WAREHOUSE_PATH set), then compare them.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import sys
from pathlib import Path

import duckdb


def _relations(connection: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """`schema.table` → {column: type}, in column order."""
    rows = connection.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "order by table_schema, table_name, ordinal_position"
    ).fetchall()
    relations: dict[str, dict[str, str]] = {}
    for schema, table, column, data_type in rows:
        relations.setdefault(f"{schema}.{table}", {})[column] = data_type
    return relations


def _digest(connection: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> str:
    """A hash of the multiset of rows of `columns` (their values' reprs, sorted)."""
    schema, table = relation.split(".", 1)
    selection = ", ".join(f'"{name}"' for name in columns)
    rows = connection.execute(f'select {selection} from "{schema}"."{table}"').fetchall()
    digest = hashlib.sha256()
    for row in sorted(repr(row) for row in rows):
        digest.update(row.encode() + b"\n")
    return digest.hexdigest()


def compare(before: Path, after: Path) -> list[tuple[str, str, list[str]]]:
    """`(relation, status, differing columns)` for every relation of either warehouse."""
    with (
        duckdb.connect(str(before), read_only=True) as old,
        duckdb.connect(str(after), read_only=True) as new,
    ):
        old_relations, new_relations = _relations(old), _relations(new)
        results = []
        for relation in sorted(set(old_relations) | set(new_relations)):
            if relation not in new_relations:
                results.append((relation, "only before", []))
                continue
            if relation not in old_relations:
                results.append((relation, "only after", []))
                continue
            old_columns = [c for c in old_relations[relation] if not c.endswith("_at")]
            new_columns = [c for c in new_relations[relation] if not c.endswith("_at")]
            shared = [c for c in old_columns if c in new_columns]
            changed = [f"-{c}" for c in old_columns if c not in new_columns]
            changed += [f"+{c}" for c in new_columns if c not in old_columns]
            changed += [
                f"{c} {old_relations[relation][c]} → {new_relations[relation][c]}"
                for c in shared
                if old_relations[relation][c] != new_relations[relation][c]
            ]
            if not changed and _digest(old, relation, shared) == _digest(new, relation, shared):
                results.append((relation, "identical", []))
                continue
            count_old = old.execute(f"select count(*) from {relation}").fetchone()[0]
            count_new = new.execute(f"select count(*) from {relation}").fetchone()[0]
            if count_old != count_new:
                changed.append(f"rows {count_old} → {count_new}")
            changed += [c for c in shared if _digest(old, relation, [c]) != _digest(new, relation, [c])]
            if not changed:  # each column alike, but not the rows they make together
                changed.append("row combinations")
            results.append((relation, "differs", changed))
        return results


def _expected(relation: str, columns: list[str], patterns: list[str]) -> bool:
    def matches(name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)

    if matches(relation):
        return True
    names = [column.lstrip("+-").split(" ")[0] for column in columns]
    return bool(names) and all(matches(f"{relation}.{name}") for name in names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--expect", nargs="*", default=[], help="differences that are intended (fnmatch patterns)")
    arguments = parser.parse_args()
    unexpected = 0
    print("| relation | before → after | columns |\n|---|---|---|")
    for relation, status, columns in compare(arguments.before, arguments.after):
        if status != "identical":
            if _expected(relation, columns, arguments.expect):
                status += " (expected)"
            else:
                unexpected += 1
        print(f"| {relation} | {status} | {', '.join(columns)} |")
    print(f"\n{unexpected} unexpected difference(s)")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
