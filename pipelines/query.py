"""`python -m pipelines.query "select …"`: run SQL against the published warehouse, read-only.

For machines without the DuckDB CLI; `make query SQL="…"` calls it.
"""

import os
import sys

import duckdb


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print('usage: python -m pipelines.query "select …"', file=sys.stderr)
        return 2
    path = os.environ.get("NEWS_WAREHOUSE_PATH", "warehouse/news.duckdb")
    with duckdb.connect(path, read_only=True) as connection:
        connection.sql(argv[1]).show(max_width=200, max_rows=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
