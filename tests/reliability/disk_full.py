"""Disk full: the data directory on a small tmpfs the harness mounts, filled up to its last 256 KiB. A
CreateFunction must answer AWS's ServiceException saying lamina is out of disk space (never blaming the
package), leave nothing half-written (ListFunctions unchanged, no new file among the packages, the
staging and spool directories empty), and succeed, the same request, once the space is freed. Twice: a
package whose request body is spooled to disk as it arrives (over 1 MiB), and one whose body is held in
memory until the package is staged in the code store."""

import os
import subprocess

from botocore.exceptions import ClientError

from conftest import ROLE, create, make_zip
from reliability.harness import Section

KIB = 1024


def files(data_dir):
    """Every file of the code store, the unpacked packages and the spool (not the database)."""
    return sorted(
        str(p.relative_to(data_dir))
        for d in ("code", "unpacked", "spool")
        if (data_dir / d).is_dir()
        for p in (data_dir / d).rglob("*")
    )


def listing(lam):
    return sorted((f["FunctionName"], f["CodeSha256"], f["RevisionId"]) for f in lam.list_functions()["Functions"])


def fill(mount_point, leave):
    """A file that takes all the free space of `mount_point` but `leave` bytes."""
    filler = mount_point / "filler"
    stat = os.statvfs(mount_point)
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))
    return filler


def attempt(h, section, server, mount_point, name, size, what):
    lam = server.client()
    before, before_files = listing(lam), files(server.data_dir)
    filler = fill(mount_point, 256 * KIB)
    # Incompressible: the zip is as large as its content, more than the free space.
    request = dict(FunctionName=name, Runtime="provided.al2023", Handler="bootstrap", Role=ROLE,
                   Code={"ZipFile": make_zip({"bootstrap": "#!/bin/sh\n", "blob": os.urandom(size)})})
    try:
        lam.create_function(**request)
        status, code, message = 201, None, ""
    except ClientError as error:
        response = error.response
        status = response["ResponseMetadata"]["HTTPStatusCode"]
        code, message = response["Error"]["Code"], response["Error"]["Message"]
    shown = message.replace(str(server.data_dir), "<data-dir>")
    section.add(f"CreateFunction of a {size // KIB:,} KiB package ({what}), 256 KiB free", f"{status} {code}: {shown}")
    h.check(
        (status, code) == (500, "ServiceException") and message.startswith("lamina is out of disk space in ")
        and "zip" not in message.lower(),
        f"disk full, {what}: CreateFunction answered {status} {code} {message!r}",
    )
    unchanged = listing(lam) == before
    stray = sorted(set(files(server.data_dir)) - set(before_files))
    section.add("ListFunctions unchanged, no file left behind", "yes" if unchanged and not stray else "NO")
    h.check(unchanged, f"disk full, {what}: ListFunctions changed")
    h.check(not stray, f"disk full, {what}: files left behind: {stray}")
    filler.unlink()
    try:
        lam.create_function(**request)
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
        recovered = lam.invoke(FunctionName=name)["StatusCode"] == 200
    except ClientError as error:
        recovered = False
        h.fail(f"disk full, {what}: the same request once space was freed: {error}")
    section.add("the same request once the space is freed: created, Active, invoked", "yes" if recovered else "NO")
    h.check(recovered, f"disk full, {what}: no recovery once space was freed")


def run(h):
    section = Section("Disk full", ("measured", "value"))
    if not h.root:
        section.add("disk full", "not measured: mounting a small tmpfs needs root")
        return section
    mount_point = h.work / "disk-full"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)], check=True)
    try:
        server = h.server("disk-full", data_dir=mount_point / "data")
        try:
            create(server.client(), "before")
            for name, size, what in [
                ("spooled", 3 * 1024 * KIB, "its request body spooled to disk"),
                ("staged", 600 * KIB, "its body in memory, staged to the code store"),
            ]:
                attempt(h, section, server, mount_point, name, size, what)
        finally:
            server.stop()
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
    return section
