"""Test hook: pause a `python -m pipelines` subprocess inside a step, on purpose, for the tests.

On the subprocess's PYTHONPATH (tests/hooks), Python imports this module at start-up. It does
nothing unless NEWS_TEST_PAUSE_IN names a pause point below. Then, when the process reaches that
point, it writes the file NEWS_TEST_PAUSE_MARKER (its pid), and waits forever: the test waits for
the file (an event, not a guess at how long a step takes) and kills the run there.

Pause points, each a function the step calls, patched when its module is first imported:
- analyse: `transforms.analysis.assemble_analysis`, once the documents went through the NLP;
- sql_models: dbt's `ModelRunner.execute` for the second model of the build, with the first
  written to the working database.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import os
import sys
import threading
from pathlib import Path

# step → (module, attribute path of the function, which call pauses)
PAUSE_POINTS = {
    "analyse": ("transforms.analysis", "assemble_analysis", 1),
    "sql_models": ("dbt.task.run", "ModelRunner.execute", 2),
}


def _pause_at(nth: int, marker: Path, function):
    calls = 0
    lock = threading.Lock()

    @functools.wraps(function)
    def paused(*args, **kwargs):
        nonlocal calls
        with lock:
            calls += 1
            reached = calls == nth
        if reached:
            staging = marker.with_name(marker.name + ".partial")
            staging.write_text(f"{os.getpid()}\n")
            os.replace(staging, marker)
            threading.Event().wait()  # until the test kills the process
        return function(*args, **kwargs)

    return paused


def _patch(module, attribute: str, nth: int, marker: Path) -> None:
    *owner_path, name = attribute.split(".")
    owner = module
    for part in owner_path:
        owner = getattr(owner, part)
    setattr(owner, name, _pause_at(nth, marker, getattr(owner, name)))


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader, patch):
        self.loader = loader
        self.patch = patch

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        self.patch(module)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches `module_name` as soon as it is imported, before anyone imports names from it."""

    def __init__(self, module_name: str, patch):
        self.module_name = module_name
        self.patch = patch

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.module_name:
            return None
        sys.meta_path.remove(self)  # once; and let the other finders find the real module
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, self.patch)
        return spec


def _install() -> None:
    step = os.environ.get("NEWS_TEST_PAUSE_IN")
    if not step:
        return
    module_name, attribute, nth = PAUSE_POINTS[step]
    marker = Path(os.environ["NEWS_TEST_PAUSE_MARKER"])

    def patch(module) -> None:
        _patch(module, attribute, nth, marker)

    if module_name in sys.modules:
        patch(sys.modules[module_name])
    else:
        sys.meta_path.insert(0, _PatchOnImport(module_name, patch))


_install()
