"""The run behind `make run` (`python -m pipelines`): materialize every asset once and print a summary.

The run is recorded in the Dagster instance of DAGSTER_HOME, so it shows in the UI like any other.
"""

from __future__ import annotations

import os
import sys

import dagster as dg
import duckdb

from pipelines.definitions import defs
from pipelines.resources import Warehouse


def summarise(path) -> str:
    with duckdb.connect(str(path), read_only=True) as connection:
        documents = connection.execute("select count(*) from core.documents").fetchone()[0]
        languages = connection.execute(
            "select string_agg(language || ' ' || n, ', ' order by n desc, language) "
            "from (select language, count(*) as n from core.documents group by language)"
        ).fetchone()[0]
        rejected = connection.execute("select count(*) from core.rejected_documents").fetchone()[0]
        entities = connection.execute("select count(*) from core.entities").fetchone()[0]
        mentions = connection.execute("select count(*) from core.entity_mentions").fetchone()[0]
    return "\n".join(
        [
            f"documents:       {documents} ({languages or 'none'})",
            f"rejected files:  {rejected}",
            f"entities:        {entities} ({mentions} mentions)",
            f"warehouse:       {path}",
        ]
    )


def main() -> int:
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("news_warehouse").execute_in_process(instance=instance, raise_on_error=False)
    if not result.success:
        failed = [event.step_key for event in result.all_events if event.is_step_failure]
        print(f"run {result.run_id} failed at {failed}; the published warehouse was left as it was.", file=sys.stderr)
        return 1
    print(f"\nrun {result.run_id} succeeded")
    print(summarise(Warehouse(path=os.environ["NEWS_WAREHOUSE_PATH"]).published_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
