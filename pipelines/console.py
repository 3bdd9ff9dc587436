"""The quiet console of `python -m pipelines`: one line per step instead of Dagster's event log.

`quiet_console_logger` is a Dagster logger that `pipelines.run` gives the job it executes in
process; the job of `definitions.py`, and so every run the UI, the schedule or the sensor starts,
keeps Dagster's own console logger. Dagster records every event in the run storage whatever its
loggers print. This one prints, on stderr:

- the messages at INFO and above that assets and resources log through `context.log`
  (`ingest: 5 files decoded, 0 rejected, in 0.02 s`), and Dagster's warnings and errors;
- a line when a step ends: its name, seconds and the main counts of its outputs' metadata
  (`analyse done in 16.2 s: 5 documents through NLP, 0 reused, 1 worker process; core.documents
  5 rows, …`), or that it was skipped, or the error it failed with. Steps that only run asset
  checks and pass share one line (`5 asset checks passed in 0.9 s`).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

import dagster as dg

# Counts from an asset's output metadata worth a word on its step's line: key → (singular, plural).
# Keys a step's metadata does not have are left out; the order here is the order on the line.
KNOWN_COUNTS: dict[str, tuple[str, str]] = {
    "documents_cleaned_and_detected": ("document cleaned and detected", "documents cleaned and detected"),
    "documents_through_nlp": ("document through NLP", "documents through NLP"),
    "documents_reused": ("reused", "reused"),
    "worker_processes": ("worker process", "worker processes"),
}
ROW_COUNT = "dagster/row_count"
RUN_ENDS = frozenset({dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE})
# Beyond this many tables, a step's line gives their number and total rows rather than each table.
MAX_TABLES_LISTED = 4
# Longer messages below WARNING are cut (whole in the run storage and with VERBOSE=1).
MAX_MESSAGE_CHARACTERS = 240
_SKIPPING = re.compile(r"^Skipping step \S+ due to skipped dependencies: (?P<deps>\[.*\])\.?$", re.DOTALL)
_STRING_LIST = re.compile(r"\[('[^'\]]*'(?:, '[^'\]]*')*)\]")
# Dagster's word for a step that yielded only some of its optional outputs (the skipped steps after
# it say what follows), and its warning, once per check, that checks with no result gate nothing.
_MISSING_OUTPUTS = re.compile(r"^(op|asset) '\S+' did not yield or return expected outputs")
_UNGATED = re.compile(
    r"^Blocking asset check '[^']*' emitted no result in step '(?P<step>[^']*)'; "
    r"downstream step '(?P<downstream>[^']*)' will proceed without gating on it\.$"
)


@dataclass
class _Step:
    started: float | None = None
    outputs: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)  # (check name, passed)
    skipped_because: str = ""


class StepLines:
    """Turns the log records of a run into the quiet console's lines: the logger's logic.

    Fed every record the run logs, whatever its level; `lines_for` returns what to print for it
    (often nothing). Keeps, per step, what it materialized and checked until the step ends."""

    def __init__(self) -> None:
        self._steps: dict[str, _Step] = {}
        self._passed_checks: list[float] = []  # seconds of check-only steps that passed, not yet said
        self._ungated: dict[tuple[str, str], int] = {}  # (step, downstream step) → checks without result
        self.ended: set[str] = set()  # steps whose end was said (or counted among the passed checks)

    def lines_for(self, record: logging.LogRecord) -> list[str]:
        meta = getattr(record, "dagster_meta", None) or {}
        event: dg.DagsterEvent | None = meta.get("dagster_event")
        message = str(meta.get("orig_message", record.getMessage()))
        source = meta.get("step_key") or meta.get("resource_name")
        if event is None:  # a message logged by user code, or by Dagster without an event
            if record.levelno < logging.INFO:
                return []
            skipping = _SKIPPING.match(message) if source else None
            if skipping:  # said with the STEP_SKIPPED event
                self._step(source).skipped_because = _unique_steps(skipping["deps"])
                return []
            if _MISSING_OUTPUTS.match(message):
                return []
            ungated = _UNGATED.match(message)
            if ungated:  # counted, said in one line
                key = (ungated["step"], ungated["downstream"])
                self._ungated[key] = self._ungated.get(key, 0) + 1
                return []
            text = _dedupe_lists(message)
            if record.levelno < logging.WARNING and len(text) > MAX_MESSAGE_CHARACTERS:
                text = text[: MAX_MESSAGE_CHARACTERS - 1] + "…"
            return self._say(f"{source}: {text}" if source else text)
        step_key = event.step_key or source
        if event.is_step_start:
            self._step(step_key).started = record.created
        elif event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            table = ".".join(materialization.asset_key.path)  # core.documents: the DuckDB name
            self._step(step_key).outputs.append((table, materialization.metadata))
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            self._step(step_key).checks.append((evaluation.check_name, bool(evaluation.passed)))
        elif event.is_step_success:
            self.ended.add(step_key)
            step = self._steps.pop(step_key, _Step())
            seconds = event.event_specific_data.duration_ms / 1000
            if step.checks and not step.outputs and all(passed for _, passed in step.checks):
                self._passed_checks.extend([seconds / len(step.checks)] * len(step.checks))
                return []
            return self._say(f"{step_key} done in {seconds:.1f} s{_details(step)}")
        elif event.is_step_skipped:
            self.ended.add(step_key)
            step = self._steps.pop(step_key, _Step())
            because = f" (nothing new from {step.skipped_because})" if step.skipped_because else ""
            return self._say(f"{step_key} skipped{because}")
        elif event.is_step_failure:
            self.ended.add(step_key)
            step = self._steps.pop(step_key, _Step())
            seconds = record.created - (step.started or record.created)
            return self._say(f"{step_key} FAILED after {seconds:.1f} s{_details(step)}\n  {root_error_message(event)}")
        elif event.event_type in RUN_ENDS:
            return self._say(None)  # the run's summary says how it ended
        elif record.levelno >= logging.WARNING:  # Dagster's warnings and errors, e.g. a resource that failed
            error = f"\n  {root_error_message(event)}" if getattr(event.event_specific_data, "error", None) else ""
            return self._say((f"{step_key}: {message}" if step_key else message) + error)
        return []

    def _step(self, key: str) -> _Step:
        return self._steps.setdefault(key, _Step())

    def _say(self, line: str | None) -> list[str]:
        """`line`, after the lines of what was counted since the last line (checks that passed,
        checks with no result), if any."""
        lines = []
        if self._passed_checks:
            n, seconds = len(self._passed_checks), sum(self._passed_checks)
            lines.append(f"{_count(n, ('asset check', 'asset checks'))} passed in {seconds:.1f} s")
            self._passed_checks = []
        for (step, downstream), n in self._ungated.items():
            lines.append(
                f"{downstream}: {_count(n, ('blocking check', 'blocking checks'))} of {step} had no result "
                "and gate nothing"
            )
        self._ungated = {}
        return [*lines, line] if line is not None else lines


def _value(entry: Any) -> Any:
    """The plain value of a metadata entry (Dagster wraps them in MetadataValue objects)."""
    return getattr(entry, "value", entry)


def _count(n: int, words: tuple[str, str]) -> str:
    return f"{n:,} {words[0] if n == 1 else words[1]}"


def _details(step: _Step) -> str:
    """`: <known counts>; <rows per table>; <checks>` from what the step recorded, or ''."""
    counts: dict[str, int] = {}
    for _, metadata in step.outputs:
        for key in KNOWN_COUNTS:
            value = _value(metadata[key]) if key in metadata else None
            if isinstance(value, int) and not isinstance(value, bool):
                counts.setdefault(key, value)
    parts = [", ".join(_count(counts[key], KNOWN_COUNTS[key]) for key in KNOWN_COUNTS if key in counts)]
    rows = [(name, _value(metadata[ROW_COUNT])) for name, metadata in step.outputs if ROW_COUNT in metadata]
    rows = [(name, n) for name, n in rows if isinstance(n, int)]
    if len(rows) > MAX_TABLES_LISTED:
        parts.append(f"{len(rows)} tables, {sum(n for _, n in rows):,} rows")
    else:
        parts.append(", ".join(f"{name} {_count(n, ('row', 'rows'))}" for name, n in rows))
    if step.checks:
        failed = [name for name, passed in step.checks if not passed]
        parts.append(
            f"{_count(len(step.checks), ('check', 'checks'))}, failed: {', '.join(failed)}"
            if failed
            else f"{_count(len(step.checks), ('check', 'checks'))} passed"
        )
    details = "; ".join(part for part in parts if part)
    return f": {details}" if details else ""


def root_error_message(event: dg.DagsterEvent) -> str:
    """The message of the error a step failed with: the exception user code raised rather than
    the Dagster error around it (the traceback is in the run storage, and printed with VERBOSE=1)."""
    error = getattr(event.event_specific_data, "error", None)
    if error is None:
        return event.message or "no error recorded"
    while error.cause is not None:
        error = error.cause
    return error.message.strip().replace("\n", "\n  ")


def _unique_steps(text: str) -> str:
    """`['sql_models.a', 'sql_models.b']` (step.output names) as `sql_models`."""
    return ", ".join(dict.fromkeys(name.split(".")[0] for name in re.findall(r"'([^']*)'", text)))


def _dedupe_lists(message: str) -> str:
    """`['sql_models', 'sql_models', …]` (one per output) as `['sql_models']`."""
    return _STRING_LIST.sub(lambda found: "[" + ", ".join(dict.fromkeys(found[1].split(", "))) + "]", message)


# Dagster builds a run's loggers more than once (the run's start and end events go through other
# instances than its steps' events): what a run's steps did is kept per run, for all of them.
_RUNS: dict[str, StepLines] = {}
# Where the console lines go while `straight_to_terminal` is in force (else sys.stderr at the time).
_TERMINAL: list[TextIO] = []


class _StepLinesHandler(logging.Handler):
    """Writes a run's console lines to `stream`, else to the terminal of `straight_to_terminal`,
    else to whatever `sys.stderr` is when a line is written (not when Dagster built the logger)."""

    def __init__(self, run_id: str, stream: TextIO | None = None):
        super().__init__(level=logging.DEBUG)
        self.run_id = run_id
        self.step_lines = _RUNS.setdefault(run_id, StepLines())
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = self._stream or (_TERMINAL[-1] if _TERMINAL else sys.stderr)
            for line in self.step_lines.lines_for(record):
                stream.write(line + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - a console line must never fail the run
            self.handleError(record)


def unsaid_lines(run_id: str, events: list[dg.DagsterEvent]) -> list[str]:
    """Once run `run_id` is over: the lines of the steps whose end its console did not say, from
    the run's events (a safety net: every step gets its line even if a record never reached the
    logger), and the run's console state let go."""
    said = _RUNS.pop(run_id, StepLines())
    ends = {
        event.step_key for event in events if event.is_step_success or event.is_step_skipped or event.is_step_failure
    }
    missing = ends - said.ended
    replay, lines = StepLines(), []
    for event in events:
        if event.step_key in missing:
            record = logging.LogRecord("dagster", logging.DEBUG, __file__, 0, event.message or "", (), None)
            record.dagster_meta = {"dagster_event": event, "step_key": event.step_key}  # as Dagster sets it
            lines.extend(replay.lines_for(record))
    return [*lines, *replay._say(None)]


