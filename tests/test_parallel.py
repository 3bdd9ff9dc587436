"""The worker pool: batches, order of results, and when work leaves the run's process."""

from __future__ import annotations

import os
import time

import polars as pl
import pytest

from pipelines.parallel import WorkerPool, split_batches


def _frame(n: int) -> pl.DataFrame:
    return pl.DataFrame({"doc_id": [f"d{i:04d}" for i in range(n)]})


@pytest.mark.parametrize("n", [0, 1, 5, 63, 64, 65, 127, 128, 129, 300, 1000])
@pytest.mark.parametrize("size", [1, 4, 16, 64])
def test_batches_cover_every_row_once_in_order(n, size):
    batches = split_batches(_frame(n), size)
    assert [row for batch in batches for row in batch.get_column("doc_id")] == _frame(n).get_column("doc_id").to_list()
    assert all(1 <= batch.height <= size for batch in batches)
    if n == 0:
        assert batches == []


def test_the_last_two_batches_worth_are_cut_smaller():
    heights = [batch.height for batch in split_batches(_frame(1000), 64)]
    assert heights[:13] == [64] * 13, "full batches first"
    assert heights[13] == 1000 - 13 * 64 - 128, "then what is left before the last 2 × 64 rows"
    assert heights[14:] == [16] * 8, "a quarter of the size over the last 128 rows"


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="at least one"):
        split_batches(_frame(3), 0)


def _tag_with_pid(batch: pl.DataFrame) -> pl.DataFrame:
    # the first batches take longest, so workers finish out of order
    time.sleep(0.2 if batch.get_column("doc_id")[0] < "d0008" else 0.0)
    return batch.with_columns(pl.lit(os.getpid()).alias("pid"))


def test_results_come_back_in_batch_order_whichever_worker_finishes_first():
    frame = _frame(40)
    with WorkerPool(processes=2, min_documents=1, documents_per_batch=4) as pool:
        results = pool.map_frame(_tag_with_pid, frame)
        assert pool.processes_used == 2 and pool.describe() == "2 worker processes"
    together = pl.concat(results)
    assert together.get_column("doc_id").to_list() == frame.get_column("doc_id").to_list()
    assert os.getpid() not in together.get_column("pid").to_list(), "the work ran in the workers"
    assert together.get_column("pid").n_unique() == 2


def test_small_inputs_stay_in_the_runs_process():
    pool = WorkerPool(processes=2, min_documents=200, documents_per_batch=64)
    assert not pool.uses_workers(199) and pool.uses_workers(200)
    assert not WorkerPool(processes=1, min_documents=0, documents_per_batch=4).uses_workers(1000)
    assert not WorkerPool(processes=2, min_documents=0, documents_per_batch=64).uses_workers(64), "one batch"
    with pool:
        results = pool.map_frame(_tag_with_pid, _frame(10))
    assert pl.concat(results).get_column("pid").unique().to_list() == [os.getpid()]
    assert pool.processes_used == 1 and pool.describe().startswith("in the run's process")
