"""What a running `lamina serve` holds on the host, read from /proc and the cgroup file systems: its
memory, its open files, the processes below it, the cgroups of its sandboxes."""

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024


def status(pid, key):
    """A size from /proc/<pid>/status (`VmRSS`, `VmHWM`), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} for process {pid}")


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def descendants(pid):
    """The processes below `pid` (children, their children, ...)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent is the second field after the command, which is in parentheses.
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def processes_with(marker):
    """The processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def cgroups(data_dir):
    """The sandbox cgroups of the server on `data_dir`, in every hierarchy (lamina puts them under
    `lamina/<first 6 bytes of SHA-256 of the data directory's path, in hex>`)."""
    digest = hashlib.sha256(os.fsencode(os.path.realpath(data_dir))).hexdigest()[:12]
    count = 0
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        parent = hierarchy / "lamina" / digest
        if parent.is_dir():
            count += sum(len(dirs) for _, dirs, _ in os.walk(parent))
    return count


def spooled(pid):
    """Bytes in the server's open spool files (request bodies received to disk)."""
    total = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if "/spool/" in os.readlink(fd):
                total += os.stat(fd).st_size
        except OSError:
            continue
    return total


def wait_until(condition, seconds):
    """Polls `condition` until it is true (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@dataclass(frozen=True)
class Footprint:
    """What a server holds: processes below it, open files, sandbox cgroups (and its RSS, which is
    reported but not compared: freed memory need not return to the system)."""

    processes: int
    fds: int
    cgroups: int
    rss: int

    @staticmethod
    def of(server):
        pid = server.proc.pid
        return Footprint(len(descendants(pid)), open_files(pid), cgroups(server.data_dir), status(pid, "VmRSS"))

    def same_holdings(self, other):
        return (self.processes, self.fds, self.cgroups) == (other.processes, other.fds, other.cgroups)

    def __str__(self):
        return (
            f"{self.processes} processes, {self.fds} fds, {self.cgroups} cgroups, "
            f"RSS {self.rss / MIB:.1f} MiB"
        )


def back_to(server, baseline, seconds):
    """Waits until the server holds what it held at `baseline` (idle environments are reaped after
    `--idle-timeout`); returns the last footprint and whether it got there."""
    last = [Footprint.of(server)]

    def settled():
        last[0] = Footprint.of(server)
        return last[0].same_holdings(baseline)

    ok = wait_until(settled, seconds)
    return last[0], ok


def quiet(server, seconds):
    """The server's footprint once it runs no environment (no sandbox cgroup left) and what it holds has
    not changed for half a second (a spare sandbox helper may still be starting)."""
    wait_until(lambda: cgroups(server.data_dir) == 0, seconds)
    last = [Footprint.of(server), time.monotonic()]

    def steady():
        now = Footprint.of(server)
        if not now.same_holdings(last[0]):
            last[:] = [now, time.monotonic()]
        return time.monotonic() - last[1] >= 0.5

    wait_until(steady, seconds)
    return last[0]
