"""pipelines.console: the quiet console's lines for small in-process jobs (successes, checks, skips, failures)."""

import logging
import re

import dagster as dg

from pipelines.console import StepLines, quiet_console_logger, unsaid_lines


@dg.multi_asset(
    outs={
        "counted": dg.AssetOut(key=["core", "counted"]),
        "maybe": dg.AssetOut(key=["core", "maybe"], is_required=False),
    }
)
def counting(context: dg.AssetExecutionContext):
    context.log.debug("not for the console")
    context.log.info("counted what there was")
    yield dg.Output(
        5,
        "counted",
        metadata={
            "documents_through_nlp": 3,
            "documents_reused": 2,
            "worker_processes": 1,
            "dagster/row_count": 5,
            "seconds": 0.1,
        },
    )  # no "maybe": what depends on it is skipped


@dg.asset_check(asset=dg.AssetKey(["core", "counted"]), blocking=True)
def counted_is_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset(key=["marts", "downstream"], deps=[dg.AssetKey(["core", "maybe"])])
def downstream() -> None:
    pass


@dg.asset(key=["core", "broken"])
def broken() -> None:
    raise ValueError("the input is not what it should be")


def _quiet_run(capsys, assets, checks=()) -> tuple[bool, list[str]]:
    job = dg.define_asset_job("quiet", selection=dg.AssetSelection.assets(*assets))
    defs = dg.Definitions(assets=assets, asset_checks=list(checks), jobs=[job], loggers={"quiet": quiet_console_logger})
    capsys.readouterr()
    result = defs.resolve_job_def("quiet").execute_in_process(
        run_config={"loggers": {"quiet": {}}}, raise_on_error=False
    )
    return result.success, capsys.readouterr().err.splitlines()


def test_a_line_per_step_with_counts_checks_together_and_skips(capsys):
    success, lines = _quiet_run(capsys, [counting, downstream], [counted_is_positive])
    assert success
    assert lines[0] == "counting: counted what there was"
    assert re.fullmatch(
        r"counting done in \d+\.\d s: 3 documents through NLP, 2 reused, 1 worker process; core\.counted 5 rows",
        lines[1],
    ), lines
    assert set(lines[2:]) == {"marts__downstream skipped (nothing new from counting)"} | {
        line for line in lines[2:] if re.fullmatch(r"1 asset check passed in \d+\.\d s", line)
    }
    assert len(lines) == 4, lines


def test_a_failure_says_the_error_of_user_code(capsys):
    success, lines = _quiet_run(capsys, [broken])
    assert not success
    assert re.fullmatch(r"core__broken FAILED after \d+\.\d s", lines[0]), lines
    assert lines[1] == "  ValueError: the input is not what it should be"
    assert not any("DEBUG" in line or "STEP_START" in line for line in lines)


@dg.resource
def unavailable(_):
    raise RuntimeError("another run holds the lock")


@dg.asset(key=["core", "locked"], required_resource_keys={"lock"})
def locked() -> None:
    pass


def test_a_resource_that_fails_says_its_error(capsys):
    job = dg.define_asset_job("quiet", selection=dg.AssetSelection.assets(locked))
    defs = dg.Definitions(
        assets=[locked], jobs=[job], resources={"lock": unavailable}, loggers={"quiet": quiet_console_logger}
    )
    capsys.readouterr()
    result = defs.resolve_job_def("quiet").execute_in_process(
        run_config={"loggers": {"quiet": {}}}, raise_on_error=False
    )
    lines = capsys.readouterr().err.splitlines()
    assert not result.success
    assert "  RuntimeError: another run holds the lock" in lines, lines
    assert len(lines) <= 4, lines


def _message(text: str, level: int = logging.INFO, step: str | None = None) -> logging.LogRecord:
    record = logging.LogRecord("dagster", level, __file__, 0, text, (), None)
    record.dagster_meta = {"dagster_event": None, "orig_message": text, "step_key": step, "resource_name": None}
    return record


def test_dagsters_word_on_optional_outputs_is_folded_into_few_lines():
    step_lines = StepLines()
    assert step_lines.lines_for(_message("op 'sql_models' did not yield or return expected outputs {'a', 'b'}")) == []
    for check in ("not_null_x", "unique_x"):
        warning = (
            f"Blocking asset check 'marts/x:{check}' emitted no result in step 'sql_models'; "
            "downstream step 'published_warehouse' will proceed without gating on it."
        )
        assert step_lines.lines_for(_message(warning, logging.WARNING)) == []
    assert step_lines.lines_for(_message("published", step="published_warehouse")) == [
        "published_warehouse: 2 blocking checks of sql_models had no result and gate nothing",
        "published_warehouse: published",
    ]
    assert step_lines.lines_for(_message("not for the console", logging.DEBUG)) == []
    assert step_lines.lines_for(_message("x" * 300))[0] == "x" * 239 + "…"


def test_a_step_whose_end_the_console_missed_is_said_from_the_runs_events(capsys):
    job = dg.define_asset_job("quiet", selection=dg.AssetSelection.assets(counting, downstream))
    defs = dg.Definitions(
        assets=[counting, downstream],
        asset_checks=[counted_is_positive],
        jobs=[job],
        loggers={"quiet": quiet_console_logger},
    )
    result = defs.resolve_job_def("quiet").execute_in_process(
        run_config={"loggers": {"quiet": {}}}, raise_on_error=False
    )
    assert unsaid_lines(result.run_id, result.all_events) == []  # the console said every step
    # a run whose console saw nothing: each step's line, from its events alone
    lines = unsaid_lines("a run the console never saw", result.all_events)
    assert re.fullmatch(
        r"counting done in \d+\.\d s: 3 documents through NLP, 2 reused, 1 worker process; core\.counted 5 rows",
        lines[0],
    ), lines
    assert "marts__downstream skipped" in lines
    assert re.fullmatch(r"1 asset check passed in \d+\.\d s", lines[-1]), lines
