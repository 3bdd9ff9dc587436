"""Pure transformations of the News Warehouse: Polars frames or plain values in and out.

Nothing in this package touches Dagster, DuckDB or the file system; everything that needs a
resource (a spaCy pipeline, a sentiment scorer, parsed rules) receives it as an argument.
"""
