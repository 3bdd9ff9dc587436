"""`python -m pipelines`: materialize every asset once and print a summary (what `make run` does).

The entry point lives here rather than in `pipelines.run` because worker processes re-import the
main module unless it is a package's `__main__`: this keeps their start-up to the few modules
they use.

Before importing anything heavy, it starts the workers' fork server when the run may use
workers (`pipelines.parallel`, standard library only at import): the models load on the second
core while this process imports Dagster and dbt. With NEWS_RAY_ADDRESS, the run's Ray actors
start instead and load the models on the cluster (`pipelines.ray_pool.start_warm`). Whether the run then uses workers is decided
by the run itself, from its input and settings, as for a run started from the UI.
"""

import gc
import sys

from pipelines.parallel import may_use_workers, ray_address, start_fork_server

if may_use_workers():
    if ray_address():  # the run's Ray actors start and load the models on the cluster meanwhile
        from pipelines.ray_pool import start_warm

        start_warm(ray_address())
    else:
        start_fork_server()

from pipelines.run import main  # noqa: E402

code = main()
# The run is over and recorded. What is left is the interpreter's teardown, whose cost is its last
# garbage collections over every object Dagster, dbt and spaCy built (seconds, for nothing on
# disk): frozen, those objects are left out of them. Exit handlers, the flushing of files and
# streams and the clearing of modules happen as in any exit.
gc.freeze()
sys.exit(code)
