"""The private dagster-dbt, dbt and dbt-duckdb things the in-process dbt build needs, in one place.

The pipeline runs `dbt build` in its own process with dbt's public `dbtRunner`, handing it a parse
of the project kept from an earlier run (`dbtRunner(manifest=...)`): about 3 s instead of the 11 to
14 s of a dbt process that imports dbt and parses the project again. Three steps of that have no
public interface; this module is the only place they are used:

1. Reading a kept parse: `dbt.contracts.graph.manifest.Manifest.from_msgpack` with
   `dbt.parser.manifest.extended_mashumuro_decoder`, on dbt's own partial-parse file
   (`dbt.constants.PARTIAL_PARSE_FILE_NAME`, written into the target path by a parse). dbt's own
   partial parsing cannot stand in: it starts over whenever the profile's DuckDB path changes,
   which is every new warehouse (the path is part of dbt's profile hash).
2. Turning dbt's result events into Dagster outputs and check results:
   `dagster_dbt.core.dbt_cli_event.DbtCoreCliEventMessage` (not exported by dagster_dbt; its
   `to_default_asset_events` is what `DbtCliResource.cli(...).stream()` uses), fed the dict of
   each event that dbt would print as a JSON log line.
3. Letting go of the DuckDB file: dbt-duckdb keeps one DuckDB database open for the life of the
   process; `DuckDBConnectionManager.env().close()` closes it and `close_all_connections()` drops
   it (after dbt's adapters, `dbt.adapters.factory.reset_adapters()`), so the pipeline can open the
   file again with another configuration.

Pinned: `CHECKED_AGAINST` names the versions this was checked against. With any other version
installed, or with one of the names above missing, `compatible()` is False and the pipeline takes
the public path instead, `DbtCliResource.cli(["build", ...]).stream()` (correct, slower), and
tests/test_dbt_adapter.py fails, saying what to check again before moving the pins.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dagster as dg
    from dagster_dbt import DagsterDbtTranslator, DbtProject
    from dbt.contracts.graph.manifest import Manifest

# The versions the private names below were read and tested against.
CHECKED_AGAINST = {"dagster-dbt": "0.29.27", "dbt-core": "1.11.16", "dbt-duckdb": "1.11.1"}

# module → the names this module uses from it ("Class.attribute" for an attribute of a class).
PRIVATE_NAMES = {
    "dbt.constants": ("PARTIAL_PARSE_FILE_NAME",),
    "dbt.contracts.graph.manifest": ("Manifest.from_msgpack", "Manifest.build_flat_graph"),
    "dbt.parser.manifest": ("extended_mashumuro_decoder",),
    "dagster_dbt.core.dbt_cli_event": ("DbtCoreCliEventMessage.to_default_asset_events",),
    "dbt.adapters.duckdb.connections": ("DuckDBConnectionManager.env", "DuckDBConnectionManager.close_all_connections"),
}

# What to check again before moving a pin, per package.
RECHECK = {
    "dagster-dbt": "DbtCoreCliEventMessage(raw_event=..., event_history_metadata={})"
    ".to_default_asset_events(...) still turns dbt's JSON log events into the outputs and check "
    "results that DbtCliResource.cli().stream() yields",
    "dbt-core": "Manifest.from_msgpack(partial_parse.msgpack, decoder=extended_mashumuro_decoder) "
    "still reads the parse dbt writes into the target path, and dbtRunner(manifest=...) runs from it; "
    "the result events are still LogModelResult/LogTestResult/LogSeedResult/LogSnapshotResult",
    "dbt-duckdb": "DuckDBConnectionManager.env().close() and close_all_connections() still close "
    "the DuckDB database dbt opened (duckdb.connect(path, read_only=True) works afterwards)",
}

# The dbt events that carry a node's result (dagster-dbt's `is_result_event`).
RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})


def _resolve(module: str, name: str) -> Any:
    target = import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def problems() -> list[str]:
    """Why the adapter must not be used here: version differences and missing names (empty: none)."""
    found = []
    for package, checked in CHECKED_AGAINST.items():
        try:
            installed = version(package)
        except PackageNotFoundError:
            installed = "not installed"
        if installed != checked:
            found.append(f"{package} {installed} installed, checked against {checked}: {RECHECK[package]}")
    for module, names in PRIVATE_NAMES.items():
        for name in names:
            try:
                _resolve(module, name)
            except (ImportError, AttributeError) as error:
                found.append(f"{module}.{name} is missing ({error})")
    return found


def compatible() -> bool:
    """True when the installed versions are those checked and every private name is there."""
    return not problems()


def load_parse(path: Path) -> Manifest | None:
    """The dbt parse kept at `path`, ready for `dbtRunner(manifest=...)`; None when there is none or
    it cannot be read (absent, or written by another dbt): dbt then parses the project."""
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumuro_decoder

    try:
        manifest = Manifest.from_msgpack(path.read_bytes(), decoder=extended_mashumuro_decoder)
    except Exception:  # noqa: BLE001 - absent, truncated or from another version: parse instead
        return None
    manifest.build_flat_graph()
    return manifest


def keep_parse(target_path: Path, destination: Path) -> None:
    """Keep the parse dbt wrote into `target_path` at `destination`, written atomically."""
    from dbt.constants import PARTIAL_PARSE_FILE_NAME

    source = target_path / PARTIAL_PARSE_FILE_NAME
    if not source.exists():
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = destination.with_name(f".{destination.name}.{os.getpid()}")
    shutil.copyfile(source, staging)
    os.replace(staging, destination)


def result_event(message: Any) -> dict[str, Any] | None:
    """A dbt event (a `dbtRunner` callback's argument) as the dict of its JSON log line, when it
    carries a node's result; None otherwise."""
    if message.info.name not in RESULT_EVENTS:
        return None
    from google.protobuf.json_format import MessageToDict

    # as dbt writes it with --log-format json, which is what dagster-dbt reads from a dbt process
    return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def dagster_events(
    raw_events: Iterable[Mapping[str, Any]],
    *,
    context: dg.AssetExecutionContext,
    manifest: Mapping[str, Any] | Path,
    translator: DagsterDbtTranslator,
    target_path: Path,
    project: DbtProject,
) -> list[Any]:
    """dagster-dbt's outputs, check results and observations for dbt's result events."""
    from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

    return [
        event
        for raw_event in raw_events
        for event in DbtCoreCliEventMessage(
            raw_event=dict(raw_event), event_history_metadata={}
        ).to_default_asset_events(
            manifest=manifest,
            dagster_dbt_translator=translator,
            context=context,
            target_path=target_path,
            project=project,
        )
    ]


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the process, and dbt's adapters."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    try:
        environment = DuckDBConnectionManager.env()
    except Exception:  # noqa: BLE001 - dbt never connected (it failed before): nothing is open
        environment = None
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
