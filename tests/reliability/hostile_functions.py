"""Hostile functions in sandboxes (the aws-lambda-go `hostile` fixture, tests/fixtures/go/hostile): each
case is one invoke that tries something a function must not get away with. Checked after each: nothing
escaped (the host is unchanged where the function aimed), a good function's next invoke answers, and
the server's processes, open files and sandbox cgroups come back to what they were once the
environments are reaped (`--idle-timeout`)."""

import json
import os
import random
import time
from collections import Counter

from conftest import create, loopback_ports_of
from reliability.harness import Section
from reliability.host import MIB, back_to, processes_with, quiet, status, wait_until

IDLE_TIMEOUT = 1


def invoke(lam, name, payload):
    """(the answer's body, decoded; its FunctionError or None; seconds it took)."""
    started = time.monotonic()
    out = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    body = out["Payload"].read()
    seconds = time.monotonic() - started
    try:
        body = json.loads(body)
    except ValueError:
        pass
    return body, out.get("FunctionError"), seconds


def said(body, error):
    """What an invoke answered, in a few words: `Unhandled: Runtime.OutOfMemory` for an error."""
    if error and isinstance(body, dict):
        return f"{error}: {body.get('errorType')}"
    return f"{error}: {str(body)[:100]}" if error else str(body)[:100]


def summary(outcomes):
    """"3 × read-only file system, 1 × ok" for a map of attempts to outcomes."""
    counts = Counter(o.split(": ")[-1] for o in outcomes.values())
    return ", ".join(f"{n} × {what}" for what, n in counts.most_common())


class Cases:
    """The server, its functions and the checks every case shares."""

    def __init__(self, h, server):
        self.h = h
        self.server = server
        self.lam = server.client(read_timeout=300, max_pool_connections=1)
        self.section = Section(
            "Hostile functions",
            ("case", "what the function saw, and the invoke's answer", "a good function's next invoke",
             "processes, server fds, cgroups back"),
        )

    def setup(self):
        lam = self.lam
        create(lam, "good", self.h.go_zip("echo"))
        create(lam, "hostile", self.h.go_zip("hostile"), MemorySize=128, Timeout=60, EphemeralStorage={"Size": 512})
        create(lam, "short", self.h.go_zip("hostile"), MemorySize=128, Timeout=1)
        # With the memory for a thousand processes, so that the fork bomb meets the process limit.
        create(lam, "roomy", self.h.go_zip("hostile"), MemorySize=1024, Timeout=60)
        invoke(lam, "good", {"warm": True})
        self.baseline = quiet(self.server, IDLE_TIMEOUT + 30)

    def case(self, name, saw, escaped):
        """Finishes a case's row: `saw` is what the function saw and the answer, `escaped` a list of
        escapes (a failure each)."""
        name_short = name.split(" (")[0]
        for what in escaped:
            self.h.fail(f"hostile function, {name_short}: {what}")
        body, error, _ = invoke(self.lam, "good", {"after": name})
        good = error is None and body == {"after": name}
        self.h.check(good, f"hostile function, {name_short}: the good function's next invoke answered {error} {body}")
        footprint, back = back_to(self.server, self.baseline, IDLE_TIMEOUT + 30)
        self.h.check(back, f"hostile function, {name_short}: the server holds {footprint}, not {self.baseline}")
        self.section.add(
            name,
            saw + ("" if not escaped else " — ESCAPED: " + "; ".join(escaped)),
            "answers" if good else f"NO: {error} {body}",
            f"yes ({footprint.processes}, {footprint.fds}, {footprint.cgroups})" if back else f"NO: {footprint}",
        )


def run(h):
    section = Section("Hostile functions", ("case", "result"))
    if not h.root:
        section.add("hostile functions", "not measured: sandboxes need root")
        return section
    server = h.server("hostile", ["--isolation", "sandbox", "--idle-timeout", str(IDLE_TIMEOUT)])
    try:
        cases = Cases(h, server)
        cases.setup()
        for case in [write_outside_tmp, read_host_files, fork_bomb, fill_tmp, allocate, network, signals,
                     outlive_timeout, spew, cut_response]:
            case(cases)
    finally:
        server.stop()
    return cases.section


