"""What `python -m pipelines` (`make run`) prints: a short report by default, Dagster's event log with VERBOSE=1."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, SEEDS

SUMMARY = [
    r"run [0-9a-f-]{36} succeeded",
    r"documents:\s+5 \(.+\)",
    r"rejected files:\s+\d+",
    r"entities:\s+\d+ \(\d+ mentions\)",
    r"warehouse:\s+.+news\.duckdb",
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("make_run")
    shutil.copytree(SEEDS, root / "source")
    (root / "dagster_home").mkdir()
    shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", root / "dagster_home")  # as `make` does
    return root


def _ends_with_summary(lines: list[str]) -> bool:
    last = lines[-len(SUMMARY) :]
    return len(last) == len(SUMMARY) and all(
        re.fullmatch(pattern, line) for pattern, line in zip(SUMMARY, last, strict=True)
    )


def _run(workspace: Path, **extra_env: str) -> list[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"VERBOSE", "NEWS_TEST_PAUSE_IN", "NEWS_TEST_PAUSE_MARKER"}
    }
    env.update(
        NEWS_SOURCE_DIR=str(workspace / "source"),
        NEWS_WAREHOUSE_PATH=str(workspace / "warehouse" / "news.duckdb"),
        DAGSTER_HOME=str(workspace / "dagster_home"),
        **extra_env,
    )
    run = subprocess.run(
        [sys.executable, "-m", "pipelines"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout
    return run.stdout.splitlines()


def test_default_output_is_a_line_per_step_and_the_summary(workspace):
    lines = _run(workspace)
    output = "\n".join(lines)
    assert len(lines) <= 25, output
    assert _ends_with_summary(lines), output
    for step in ("ingest", "prepare", "analyse", "sql_models", "published_warehouse", "report__entity_report"):
        assert any(line.startswith(f"{step} done in ") for line in lines), f"no line for {step}:\n{output}"
    assert re.search(r"^analyse done in [\d.]+ s: 5 documents through NLP, 0 reused", output, re.MULTILINE), output
    assert re.search(r"^\d+ asset checks? passed in [\d.]+ s$", output, re.MULTILINE), output
    assert "DEBUG" not in output and "STEP_START" not in output
    # The lines go straight to the terminal, not through Dagster's capture of what steps print: it
    # copies that back with `tail -F`, stopped when the steps end, and lost the last lines on CI.
    run_id = re.search(r"^run ([0-9a-f-]{36}) succeeded$", output, re.MULTILINE)[1]
    captured = sorted((workspace / "dagster_home" / "storage" / run_id / "compute_logs").glob("*.err"))
    assert captured, "no compute log captured for the run"
    assert all("done in" not in path.read_text() for path in captured), [path.read_text() for path in captured]


def test_verbose_output_is_dagsters_event_log(workspace):
    lines = _run(workspace, VERBOSE="1")
    output = "\n".join(lines)
    assert "DEBUG" in output and 'STEP_START - Started execution of step "ingest"' in output
    assert len(lines) > 25
    assert _ends_with_summary(lines), output
