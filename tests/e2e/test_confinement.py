"""A sandboxed function's network and environment: a hostile aws-lambda-go function tries, from inside, the
Lambda API, the host's loopback, another environment's Runtime API and the server's credentials, and must
reach none of it, while its outbound HTTP request to a server outside the host works. Then, with
`--function-network none`, the way out is closed and the Runtime API still serves the function.

Traffic goes only to loopback addresses and to a network namespace the test makes itself (a veth pair with
TEST-NET-1 addresses), never elsewhere. Needs root (namespaces, cgroups) and `ip` (iproute2)."""

import json
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from conftest import Server, create, lamina_env, loopback_ports_of

pytestmark = [
    pytest.mark.needs_root("sandbox isolation needs root"),
    pytest.mark.skipif(shutil.which("ip") is None, reason="the test network needs ip (iproute2)"),
]

MARKER = "LAMINA_CONFINEMENT_MARKER"
SERVER_SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIASERVERSOWNKEY000",
    "AWS_SECRET_ACCESS_KEY": "the-servers-own-secret",
    "AWS_SESSION_TOKEN": "the-servers-own-token",
    MARKER: "the-servers-own-marker",
}

# A /30 of TEST-NET-1: the host's end of the pair, and the test server's end in its own namespace.
HOST_SIDE = "192.0.2.205/30"
OUTSIDE_ADDRESS = "192.0.2.206"


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def outside_server(tmp_path):
    """An HTTP server in a network namespace of the test's own, serving `outside` at /outbound.txt."""
    tag = os.getpid() % 100000
    namespace, host_link, peer = f"lamina-e2e-{tag}", f"lce{tag}h", f"lce{tag}p"
    ip("netns", "add", namespace)
    proc = None
    try:
        ip("link", "add", host_link, "type", "veth", "peer", "name", peer)
        ip("link", "set", peer, "netns", namespace)
        ip("addr", "add", HOST_SIDE, "dev", host_link)
        ip("link", "set", host_link, "up")
        ip("-n", namespace, "addr", "add", f"{OUTSIDE_ADDRESS}/30", "dev", peer)
        ip("-n", namespace, "link", "set", peer, "up")
        ip("-n", namespace, "link", "set", "lo", "up")
        root = tmp_path / "outside"
        root.mkdir()
        (root / "outbound.txt").write_text("outside")
        port = 8080
        proc = subprocess.Popen(
            ["ip", "netns", "exec", namespace, "python3", "-m", "http.server", str(port), "--bind",
             OUTSIDE_ADDRESS, "--directory", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 30
        while True:
            try:
                with socket.create_connection((OUTSIDE_ADDRESS, port), timeout=1):
                    break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("the outside test server did not listen")
                time.sleep(0.05)
        yield f"http://{OUTSIDE_ADDRESS}:{port}/outbound.txt"
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=10)
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        subprocess.run(["ip", "link", "del", host_link], capture_output=True)


class HostService:
    """A TCP service on the host's loopback that answers `host-service` and counts its connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.sendall(b"host-service\n")


def invoke(lam, name, payload):
    out = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    body = out["Payload"].read()
    assert "FunctionError" not in out, body
    return json.loads(body)


def confined_server(tmp_path, *args):
    env = lamina_env(SERVER_SECRETS)
    return Server(tmp_path / "data", ["--isolation", "sandbox", *args], env=env).start()


def test_a_hostile_function_reaches_nothing_of_the_host_but_reaches_out(tmp_path, go_zip, outside_server):
    server = confined_server(tmp_path)
    try:
        lam = server.client(read_timeout=120)
        create(lam, "neighbour", go_zip("echo"))
        create(lam, "hostile", go_zip("hostile"), Timeout=60)
        # The neighbour's environment is warm: its runtime waits on its Runtime API's /next.
        assert invoke(lam, "neighbour", {"n": 1}) == {"n": 1}
        service = HostService()
        # Everything the server listens on in the host's network namespace: the Lambda API, and (were
        # environments on the host's network) their Runtime APIs.
        server_ports = loopback_ports_of(server.proc.pid)
        assert server.port in server_ports
        scan_from, scan_to = max(1, min(server_ports) - 50), max(server_ports) + 50
        report = invoke(
            lam,
            "hostile",
            {
                "action": "network",
                "lambdaApi": server.endpoint,
                "scanFrom": scan_from,
                "scanTo": min(scan_to, scan_from + 3000),
                "hostService": f"127.0.0.1:{service.port}",
                "runtimeApis": [f"127.0.0.1:{port}" for port in server_ports],
                "outbound": outside_server,
                "markers": [MARKER],
                "secrets": list(SERVER_SECRETS.values()),
            },
        )
        assert report["lambdaApi"].startswith("error"), report
        # Only its own Runtime API (127.0.0.1:9001 in its own namespace) can be open on its loopback.
        assert set(report["openPorts"] or []) <= {9001}, report
        assert report["hostService"].startswith("error"), report
        assert service.connections == 0
        assert report["runtimeApis"] and all(v.startswith("error") for v in report["runtimeApis"].values()), report
        assert report["variables"] == {
            "AWS_ACCESS_KEY_ID": False,
            "AWS_SECRET_ACCESS_KEY": False,
            "AWS_SESSION_TOKEN": False,
            MARKER: False,
        }, report
        # Its own session credentials, never the server's.
        assert report["accessKeyId"].startswith("ASIA"), report
        assert report["runtimeApi"] == "127.0.0.1:9001"
        assert report["outbound"] == "status 200: outside", report
        # The neighbour still gets its own events and answers.
        assert invoke(lam, "neighbour", {"n": 2}) == {"n": 2}
    finally:
        server.stop()


def test_without_function_network_there_is_no_way_out_and_the_runtime_api_works(
    tmp_path, go_zip, outside_server
):
    server = confined_server(tmp_path, "--function-network", "none")
    try:
        assert "network: NONE" in server.log()
        lam = server.client(read_timeout=120)
        create(lam, "hostile", go_zip("hostile"), Timeout=60)
        report = invoke(
            lam,
            "hostile",
            {
                "action": "network", "outbound": outside_server, "lambdaApi": server.endpoint,
                "markers": [MARKER], "secrets": list(SERVER_SECRETS.values()),
            },
        )
        assert report["runtimeApi"] == "127.0.0.1:9001"
        assert report["outbound"].startswith("error"), report
        assert report["lambdaApi"].startswith("error"), report
        assert not any(report["variables"].values()), report
    finally:
        server.stop()
