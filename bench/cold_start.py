#!/usr/bin/env python3
"""Cold start of a Go hello function in sandbox and in process isolation.

For each mode, starts `lamina serve --isolation MODE` (release build if present, else debug) on a temporary
data directory, creates N functions from the same `lamina build` of tests/fixtures/go/hello (one package,
unpacked once), and invokes each once: every invoke is a cold start. Reports, per mode, the client's
wall time of the Invoke call (boto3 round trip included) and the Init Duration of the REPORT line (bootstrap
start until the runtime's first /next), as p50 and p99. A benchmark, not a test: it prints numbers for
docs/benchmarks.md. Sandbox mode needs root.

    .venv/bin/python bench/cold_start.py [--runs 50] [--binary target/release/lamina]
"""

import argparse
import base64
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

import conftest  # noqa: E402  (the e2e harness: Server, create)


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(mode, package, runs):
    with tempfile.TemporaryDirectory() as tmp:
        server = conftest.Server(Path(tmp) / "data", ["--isolation", mode]).start()
        try:
            lam = server.client()
            for i in range(runs + 1):
                conftest.create(lam, f"hello-{i}", package, wait=False)
            for i in range(runs + 1):
                lam.get_waiter("function_active_v2").wait(FunctionName=f"hello-{i}")
            walls, inits = [], []
            # hello-0 warms the server itself (first connection, first sandbox); it is not counted.
            for i in range(runs + 1):
                started = time.perf_counter()
                out = lam.invoke(FunctionName=f"hello-{i}", Payload=b'{"name":"bench"}', LogType="Tail")
                wall = (time.perf_counter() - started) * 1000
                body = out["Payload"].read()
                assert b"hello, bench" in body, body
                tail = base64.b64decode(out["LogResult"]).decode()
                init = re.search(r"Init Duration: ([0-9.]+) ms", tail)
                if i > 0:
                    walls.append(wall)
                    inits.append(float(init.group(1)) if init else float("nan"))
            return walls, inits
        finally:
            server.stop()


def main():
    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--binary", help="lamina binary (default: target/release/lamina if built, else debug)")
    parser.add_argument("--modes", default="process,sandbox")
    args = parser.parse_args()
    binary = Path(args.binary) if args.binary else repo / "target" / "release" / "lamina"
    if not binary.exists():
        binary = repo / "target" / "debug" / "lamina"
    conftest.lamina_binary = lambda: binary
    with tempfile.TemporaryDirectory() as tmp:
        zip_path = Path(tmp) / "hello.zip"
        subprocess.run(
            [str(binary), "build", str(repo / "tests/fixtures/go/hello"), "-o", str(zip_path)],
            check=True, capture_output=True,
        )
        package = zip_path.read_bytes()
    print(f"binary: {binary}, {args.runs} cold starts per mode")
    print("| mode | invoke wall time p50 | p99 | Init Duration p50 | p99 |")
    print("|---|---:|---:|---:|---:|")
    for mode in args.modes.split(","):
        walls, inits = measure(mode, package, args.runs)
        print(
            f"| {mode} | {percentile(walls, 50):.1f} ms | {percentile(walls, 99):.1f} ms "
            f"| {percentile(inits, 50):.1f} ms | {percentile(inits, 99):.1f} ms |"
        )


if __name__ == "__main__":
    main()