def write_outside_tmp(c):
    data_dir = c.server.data_dir
    host_targets = ["/planted-by-lamina-hostile", "/etc/planted-by-lamina-hostile", "/usr/planted-by-lamina-hostile",
                    "/var/planted-by-lamina-hostile", "/root/planted-by-lamina-hostile", f"{data_dir}/planted",
                    f"{data_dir}/unpacked/planted"]
    inside_only = ["/var/task/planted", "/opt/planted", "/proc/sys/kernel/hostname", "/sys/fs/cgroup/planted",
                   "/dev/planted", "/var/runtime/planted"]
    existed = {p for p in host_targets if os.path.lexists(p)}
    body, error, _ = invoke(c.lam, "hostile", {"action": "write", "paths": host_targets + inside_only + ["/tmp/ok"]})
    writes = body.get("writes", {}) if isinstance(body, dict) else {}
    escaped = [f"wrote {p}" for p in host_targets + inside_only if writes.get(p) == "ok"]
    escaped += [f"{p} appeared on the host" for p in host_targets if p not in existed and os.path.lexists(p)]
    outside = {p: o for p, o in writes.items() if p != "/tmp/ok"}
    c.h.check(writes.get("/tmp/ok") == "ok", f"hostile function could not write its /tmp: {writes.get('/tmp/ok')}")
    c.case(
        f"write outside /tmp ({len(outside)} paths: /, /etc, /usr, /var/task, /opt, /proc, /sys, /dev, the data "
        "directory...)",
        f"refused: {summary(outside)}; /tmp: {writes.get('/tmp/ok')}",
        escaped,
    )


