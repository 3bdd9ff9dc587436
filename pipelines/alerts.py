"""Failures reach someone: an alert line in a log file beside the warehouse, and a webhook.

Every failed run — a step that raised, a blocking asset check that failed, a run whose process
died — gives one alert: a line in `<warehouse folder>/alerts.log` (`make status` shows the last)
and, when `NEWS_ALERT_WEBHOOK` is set, a JSON POST to it in the shape Slack's incoming webhooks
take (`{"text": …}`, with the details under `news_warehouse`). The webhook gets one retry; a
webhook that fails or hangs is written to the log and never fails the pipeline. A run is
alerted once, whoever notices it first (`python -m pipelines` itself, or the
`alert_on_run_failure` sensor in the daemon of `make ui`).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.console import root_error_message
from pipelines.settings import setting

WEBHOOK_TIMEOUT_SECONDS = 5.0
RETRY_AFTER_SECONDS = 1.0


@dataclass(frozen=True)
class Alert:
    run_id: str
    job_name: str
    reason: str
    failed_steps: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        steps = f" at {', '.join(self.failed_steps)}" if self.failed_steps else ""
        return f"News Warehouse: run {self.run_id} of {self.job_name} failed{steps}: {self.reason}"


def alert_log_path(warehouse_path: Path) -> Path:
    return warehouse_path.parent / "alerts.log"


def already_alerted(log: Path, run_id: str) -> bool:
    if not log.exists():
        return False
    marker = f" run {run_id} "
    with open(log, encoding="utf-8", errors="replace") as handle:
        return any(marker in line for line in handle)


def last_alert(log: Path) -> str | None:
    if not log.exists():
        return None
    lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else None


def send_alert(alert: Alert, log: Path, webhook: str | None = None) -> bool:
    """Write `alert` to `log` and post it to `webhook` (NEWS_ALERT_WEBHOOK when None; '' for
    none). False when this run was alerted already (nothing is sent again). Never raises for the
    webhook."""
    if already_alerted(log, alert.run_id):
        return False
    webhook = setting("NEWS_ALERT_WEBHOOK") if webhook is None else webhook
    _append(log, alert.text.replace("\n", " "))
    if webhook:
        problem = _post(webhook, {"text": alert.text, "news_warehouse": asdict(alert)})
        if problem:
            _append(log, f"(webhook for run {alert.run_id}: {problem}; the alert is only in this file)")
    return True


def _append(log: Path, text: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {text}\n")


def _post(url: str, payload: dict) -> str | None:
    """POST `payload` as JSON, once more after a failure; the last problem, or None when it went."""
    body = json.dumps(payload).encode("utf-8")
    problem = None
    for attempt in range(2):
        if attempt:
            time.sleep(RETRY_AFTER_SECONDS)
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
                response.read()
            return None
        except (urllib.error.URLError, OSError, ValueError) as error:  # HTTPError is a URLError
            problem = f"{type(error).__name__}: {error}"
    return problem


def alert_for_failed_run(run_id: str, job_name: str, events: list) -> Alert:
    """The alert of a failed run from its Dagster events: the steps that failed and, as the
    reason, the error the first of them raised (a failed blocking check names its checks), else
    the run's own failure message."""
    failures = [event for event in events if event.is_step_failure]
    if failures:
        reason = root_error_message(failures[0])
    else:
        ends = [event for event in events if event.is_run_failure]
        reason = (ends[-1].message if ends else None) or "the run failed"
    steps = tuple(dict.fromkeys(event.step_key for event in failures if event.step_key))
    return Alert(run_id=run_id, job_name=job_name, reason=" ".join(reason.split()), failed_steps=steps)