@dg.logger(description="One line per step (seconds, counts); messages at INFO and above; warnings and errors.")
def quiet_console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    # A logger of the run's own, not registered with the logging module: it goes with the run.
    logger = logging.Logger(f"news_warehouse.console.{init_context.run_id}", level=logging.DEBUG)
    logger.addHandler(_StepLinesHandler(init_context.run_id))
    logger.propagate = False
    return logger


@contextmanager
def dagster_internal_warnings(run_id: str) -> Iterator[None]:
    """While the block runs, Dagster's warnings from its own modules (standard logging under
    `dagster._core`, which no run logger sees and Python's last-resort handler prints raw) go
    through the quiet console of run `run_id`, folded like the rest."""
    logger = logging.getLogger("dagster._core")
    handler = _StepLinesHandler(run_id)
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


@contextmanager
def straight_to_terminal() -> Iterator[None]:
    """While the block runs, the quiet console writes to a duplicate of the process's stderr
    descriptor taken now, not to descriptor 2 itself.

    Dagster captures what steps print (its compute logs) by pointing descriptors 1 and 2 at a file
    and copying the file back to the terminal with `tail -F`, which it stops when the steps end.
    `tail` polls once a second where it cannot watch the file, so the last lines of a run (the
    report step's, seen on CI) could be lost. The console lines bypass that: they are in the run's
    event log anyway."""
    sys.stderr.flush()
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's capture): write to it as it is
        yield
        return
    terminal = os.fdopen(os.dup(descriptor), "w", buffering=1, encoding=sys.stderr.encoding or "utf-8")
    _TERMINAL.append(terminal)
    try:
        yield
    finally:
        _TERMINAL.remove(terminal)
        terminal.close()
