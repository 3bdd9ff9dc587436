"""`python -m pipelines`: materialize every asset once and print a summary (what `make run` does).

The entry point lives here rather than in `pipelines.run` because worker processes re-import the
main module unless it is a package's `__main__`: this keeps their start-up to the few modules
they use.
"""

import sys

from pipelines.run import main

sys.exit(main())
