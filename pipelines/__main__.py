"""`python -m pipelines`: materialize every asset once and print a summary (what `make run` does).

The entry point lives here rather than in `pipelines.run` because worker processes re-import the
main module unless it is a package's `__main__`: this keeps their start-up to the few modules
they use.

Before importing anything heavy, it starts the workers' fork server when the run may use
workers: the models load on the second core while this process imports Dagster and dbt.
"""

import gc
import os
import sys

from pipelines import forkserver
from pipelines.settings import setting, worker_count


def _may_use_workers() -> bool:
    """More than one worker and at least NEWS_PARALLEL_MIN_DOCUMENTS files in the source folder."""
    try:
        if worker_count(int(setting("NEWS_WORKERS"))) <= 1:
            return False
        wanted, found = int(setting("NEWS_PARALLEL_MIN_DOCUMENTS")), 0
        for _, _, files in os.walk(setting("NEWS_SOURCE_DIR")):
            found += len(files)
            if found >= wanted:
                return True
    except (ValueError, OSError):  # a bad setting is reported by the run itself
        pass
    return False


if _may_use_workers():
    forkserver.start()

from pipelines.run import main  # noqa: E402

code = main()
# The run is over and recorded. What is left is the interpreter's teardown, whose cost is its last
# garbage collections over every object Dagster, dbt and spaCy built (seconds, for nothing on
# disk): frozen, those objects are left out of them. Exit handlers, the flushing of files and
# streams and the clearing of modules happen as in any exit.
gc.freeze()
sys.exit(code)
