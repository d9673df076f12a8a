"""Sandbox isolation with real functions: a hostile Go function tries to leave its execution environment
while a neighbouring function keeps serving, and an arm64 function runs on an x86_64 host under qemu-user.
Needs root (namespaces, mounts, cgroups): skipped otherwise, failed when LAMINA_REQUIRE_ROOT_TESTS is set."""

import json
import os
import platform
import threading

import pytest

from conftest import Server, create, run_aws

pytestmark = pytest.mark.needs_root("sandbox isolation needs root")


@pytest.fixture
def sandbox_server(tmp_path):
    srv = Server(tmp_path / "data", ["--isolation", "sandbox"]).start()
    yield srv
    srv.stop()


def invoke(lam, name, payload):
    out = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    out["Body"] = out["Payload"].read()
    return out


class Neighbour:
    """Invokes an echo function in a loop on its own client until stopped, recording every answer."""

    def __init__(self, server):
        self.lam = server.client(read_timeout=60)
        self.answers = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            out = invoke(self.lam, "neighbour", {"n": n})
            self.answers.append((n, out.get("FunctionError"), out["Body"]))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=60)


def test_a_hostile_function_stays_in_its_box_while_its_neighbour_serves(sandbox_server, go_zip):
    lam = sandbox_server.client(read_timeout=120)
    create(lam, "neighbour", go_zip("echo"))
    create(lam, "victim", go_zip("hostile"))
    create(lam, "hostile", go_zip("hostile"), MemorySize=128)
    create(lam, "filler", go_zip("hostile"), MemorySize=1024, Timeout=60)
    create(lam, "tmp-filler", go_zip("hostile"), MemorySize=128, EphemeralStorage={"Size": 512}, Timeout=60)
    victim_code = sandbox_server.data_dir / "unpacked"
    assert any(victim_code.iterdir()), "the packages are unpacked on the host"

    # The victim leaves a file in its /tmp; the hostile function looks for it, for the other functions'
    # code on the host and for host files.
    victim = json.loads(invoke(lam, "victim", {"action": "probe"})["Body"])
    assert victim["writeTmp"] == "ok"
    code_dirs = sorted(str(p) for p in victim_code.iterdir())
    host_paths = code_dirs + [
        f"{code_dirs[0]}/bootstrap",
        victim["tmpMarker"],
        str(sandbox_server.data_dir / "lamina.db"),
        "/etc/shadow",
        "/root",
        "/home",
        "/var/lib",
    ]

    with Neighbour(sandbox_server) as neighbour:
        out = invoke(lam, "hostile", {"action": "probe", "paths": host_paths})
        assert "FunctionError" not in out, out["Body"]
        probe = json.loads(out["Body"])

        # Runs as a non-root user that cannot become root.
        assert probe["uid"] != 0 and probe["euid"] != 0 and probe["gid"] != 0, probe
        assert probe["setuid0"] == "operation not permitted", probe
        # Its code is read-only, at /var/task.
        assert probe["cwd"] == "/var/task" and probe["taskRoot"] == "/var/task", probe
        assert probe["writeTask"] == "open /var/task/planted: read-only file system", probe
        # Host processes are invisible: only the sandbox's init and the bootstrap.
        assert len(probe["pids"]) <= 3, probe["pids"]
        # No other function's code or /tmp, no host files.
        for path, outcome in probe["reads"].items():
            assert outcome.endswith("no such file or directory"), (path, outcome)

        # /tmp is a disk of EphemeralStorage size, not charged to memory: a 128 MB function fills its
        # 512 MB /tmp, and the write stops there.
        filled = invoke(lam, "tmp-filler", {"action": "fill-tmp"})
        assert "FunctionError" not in filled, filled["Body"]
        fill = json.loads(filled["Body"])
        assert fill["error"].endswith("no space left on device"), fill
        assert 512 * 2**20 <= fill["bytes"] <= 530 * 2**20, fill

        # A fork bomb hits the pids limit (1,024 processes and threads), not the host (with memory for
        # a thousand processes: at 128 MB the memory limit stops it first).
        bomb = json.loads(invoke(lam, "filler", {"action": "fork-bomb"})["Body"])
        assert bomb["error"].endswith("resource temporarily unavailable"), bomb
        assert 100 < bomb["started"] < 1024, bomb
        after = invoke(lam, "filler", {"action": "allocate", "mb": 1})
        assert "FunctionError" not in after, after["Body"]

        # Allocating past MemorySize ends in Runtime.OutOfMemory, and the next invoke gets a fresh one.
        oom = invoke(lam, "hostile", {"action": "allocate", "mb": 400})
        assert oom["FunctionError"] == "Unhandled"
        request_id = oom["ResponseMetadata"]["RequestId"]
        assert json.loads(oom["Body"]) == {
            "errorType": "Runtime.OutOfMemory",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
        }
        fresh = invoke(lam, "hostile", {"action": "allocate", "mb": 8})
        assert json.loads(fresh["Body"]) == {"allocated": 8}

    assert len(neighbour.answers) >= 5, neighbour.answers
    for n, error, body in neighbour.answers:
        assert error is None and json.loads(body) == {"n": n}, (n, error, body)

    # The victim's files are where it left them, and nothing was planted in any package.
    again = json.loads(invoke(lam, "victim", {"action": "probe", "paths": [victim["tmpMarker"]]})["Body"])
    assert again["reads"] == {victim["tmpMarker"]: "ok"}, again
    for code_dir in code_dirs:
        assert not os.path.exists(os.path.join(code_dir, "planted"))
    report = [line for line in sandbox_server.log().splitlines() if "isolation:" in line]
    assert report and "SANDBOX" in report[0], sandbox_server.log()


@pytest.mark.skipif(platform.machine() != "x86_64", reason="needs an x86_64 host for a foreign arm64 bootstrap")
def test_arm64_function_built_by_lamina_runs_under_qemu(sandbox_server, go_zip, tmp_path):
    package = tmp_path / "arm64.zip"
    package.write_bytes(go_zip("hello", "arm64"))
    env = {"AWS_ENDPOINT_URL": sandbox_server.endpoint}
    run_aws(
        ["lambda", "create-function", "--function-name", "hello-arm", "--runtime", "provided.al2023",
         "--handler", "bootstrap", "--architectures", "arm64",
         "--role", "arn:aws:iam::111122223333:role/lambda-ex", "--zip-file", f"fileb://{package}"],
        env_extra=env,
    )
    run_aws(["lambda", "wait", "function-active-v2", "--function-name", "hello-arm"], env_extra=env)
    out = tmp_path / "out.json"
    result = run_aws(
        ["lambda", "invoke", "--function-name", "hello-arm", "--payload", '{"name":"arm64"}',
         str(out)],
        env_extra=env,
    )
    answer = json.loads(result.stdout)
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer, (answer, out.read_text())
    assert json.loads(out.read_text()) == {"message": "hello, arm64"}
