"""A function never outlives the server: after `kill -9` of `lamina serve`, every process of every
sandboxed environment it started is gone (each sandbox's helper holds the read end of a pipe only the
server writes to, and kills its sandbox at end-of-file)."""

import threading
from pathlib import Path


from conftest import Server, create, make_zip, wait_for

# A bootstrap that never asks for an invocation: its environment stays in INIT until the server goes.
MARKER = "2999.0417"
BOOTSTRAP = f"#!/bin/sh\nexec sleep {MARKER}\n"


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


def test_sandboxes_die_with_the_server(tmp_path):
    srv = Server(tmp_path / "data", ["--isolation", "sandbox"]).start()
    try:
        assert not marked_processes(), "a process of an earlier run is still alive"
        lam = srv.client(read_timeout=60)
        create(lam, "stuck", zip_bytes=make_zip({"bootstrap": BOOTSTRAP}))
        calls = [threading.Thread(target=_invoke, args=(lam, "stuck"), daemon=True) for _ in range(3)]
        for call in calls:
            call.start()
        # Three concurrent invocations, three environments, each with its bootstrap running.
        wait_for(lambda: len(marked_processes()) >= 3, 20, "three environments started")
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
