#!/usr/bin/env python3
"""Peak memory of `lamina serve` over its idle size while the embedded S3 takes a 250 MB object.

Starts the server (release build if present, else debug) on a temporary data directory, makes a bucket
and a small object (so that the S3 code paths are loaded before the idle reading), reads VmRSS, then
uploads a 250 MiB file twice: as one PutObject (boto3, one streamed body) and with `aws s3 cp` (multipart,
8 MiB parts, completed into one object), reading the server's peak resident set size (VmHWM in
/proc/<pid>/status) after each. The issue's bound: the peak stays within 64 MB of idle. A benchmark,
not a test: it prints numbers for BENCHMARKS.md.

    .venv/bin/python bench/s3_upload_memory.py [--binary target/release/lamina]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

import conftest  # noqa: E402  (the e2e harness: Server, run_aws)

SIZE_MIB = 250


def vm(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024  # MiB
    raise KeyError(key)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", help="lamina binary (default: target/release/lamina if built, else debug)")
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    target = Path(os.environ.get("CARGO_TARGET_DIR", repo / "target"))
    binary = Path(args.binary) if args.binary else target / "release" / "lamina"
    if not binary.exists():
        binary = target / "debug" / "lamina"
    conftest.lamina_binary = lambda: binary

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "object.bin"
        block = os.urandom(1024 * 1024 - 8)
        with open(path, "wb") as f:
            for i in range(SIZE_MIB):
                f.write(i.to_bytes(8, "big") + block)
        server = conftest.Server(Path(tmp) / "data").start()
        try:
            pid = server.proc.pid
            s3 = server.client(service="s3", read_timeout=300)
            s3.create_bucket(Bucket="memory")
            s3.put_object(Bucket="memory", Key="warm-up", Body=b"x" * 1024)
            idle = vm(pid, "VmRSS")
            with open(path, "rb") as body:
                s3.put_object(Bucket="memory", Key="single", Body=body)
            single = vm(pid, "VmHWM")
            s3.delete_object(Bucket="memory", Key="single")
            conftest.run_aws(["s3", "cp", str(path), "s3://memory/multipart"], {"AWS_ENDPOINT_URL": server.endpoint})
            multipart = vm(pid, "VmHWM")
            size = s3.head_object(Bucket="memory", Key="multipart")["ContentLength"]
            assert size == SIZE_MIB * 1024 * 1024, size
        finally:
            server.stop()
    print(f"binary: {binary}")
    print(f"idle RSS: {idle} MiB")
    print(f"peak after one {SIZE_MIB} MiB PutObject: {single} MiB ({single - idle:+} MiB over idle)")
    print(f"peak after `aws s3 cp` of {SIZE_MIB} MiB (multipart): {multipart} MiB ({multipart - idle:+} MiB over idle)")


if __name__ == "__main__":
    main()
