"""`make ui` as a service: start `dagster dev`, and stop every process it started, on request.

    python -m pipelines.serve --host 127.0.0.1 --port 3000

`dagster dev` alone does not stop on SIGTERM (its webserver, daemon and code server stay up), and
a port already taken makes it fail deep in its start-up. This supervisor, standard library and
psutil only:

1. checks that the port is free on that host (it binds a socket, as the webserver will); when it
   is not, it says so in one line on stderr and exits with status 1, before starting anything;
2. starts `dagster dev -h HOST -p PORT -m pipelines.definitions` (the `dagster` next to
   `sys.executable`) in a session and process group of its own, its output going to ours;
3. on SIGTERM, SIGINT (Ctrl-C) or SIGHUP, or when `dagster dev` exits by itself, notes every
   descendant, sends SIGTERM to the process group and to each of them, waits up to
   `GRACE_SECONDS`, then sends SIGKILL to whatever is left (the group, the descendants, and the
   orphans the first snapshot saw), and exits: status 0 on a requested stop, `dagster dev`'s
   status otherwise. A second signal during the wait skips to SIGKILL.

On Linux it also becomes a child subreaper, so that processes orphaned during the shutdown are
re-parented to it rather than to init, and stay among the descendants it can find and reap.
GNU make forwards SIGTERM to the recipe it runs and waits for it, so `kill <pid of make>` stops
`make ui` cleanly, as does Ctrl-C in its terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import psutil

GRACE_SECONDS = 4.0  # SIGTERM → SIGKILL: with the 2 s wait after it, well inside the 10 s `make ui` promises on a loaded machine
KILL_WAIT_SECONDS = 2.0  # after SIGKILL, how long to wait for the processes to be gone
POLL_SECONDS = 0.1
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>

_received: list[int] = []  # the stop signals received, in order


def _on_stop_signal(signum: int, _frame: FrameType | None) -> None:
    _received.append(signum)


def _say(line: str) -> None:
    """One line on stderr (quietly nothing when stderr is gone, e.g. a closed terminal)."""
    with contextlib.suppress(OSError, ValueError):
        print(f"make ui: {line}", file=sys.stderr, flush=True)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def port_problem(host: str, port: int) -> str | None:
    """Why the webserver could not listen on host:port, or None when it can (a bind, then closed)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"cannot listen on {_address(host, port)}: {error.strerror}"
    failures: list[OSError] = []
    for family, kind, protocol, _, address in addresses:
        with socket.socket(family, kind, protocol) as sock:
            # as uvicorn does: a port left in TIME_WAIT by the last `make ui` is free to use
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return (
                        f"{_address(host, port)} is already in use (another make ui?); "
                        f"choose another port, e.g. make ui PORT={port + 1}"
                    )
                failures.append(error)
    if failures and len(failures) == len(addresses):
        return f"cannot listen on {_address(host, port)}: {failures[0].strerror}"
    return None


def _become_subreaper() -> None:
    """Linux: orphaned descendants are re-parented to this process, not to init (best effort)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _descendants(pid: int) -> set[psutil.Process]:
    try:
        return set(psutil.Process(pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return set()


def _signal_all(group: int, processes: set[psutil.Process], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process.send_signal(signum)


def _reap_orphans(child_pid: int) -> None:
    """Collect the exit status of orphans re-parented to us (never `dagster dev`'s: Popen's)."""
    for process in _descendants(os.getpid()):
        if process.pid == child_pid:
            continue
        with contextlib.suppress(psutil.NoSuchProcess, ChildProcessError):
            if process.status() == psutil.STATUS_ZOMBIE:
                os.waitpid(process.pid, os.WNOHANG)


def stop_tree(child: subprocess.Popen[bytes], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM to `child`'s process group and every descendant; SIGKILL to what is left after `grace`."""
    group = child.pid  # start_new_session: the child leads its own group
    known = _descendants(child.pid) | _descendants(os.getpid())
    with contextlib.suppress(psutil.NoSuchProcess):
        known.add(psutil.Process(child.pid))
    signals_before = len(_received)
    _signal_all(group, known, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and len(_received) == signals_before:
        child.poll()
        _reap_orphans(child.pid)
        spawned = {new for process in known if _alive(process) for new in _descendants(process.pid)}
        spawned |= _descendants(os.getpid())
        if spawned - known:
            _signal_all(group, spawned - known, signal.SIGTERM)
            known |= spawned
        if not any(_alive(process) for process in known):
            break
        time.sleep(POLL_SECONDS)
    left = {process for process in known if _alive(process)} | _descendants(os.getpid())
    _signal_all(group, left, signal.SIGKILL)  # the group too: members no snapshot saw
    psutil.wait_procs([process for process in left if process.pid != child.pid], timeout=KILL_WAIT_SECONDS)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=KILL_WAIT_SECONDS)
    _reap_orphans(child.pid)


def _exit_status(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode  # killed by signal N → 128 + N


def serve(host: str, port: int) -> int:
    """Run `dagster dev` on host:port until a stop signal or its own exit; the exit status."""
    problem = port_problem(host, port)
    if problem:
        _say(problem)
        return 1
    for signum in STOP_SIGNALS:  # before the child exists: a signal from now on stops it cleanly
        signal.signal(signum, _on_stop_signal)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # even if whoever started us had them blocked
    _become_subreaper()
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "dev", "-h", host, "-p", str(port), "-m", "pipelines.definitions"]
    try:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as error:
        _say(f"cannot start {dagster}: {error.strerror}")
        return 1
    while not _received and child.poll() is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=0.5)
    if _received:
        name = signal.Signals(_received[0]).name
        stop_tree(child)
        _say(f"stopped on {name}; dagster dev and all its processes are gone")
        return 0
    status = _exit_status(child.returncode)
    stop_tree(child)
    _say(f"dagster dev exited by itself with status {status}; its remaining processes were stopped")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface the webserver listens on")
    parser.add_argument("--port", type=int, default=3000, help="port the webserver listens on")
    arguments = parser.parse_args(argv)
    return serve(arguments.host, arguments.port)


if __name__ == "__main__":
    sys.exit(main())
