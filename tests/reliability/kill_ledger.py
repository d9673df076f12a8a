"""The kill -9 ledger: writers (boto3, one thread each) create functions, change their description and
environment, tag them, publish versions and delete them while the server is killed with SIGKILL at a
random moment, again and again, and restarted on the same data directory; after each restart every
acknowledged write must be there with the value written (tests/e2e/ledger.py)."""

import random
import statistics
import threading
import time

from ledger import Ledger, run_writers, wait_for_writes
from reliability.harness import Section

WORKERS = 4


def run(h):
    section = Section("Kill -9 ledger of acknowledged writes", ("measured", "value"))
    kills = 3 if h.quick else 30
    server = h.server("ledger", ["--isolation", "process"])
    ledger = Ledger()
    rng = random.Random()
    restarts, in_flight, lost = [], 0, []
    try:
        for _ in range(kills):
            stop = threading.Event()
            threads = run_writers(ledger, server.client, WORKERS, stop)
            h.check(wait_for_writes(ledger, 10, 60), "the writers were not acknowledged 10 writes within 60 s")
            # Then a random moment: the kill lands anywhere in a request's life.
            time.sleep(rng.uniform(0, 1 if h.quick else 3))
            server.kill9()
            stop.set()
            for t in threads:
                t.join(timeout=120)
            h.check(not any(t.is_alive() for t in threads), "a writer hung after the server died")
            in_flight += len(ledger.pending)
            started = time.monotonic()
            server.start()
            restarts.append(time.monotonic() - started)
            round_lost = ledger.verify(server.client())
            lost.extend(round_lost)
    finally:
        server.stop()
    ops = ", ".join(f"{op} {n:,}" for op, n in sorted(ledger.by_operation.items()))
    section.add("kill -9 of the server, each followed by a restart on the same data directory", kills)
    section.add(f"acknowledged writes, by {WORKERS} writer threads", f"{ledger.acknowledged:,} ({ops})")
    section.add("writes in flight at the kills (unacknowledged: may or may not have happened)", in_flight)
    section.add("acknowledged writes lost or changed", len(lost))
    section.add(
        "restart until the API answers: median, max",
        f"{statistics.median(restarts) * 1000:.0f} ms, {max(restarts) * 1000:.0f} ms",
    )
    h.check(not lost, f"{len(lost)} acknowledged writes lost: {lost[:5]}")
    return section

