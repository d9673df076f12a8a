#!/usr/bin/env python3
"""Peak memory of `lamina serve` while it accepts a 50 MB deployment package.

Starts the server (release build if present, else debug) on a temporary data directory, uploads an
incompressible zip of just under 52,428,800 bytes through boto3 (about 70 MB of base64 JSON), and reads
the server's peak resident set size (VmHWM in /proc/<pid>/status) before and after. A benchmark, not a
test: it prints numbers for docs/benchmarks.md.

    .venv/bin/python bench/upload_memory.py [--binary target/release/lamina]
"""

import argparse
import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

import conftest  # noqa: E402  (the e2e harness: Server, ROLE)


def vm(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024  # MiB
    raise KeyError(key)


def big_zip(target=52_428_800 - 4096):
    payload = os.urandom(target - 300)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        z.writestr(info, "#!/bin/sh\n")
        z.writestr("payload.bin", payload)
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", help="lamina binary (default: target/release/lamina if built, else debug)")
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    binary = Path(args.binary) if args.binary else repo / "target" / "release" / "lamina"
    if not binary.exists():
        binary = repo / "target" / "debug" / "lamina"
    conftest.lamina_binary = lambda: binary

    zip_bytes = big_zip()
    with tempfile.TemporaryDirectory() as tmp:
        server = conftest.Server(Path(tmp) / "data").start()
        try:
            pid = server.proc.pid
            idle = vm(pid, "VmHWM")
            lam = server.client(read_timeout=300)
            started = time.monotonic()
            out = lam.create_function(
                FunctionName="big",
                Runtime="provided.al2023",
                Handler="bootstrap",
                Role=conftest.ROLE,
                Code={"ZipFile": zip_bytes},
            )
            elapsed = time.monotonic() - started
            lam.get_waiter("function_active_v2").wait(FunctionName="big")
            peak = vm(pid, "VmHWM")
            print(f"binary: {binary}")
            print(f"zip: {len(zip_bytes)} bytes; request body about {len(zip_bytes) * 4 // 3} bytes of base64")
            print(f"CodeSize answered: {out['CodeSize']}; CreateFunction took {elapsed:.2f} s")
            print(f"peak RSS (VmHWM): idle {idle} MiB, after the upload {peak} MiB")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