def read_host_files(c):
    data_dir = c.server.data_dir
    paths = ["/etc/shadow", "/root", "/home", str(data_dir), f"{data_dir}/lamina.db", f"{data_dir}/server-key",
             f"{data_dir}/unpacked", "/proc/1/root/etc/shadow", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
    paths += sorted(str(p) for p in (data_dir / "unpacked").iterdir())[:2]
    body, error, _ = invoke(c.lam, "hostile", {"action": "probe", "paths": paths})
    reads = body.get("reads", {}) if isinstance(body, dict) else {}
    escaped = [f"read {p}" for p, outcome in reads.items() if outcome == "ok"]
    if error or len(reads) != len(set(paths)):
        escaped.append(f"the probe did not report: {error} {body}")
    c.case(
        f"read host files ({len(reads)}: /etc/shadow, /root, the data directory, its database and key, other "
        "functions' code...)",
        f"{summary(reads)}; runs as uid {body.get('uid')}, setuid(0): {body.get('setuid0')}, sees "
        f"{len(body.get('pids') or [])} processes",
        escaped,
    )


def fork_bomb(c):
    body, error, _ = invoke(c.lam, "roomy", {"action": "fork-bomb"})
    started = body.get("started", 0) if isinstance(body, dict) and not error else 0
    saw = said(body, error) if error else f"started {started} processes, then: {body.get('error')}"
    c.h.check(not error and started > 100, f"hostile function, fork bomb: {saw}")
    c.case("fork bomb (MemorySize 1024)", saw, [] if started < 1024 else [f"started {started} processes (limit 1,024)"])


def fill_tmp(c):
    body, error, _ = invoke(c.lam, "hostile", {"action": "fill-tmp"})
    if error:
        saw = said(body, error)
    else:
        saw = f"wrote {body['bytes'] / MIB:.0f} MiB, then: {body['error']}"
    c.case("fill its 512 MB /tmp (MemorySize 128)", saw, [])


def allocate(c):
    body, error, _ = invoke(c.lam, "hostile", {"action": "allocate", "mb": 400})
    c.h.check(
        isinstance(body, dict) and body.get("errorType") == "Runtime.OutOfMemory",
        f"hostile function, allocate past MemorySize: answered {error} {body}",
    )
    c.case("allocate 400 MB (MemorySize 128)", said(body, error), [])


def network(c):
    server_ports = loopback_ports_of(c.server.proc.pid)
    scan_from = max(1, min(server_ports) - 50)
    invoke(c.lam, "good", {"warm": "neighbour"})  # a neighbour whose runtime waits on its Runtime API
    body, error, _ = invoke(
        c.lam,
        "hostile",
        {
            "action": "network",
            "lambdaApi": c.server.endpoint,
            "scanFrom": scan_from,
            "scanTo": max(server_ports) + 50,
            "runtimeApis": [f"127.0.0.1:{p}" for p in server_ports] + ["127.0.0.1:9001"],
        },
    )
    escaped = []
    if error or not isinstance(body, dict):
        escaped.append(f"the network probe did not report: {error} {body}")
        body = {}
    if not str(body.get("lambdaApi", "")).startswith("error"):
        escaped.append(f"reached the Lambda API: {body.get('lambdaApi')}")
    if set(body.get("openPorts") or []) - {9001}:
        escaped.append(f"open ports on its loopback: {body.get('openPorts')}")
    others = {a: v for a, v in (body.get("runtimeApis") or {}).items() if a != "127.0.0.1:9001"}
    escaped += [f"reached {a}: {v}" for a, v in others.items() if not v.startswith("error")]
    own = (body.get("runtimeApis") or {}).get("127.0.0.1:9001", "")
    c.case(
        "reach the host's Lambda API, the host's loopback ports and the Runtime APIs of the server's other "
        "environments",
        f"the Lambda API: {short(body.get('lambdaApi'))}; open among ports {scan_from}-{max(server_ports) + 50} of "
        f"its loopback: {body.get('openPorts') or 'none'}; the server's ports as Runtime APIs: "
        f"{summary(others) if others else 'none'}; a second GET /next on its own Runtime API: {own}",
        escaped,
    )


def short(outcome):
    """`error: connection refused` for Go's `error: Get "...": dial tcp ...: connect: connection refused`."""
    text = str(outcome)
    return f"error: {text.split(': ')[-1]}" if text.startswith("error") else text[:100]


def signals(c):
    body, error, _ = invoke(c.lam, "hostile", {"action": "signal"})
    if isinstance(body, dict) and not error:
        saw = (
            f"kill -9 of its parent (pid {body['parentBefore']}): {body['killParent']}; kill -9 of init: "
            f"{body['killInit']}; SIGTERM to init: {body['termInit']}; kill -9 -1: {body['killAll']}; "
            f"its parent afterwards: pid {body['parentAfter']}"
        )
    else:
        saw = said(body, error)
    c.case("kill -9 its parent, signal init, kill -9 everything it can", saw, [])


def outlive_timeout(c):
    marker = f"2999.{random.randrange(10**6):06d}"
    body, error, seconds = invoke(c.lam, "short", {"action": "linger", "ms": 30_000, "marker": marker})
    answered = time.monotonic()
    gone = wait_until(lambda: not processes_with(marker), 5)
    after = time.monotonic() - answered
    c.h.check(
        isinstance(body, dict) and body.get("errorType") == "Sandbox.Timedout",
        f"hostile function past its timeout: answered {error} {body}",
    )
    escaped = [] if gone and after <= 1 else [f"its detached process lived {after:.1f} s after the answer"]
    c.case(
        "run past the 1 s timeout, with a process in a session of its own",
        f"{said(body, error)} after {seconds:.1f} s; the detached process gone {after * 1000:.0f} ms after the answer",
        escaped,
    )


def spew(c):
    mb = 20 if c.h.quick else 100
    before = status(c.server.proc.pid, "VmHWM")
    body, error, seconds = invoke(c.lam, "hostile", {"action": "spew", "mb": mb})
    peak = status(c.server.proc.pid, "VmHWM")
    logs = c.server.data_dir / "logs" / "000000000000" / "us-east-1" / "hostile"
    kept = sum(p.stat().st_size for p in logs.rglob("*") if p.is_file())
    saw = (
        f"wrote {body.get('bytes', 0) / MIB:.0f} MiB ({body.get('error')}) in {seconds:.1f} s"
        if isinstance(body, dict) and not error
        else said(body, error)
    )
    c.case(
        f"write {mb} MiB to stdout",
        f"{saw}; the server's VmHWM {before / MIB:.0f} → {peak / MIB:.0f} MiB; its logs keep {kept / MIB:.1f} MiB",
        [] if peak - before < 64 * MIB else [f"the server's peak memory grew {(peak - before) / MIB:.0f} MiB"],
    )


def cut_response(c):
    body, error, _ = invoke(c.lam, "hostile", {"action": "cut-response"})
    if isinstance(body, dict) and not error:
        saw = f"aws-lambda-go's answer came through; its own cut connection read: {body.get('cut')}"
    else:
        saw = said(body, error)
    c.case(
        "post its response on a connection of its own, 100 bytes of a declared 1 MiB, and close it; then "
        "answer through aws-lambda-go",
        saw,
        [],
    )
