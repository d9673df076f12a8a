"""Slow and stalled clients: server RSS with many uploads of 60 MB stalled part way (they must wait in
spool files, not in memory: under 200 MiB), and how long a silent connection, headers sent a byte a
second and a body sent a byte a second live (each within the configured limits)."""

import concurrent.futures
import socket
import time

from reliability.harness import Section
from reliability.host import MIB, spooled, status, wait_until


def upload_head(length):
    return (
        b"POST /2015-03-31/functions HTTP/1.1\r\nHost: lamina\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {length}\r\n\r\n".encode()
    )


def lifetime(port, prefix, send, limit):
    """Seconds until the server closes a connection that sends `prefix` at once, then `send` one byte a
    second."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(prefix)
    sock.settimeout(1)
    started = time.monotonic()
    sent = 0
    try:
        while time.monotonic() - started < limit:
            try:
                if sent < len(send):
                    sock.send(send[sent : sent + 1])
                    sent += 1
                if sock.recv(4096) == b"":
                    break
                # An answer (408): the server closes right after it.
            except socket.timeout:
                continue
            except OSError:
                break
    finally:
        sock.close()
    return time.monotonic() - started


def stall(port, count, part):
    """`count` connections that each send the head of a 60 MB upload and `part`, then nothing. Sent side
    by side, so that no connection waits (and meets the body timeout) while the others are sent."""
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        list(pool.map(lambda sock: sock.sendall(upload_head(60 * MIB) + part), socks))
    return socks


def run(h):
    section = Section("Slow and stalled clients", ("measured", "value"))
    # Quick mode's body limit leaves time to send 8 × 60 MB on a loaded machine before the first is cut.
    limits = ["--header-timeout", "2", "--body-timeout", "4"] if h.quick else []
    uploads = 30 if h.quick else 300
    server = h.server("slow-clients", ["--auth", "none", "--isolation", "process", *limits])
    pid = server.proc.pid
    try:
        section.add("server RSS, idle", f"{status(pid, 'VmRSS') / MIB:.1f} MiB")
        part = b'{"ZipFile": "' + b"A" * (4 * MIB)
        socks = stall(server.port, uploads, part)
        h.check(
            wait_until(lambda: spooled(pid) >= uploads * len(part), 60),
            f"{uploads} stalled uploads were not all spooled",
        )
        rss = status(pid, "VmRSS")
        section.add(
            f"server RSS, {uploads} uploads of 60 MB stalled after 4 MB each ({uploads * 4} MB spooled)",
            f"{rss / MIB:.1f} MiB",
        )
        h.check(rss <= 200 * MIB, f"{uploads} stalled uploads took the server to {rss / MIB:.0f} MiB")
        for sock in socks:
            sock.close()
        part = b'{"ZipFile": "' + b"A" * (60 * MIB - 15)
        socks = stall(server.port, 8, part)
        h.check(wait_until(lambda: spooled(pid) >= 8 * len(part), 60), "8 stalled 60 MB uploads were not all spooled")
        section.add("server RSS, 8 uploads of 60 MB stalled one byte short", f"{status(pid, 'VmRSS') / MIB:.1f} MiB")
        started = time.monotonic()
        for sock in socks:
            sock.settimeout(120)
            try:
                sock.recv(4096)
            except OSError:
                pass
            sock.close()
        section.add("those 8 answered 408 and closed, after their last byte", f"{time.monotonic() - started:.1f} s")
        section.add("server VmHWM over all of the above", f"{status(pid, 'VmHWM') / MIB:.1f} MiB")
        bound = 6 if h.quick else 40
        for what, prefix, send in [
            ("a connection that sends nothing: closed after", b"", b""),
            (
                "headers sent a byte a second: closed after",
                b"",
                b"POST /2015-03-31/functions HTTP/1.1\r\nX-Slow: " + b"a" * 200,
            ),
            ("a body sent a byte a second: answered 408 and closed after", upload_head(MIB), b" " * 200),
        ]:
            seconds = lifetime(server.port, prefix, send, 120)
            section.add(what, f"{seconds:.1f} s")
            h.check(seconds <= bound, f"{what} {seconds:.1f} s (bound {bound} s)")
    finally:
        server.stop()
    return section
