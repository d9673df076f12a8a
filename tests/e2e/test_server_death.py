"""A function never outlives the server: after `kill -9` of `lamina serve`, every process of every
sandboxed environment it started is gone (each sandbox's helper holds the read end of a pipe only the
server writes to, and kills its sandbox at end-of-file), and so is every process of every plain
bootstrap's group under process isolation (the server's watchdog process kills the groups at
end-of-file on its own such pipe)."""

import threading
from pathlib import Path

import pytest

from conftest import Server, create, make_zip, require_root, wait_for

# A bootstrap that never asks for an invocation: its environment stays in INIT until the server goes.
MARKER = "2999.0417"
# A process in the background too: process isolation must end the bootstrap's whole group.
BOOTSTRAP = f"#!/bin/sh\nsleep {MARKER} &\nexec sleep {MARKER}\n"


def marked_processes() -> list[int]:
    """The host pids whose command line carries the marker."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if MARKER.encode() in cmdline and b"sleep" in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.mark.parametrize("isolation", ["sandbox", "process"])
def test_functions_die_with_the_server(tmp_path, isolation):
    if isolation == "sandbox":
        require_root("sandbox isolation needs root")
    srv = Server(tmp_path / "data", ["--isolation", isolation]).start()
    try:
        assert not marked_processes(), "a process of an earlier run is still alive"
        lam = srv.client(read_timeout=60)
        create(lam, "stuck", zip_bytes=make_zip({"bootstrap": BOOTSTRAP}))
        calls = [threading.Thread(target=_invoke, args=(lam, "stuck"), daemon=True) for _ in range(3)]
        for call in calls:
            call.start()
        # Three concurrent invocations, three environments, each with its bootstrap running.
        wait_for(lambda: len(marked_processes()) >= 6, 20, "three environments started, two processes each")
    finally:
        srv.kill9()
    # Each sandbox ends with the server. The bound is generous on a loaded machine; the figure itself is
    # measured by the reliability harness.
    wait_for(lambda: not marked_processes(), 10, "every function process gone after kill -9 of the server")


def _invoke(lam, name):
    try:
        lam.invoke(FunctionName=name, Payload=b"{}")
    except Exception:  # noqa: BLE001 - the server is killed under the call
        pass
