"""The Dagster UI as a person sees it: `dagster dev` on loopback, the asset graph in a real browser.

Needs Debian's chromium (`make test` installs it when it can); skips with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LINEAGE = [
    (["raw", "documents"], ["prep", "cleaned_documents"]),
    (["prep", "cleaned_documents"], ["core", "documents"]),
    (["prep", "cleaned_documents"], ["core", "entity_mentions"]),
    (["core", "entity_mentions"], ["staging", "stg_entity_mentions"]),
    (["staging", "stg_entity_mentions"], ["marts", "entity_overview"]),
    (["marts", "entity_overview"], ["published_warehouse"]),
    (["published_warehouse"], ["report", "entity_report"]),
]
ASSET_QUERY = "{ assetNodes { assetKey { path } dependencyKeys { path } } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def dagster_ui(seed_warehouse, tmp_path_factory):
    port = _free_port()
    home = tmp_path_factory.mktemp("ui_home")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "NEWS_WAREHOUSE_PATH": str(seed_warehouse),
        "NEWS_SOURCE_DIR": str(seed_warehouse.parent.parent / "source"),
    }
    log = open(home / "dagster_dev.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster"),
            "dev",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            "pipelines.definitions",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if _graphql(port, ASSET_QUERY).get("data", {}).get("assetNodes"):
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dagster dev did not come up: {(home / 'dagster_dev.log').read_text()[-3000:]}")
            time.sleep(1)
        yield port
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
        log.close()


def test_graphql_lineage_has_every_edge(dagster_ui):
    nodes = _graphql(dagster_ui, ASSET_QUERY)["data"]["assetNodes"]
    parents = {
        tuple(node["assetKey"]["path"]): {tuple(dep["path"]) for dep in node["dependencyKeys"]} for node in nodes
    }
    for upstream, downstream in LINEAGE:
        assert tuple(upstream) in parents[tuple(downstream)], (upstream, downstream)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it as root)")
def test_asset_graph_shows_the_whole_lineage_in_a_browser(dagster_ui, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1800, "height": 1200})
        # the lineage of the last asset, every upstream level: the whole graph from raw.documents on
        url = f"http://127.0.0.1:{dagster_ui}/assets/report/entity_report?view=lineage&lineageScope=upstream&lineageDepth=20"
        page.goto(url, wait_until="networkidle", timeout=120_000)
        page.wait_for_selector("text=entity_overview", timeout=120_000)
        skip = page.get_by_role("button", name="Skip")
        if skip.count():
            skip.first.click()  # the first-visit newsletter dialog
        graph_text = page.inner_text("body")
        for name in [
            "rejected_files",
            "cleaned_documents",
            "entity_mentions",
            "stg_documents",
            "entity_overview",
            "entity_sentiment",
            "entity_report",
        ]:
            assert name in graph_text, name
        for group in ["ingest", "prepare", "analyse", "sql_staging", "sql_marts", "publish"]:
            assert group in graph_text, group
        assert page.locator("svg path").count() >= len(LINEAGE)  # the edges are drawn
        screenshot = tmp_path / "asset_graph.png"
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    assert screenshot.stat().st_size > 10_000
    shutil.copy(screenshot, Path(os.environ.get("NEWS_UI_SCREENSHOT", tmp_path / "kept.png")))
