"""Server death: after `kill -9` of a server with running sandboxed environments, how long until no
function process is left (bound: 1 s)."""

import threading
import time

from conftest import create, make_zip
from reliability.harness import Section
from reliability.host import processes_with, wait_until

# A bootstrap that sleeps for a time no other process on the host sleeps for, so its processes can be
# found by their command line.
MARKER = "2999.0417"
SHELL_SLEEP = f"#!/bin/sh\nexec sleep {MARKER}\n"


def run(h):
    section = Section("Server death", ("measured", "value"))
    if not h.root:
        section.add("after kill -9 of the server", "not measured: sandboxes need root")
        return section
    server = h.server("server-death", ["--isolation", "sandbox"])
    try:
        lam = server.client(read_timeout=60)
        create(lam, "stuck", make_zip({"bootstrap": SHELL_SLEEP}))
        environments = 4 if h.quick else 16

        def invoke():
            try:
                lam.invoke(FunctionName="stuck", Payload=b"{}")
            except Exception:  # noqa: BLE001 - the server dies under the call
                pass

        for _ in range(environments):
            threading.Thread(target=invoke, daemon=True).start()
        started = wait_until(lambda: len(processes_with(MARKER)) >= environments, 60)
        h.check(started, f"{environments} environments did not start")
        server.proc.kill()
        killed = time.monotonic()
        server.proc.wait()
        gone = wait_until(lambda: not processes_with(MARKER), 30)
        seconds = time.monotonic() - killed
    finally:
        server.stop()  # nothing to stop once the kill came
    section.add(
        f"after kill -9 of a server with {environments} running sandboxed environments, the last function "
        "process gone after",
        f"{seconds * 1000:.0f} ms",
    )
    h.check(gone and seconds <= 1, f"function processes lived {seconds:.2f} s after the server (bound 1 s)")
    return section
