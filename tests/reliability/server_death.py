"""Server death: after `kill -9` of a server with running environments, how long until no function
process is left (bound: 1 s), in both isolation modes (a sandbox's helper, or the watchdog of plain
bootstraps' process groups, ends them)."""

import threading
import time

from conftest import create, make_zip
from reliability.harness import Section
from reliability.host import processes_with, wait_until

# A bootstrap that sleeps for a time no other process on the host sleeps for, so its processes can be
# found by their command line; one in the background as well, so a whole process tree must end.
MARKER = "2999.0417"
SHELL_SLEEP = f"#!/bin/sh\nsleep {MARKER} &\nexec sleep {MARKER}\n"


def run(h):
    section = Section("Server death", ("measured", "value"))
    environments = 4 if h.quick else 16
    for isolation in ("sandbox", "process"):
        what = (
            f"after kill -9 of a server with {environments} running {isolation}-isolated environments, the "
            "last function process gone after"
        )
        if isolation == "sandbox" and not h.root:
            section.add(what, "not measured: sandboxes need root")
            continue
        seconds, gone = _measure(h, isolation, environments)
        section.add(what, f"{seconds * 1000:.0f} ms")
        h.check(
            gone and seconds <= 1,
            f"{isolation}: function processes lived {seconds:.2f} s after the server (bound 1 s)",
        )
    return section


def _measure(h, isolation, environments):
    """Kills a server with `environments` running environments; returns the seconds until the last
    function process was gone, and whether it went at all (within 30 s)."""
    server = h.server(f"server-death-{isolation}", ["--isolation", isolation])
    try:
        lam = server.client(read_timeout=60)
        create(lam, "stuck", make_zip({"bootstrap": SHELL_SLEEP}))

        def invoke():
            try:
                lam.invoke(FunctionName="stuck", Payload=b"{}")
            except Exception:  # noqa: BLE001 - the server dies under the call
                pass

        for _ in range(environments):
            threading.Thread(target=invoke, daemon=True).start()
        started = wait_until(lambda: len(processes_with(MARKER)) >= 2 * environments, 60)
        h.check(started, f"{isolation}: {environments} environments did not start")
        server.proc.kill()
        killed = time.monotonic()
        server.proc.wait()
        gone = wait_until(lambda: not processes_with(MARKER), 30)
        return time.monotonic() - killed, gone
    finally:
        server.stop()  # nothing to stop once the kill came
