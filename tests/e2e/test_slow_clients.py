"""Slow and stalled clients cannot hold the server's connections or memory: a client that does not
finish its request's headers is disconnected, a body that stops arriving (or crawls) is answered 408
and disconnected, and large bodies wait on disk, not in memory, while they arrive."""

import json
import os
import socket
import time
from pathlib import Path

from conftest import Server, wait_for

MIB = 1024 * 1024


def read_until_closed(sock, seconds) -> bytes:
    """Everything the server sends until it closes the connection; fails if it is still open after
    `seconds`."""
    sock.settimeout(seconds)
    received = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
    except socket.timeout:
        raise AssertionError(f"the connection is still open after {seconds} s; received {received[:200]!r}")


def test_a_client_that_never_finishes_its_headers_is_disconnected(tmp_path):
    srv = Server(tmp_path / "data", ["--header-timeout", "2"]).start()
    try:
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall(b"POST /2015-03-31/functions HTTP/1.1\r\nHost: lamina\r\nContent-Length: 10\r\n")
            read_until_closed(sock, 20)
        # An idle kept-alive connection too.
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            read_until_closed(sock, 20)
    finally:
        srv.stop()


def test_a_body_that_stops_or_crawls_is_answered_408_and_disconnected(tmp_path):
    srv = Server(tmp_path / "data", ["--auth", "none", "--body-timeout", "1", "--body-min-rate", "100000"]).start()
    try:
        head = (
            b"POST /2015-03-31/functions HTTP/1.1\r\nHost: lamina\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000\r\n\r\n"
        )
        # Stops: a part, then nothing.
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall(head + b'{"FunctionName": "f"')
            answer = read_until_closed(sock, 20)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        headers, _, body = answer.partition(b"\r\n\r\n")
        assert b"x-amzn-errortype: requesttimeoutexception" in headers.lower(), headers
        assert "no part of the request body arrived" in json.loads(body)["message"], body

        # Crawls: a byte every half second never stops for a whole second, but averages far too little.
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall(head)
            sock.settimeout(0.5)
            answer = b""
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    sock.sendall(b" ")
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
                except socket.timeout:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    break
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"bytes/s" in answer, answer
    finally:
        srv.stop()


def spooled_bytes(pid: int) -> int:
    """Bytes in the server's open spool files (unnamed: `/proc/<pid>/fd` shows them as deleted)."""
    total = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
            if "/spool/" in target:
                total += os.stat(fd).st_size
        except OSError:
            continue
    return total


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_stalled_large_uploads_wait_on_disk_not_in_memory(tmp_path):
    """Ten uploads of 60 MB that stall after 30 MB each: 300 MB received. Held in memory they would
    take the server far past 300 MB; spooled, its memory stays where it was."""
    srv = Server(tmp_path / "data", ["--auth", "none"]).start()
    socks = []
    try:
        before = rss(srv.proc.pid)
        head = (
            b"POST /2015-03-31/functions HTTP/1.1\r\nHost: lamina\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {60 * MIB}\r\n\r\n".encode()
        )
        part = b'{"ZipFile": "' + b"A" * (30 * MIB)
        for _ in range(10):
            sock = socket.create_connection(("127.0.0.1", srv.port))
            sock.sendall(head + part)
            socks.append(sock)
        # Synchronise on what the server has received: every byte sent is in a spool file.
        wait_for(lambda: spooled_bytes(srv.proc.pid) >= 10 * len(part), 60, "300 MB spooled")
        during = rss(srv.proc.pid)
        assert during - before < 64 * MIB, f"the server grew from {before} to {during} bytes"
        # Nothing named is left in the spool directory: the files go with their connections.
        assert not [p for p in (srv.data_dir / "spool").iterdir()], "named spool files"
    finally:
        for sock in socks:
            sock.close()
        srv.stop()
