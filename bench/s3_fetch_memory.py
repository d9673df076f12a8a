"""Peak memory and wall time of CreateFunction from S3 against an inline ZipFile of similar size.

Starts gofakes3 (target/s3-server, installed by scripts/test) and the debug `lamina serve` with
`--s3-endpoint-url`, uploads incompressible zips with the AWS CLI, creates one function from each, and prints
the server's VmRSS/VmHWM after each CreateFunction. Run from the repository root:

    .venv/bin/python bench/s3_fetch_memory.py
"""

import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from conftest import ROLE, S3Store, Server, lamina_env  # noqa: E402


def package(mib: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
        info.create_system = 3
        info.external_attr = 0o100755 << 16
        z.writestr(info, "#!/bin/sh\necho hi\n")
        z.writestr(zipfile.ZipInfo("blob.bin", date_time=(2020, 1, 1, 0, 0, 0)), os.urandom(mib * 1024 * 1024))
    return buf.getvalue()


def memory(pid: int) -> str:
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) // 1024
    return f"VmRSS {fields['VmRSS']} MiB, VmHWM {fields['VmHWM']} MiB"


def main():
    tmp = Path(tempfile.mkdtemp(prefix="lamina-s3-bench-"))
    store = S3Store(tmp / "gofakes3.log").start()
    server = Server(tmp / "data", ["--s3-endpoint-url", store.endpoint, "--isolation", "process"], env=lamina_env())
    server.start()
    try:
        lam = server.client()
        print(f"idle: {memory(server.proc.pid)}")
        bucket = store.new_bucket()
        for mib in (45, 120):
            data = package(mib)
            (tmp / "p.zip").write_bytes(data)
            store.aws(["s3", "cp", str(tmp / "p.zip"), f"s3://{bucket}/p{mib}.zip"])
            started = time.monotonic()
            lam.create_function(
                FunctionName=f"s3-{mib}", Runtime="provided.al2023", Handler="bootstrap", Role=ROLE,
                Code={"S3Bucket": bucket, "S3Key": f"p{mib}.zip"},
            )
            print(f"S3 {len(data)} bytes: {time.monotonic() - started:.2f} s, {memory(server.proc.pid)}")
        data = package(45)
        started = time.monotonic()
        lam.create_function(
            FunctionName="inline-45", Runtime="provided.al2023", Handler="bootstrap", Role=ROLE, Code={"ZipFile": data}
        )
        print(f"inline ZipFile {len(data)} bytes: {time.monotonic() - started:.2f} s, {memory(server.proc.pid)}")
    finally:
        server.stop()
        store.stop()


if __name__ == "__main__":
    main()
