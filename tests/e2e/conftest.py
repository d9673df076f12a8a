"""Shared fixtures: a real `lamina serve` on a port of its own choosing with a temporary data directory,
boto3 clients and the AWS CLI pointed at it, and deployment zips built on the fly. Also the `needs_root`
marker: a test that needs root skips without it, or fails when LAMINA_REQUIRE_ROOT_TESTS is set (as
scripts/test sets it when run as root, and CI always)."""

import contextlib
import gzip
import http.client
import io
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
GO_FIXTURES = REPO / "tests" / "fixtures" / "go"
ACCOUNT = "000000000000"
ROLE = "arn:aws:iam::111122223333:role/lambda-ex"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def model_shape(name: str) -> dict:
    """A shape of the Lambda service model lamina validates with (the copy checked in to lamina-model)."""
    path = REPO / "crates" / "model" / "service-model" / "lambda-2015-03-31.json.gz"
    with gzip.open(path) as f:
        return json.load(f)["shapes"][name]


def lamina_binary() -> Path:
    """The debug binary, built by scripts/test before pytest runs (built here if missing)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "debug" / "lamina"
    if not binary.exists():
        subprocess.run(["cargo", "build", "-p", "lamina"], cwd=REPO, check=True)
    return binary


REQUIRE_ROOT = "LAMINA_REQUIRE_ROOT_TESTS"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "needs_root(why): the test needs root; it skips without it, or fails when LAMINA_REQUIRE_ROOT_TESTS is set",
    )


def pytest_runtest_setup(item):
    for mark in item.iter_markers("needs_root"):
        require_root(*mark.args)


def require_root(why="this test needs root"):
    """Returns as root. Otherwise skips the test, or fails it when LAMINA_REQUIRE_ROOT_TESTS is set (to
    anything but empty or 0): where the root tests must run, they cannot pass by skipping."""
    if os.geteuid() == 0:
        return
    if os.environ.get(REQUIRE_ROOT, "") not in ("", "0"):
        pytest.fail(f"{why}, and {REQUIRE_ROOT} is set: run the tests as root, or unset it to skip them")
    pytest.skip(why)


def wait_for(condition, seconds, what):
    """Polls `condition` until it returns something true (returned), failing the test with `what` after
    `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} within {seconds} s")


@contextlib.contextmanager
def refusing_endpoint():
    """`http://127.0.0.1:<port>` where nothing listens, for as long as the block runs: the port is bound
    (so nothing else can take it meanwhile) but not listening, so every connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def loopback_ports_of(pid: int) -> list:
    """The TCP ports process `pid` listens on in the host's network namespace (/proc/net/tcp, state 0A)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    ports = []
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                ports.append(int(fields[1].split(":")[1], 16))
    return sorted(ports)


def port_from_log(path: Path, offset: int, pattern: str):
    """The port in the first match of `pattern` (one group) in the log at `path` after `offset`, or None."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            found = re.search(pattern, f.read().decode(errors="replace"))
    except OSError:
        return None
    return int(found.group(1)) if found else None


class Server:
    """One `lamina serve` process over a data directory that outlives restarts. It listens on a port the
    kernel picks (`--listen 127.0.0.1:0`), read from its banner at each start: after a restart the port
    may differ, so make clients after `start()`."""

    def __init__(self, data_dir: Path, extra_args=(), env=None, prefix=(), binary=None):
        self.data_dir = data_dir
        # The lamina binary to run (default: the debug build, `lamina_binary()`).
        self.binary = binary
        self.extra_args = list(extra_args)
        # A command the server runs under (for example `unshare` into a mount namespace of its own).
        self.prefix = list(prefix)
        self.env = env
        self.port = None
        self.proc = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"

    @property
    def endpoint(self) -> str:
        assert self.port is not None, "the server has not started"
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        log = open(self.log_path, "ab")
        offset = log.tell()
        self.port = None
        self.proc = subprocess.Popen(
            self.prefix
            + [str(self.binary or lamina_binary()), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(self.data_dir)]
            + self.extra_args,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"lamina serve exited with {self.proc.returncode}:\n{self.log()}")
            # The banner names the bound address once the listener is open.
            if self.port is None:
                self.port = port_from_log(self.log_path, offset, r"export AWS_ENDPOINT_URL=http://127\.0\.0\.1:(\d+)")
                if self.port is None:
                    time.sleep(0.05)
                    continue
            # Any answer means the server is up: an unsigned request is refused (403) unless --auth none.
            try:
                with urllib.request.urlopen(f"{self.endpoint}/2016-08-19/account-settings/", timeout=1):
                    return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"lamina serve did not answer within 30 s:\n{self.log()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def restart(self):
        self.stop()
        return self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def client(self, region="us-east-1", key=("test", "test"), service="lambda", session_token=None, **config):
        """A boto3 client of `service` on this server, signing with `key` (and `session_token`)."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=key[0],
            aws_secret_access_key=key[1],
            aws_session_token=session_token,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
        )


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "data").start()
    yield srv
    srv.stop()


@pytest.fixture
def strict_server(tmp_path):
    srv = Server(tmp_path / "strict-data", ["--strict-packages"]).start()
    yield srv
    srv.stop()


@pytest.fixture
def process_server(tmp_path):
    """A server whose environments are plain processes (`--isolation process`)."""
    srv = Server(tmp_path / "process-data", ["--isolation", "process"]).start()
    yield srv
    srv.stop()


@pytest.fixture
def small_disk(tmp_path):
    """An 8 MB tmpfs the test mounts itself (tests using it need root), unmounted afterwards."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount_point)], check=True)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


# gofakes3 (MIT, from the Go module proxy): a real S3 server with versioned buckets, the store lamina
# fetches `--code S3Bucket=...,S3Key=...` packages from in the tests. scripts/test installs it once.
GOFAKES3 = "github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0"


def s3_server_binary() -> Path:
    """gofakes3, installed by scripts/test into target/s3-server (installed here if missing)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "s3-server" / "gofakes3"
    if not binary.exists():
        subprocess.run(
            ["go", "install", GOFAKES3], env={**os.environ, "GOBIN": str(binary.parent)}, check=True
        )
    return binary


class S3Store:
    """One gofakes3 process, kept in memory, on a port the kernel picks (`-host 127.0.0.1:0`; it logs
    `using port: N`); filled with the AWS CLI."""

    def __init__(self, log_path: Path):
        self.port = None
        self.log_path = log_path
        self.proc = None
        self.buckets = 0

    @property
    def endpoint(self) -> str:
        assert self.port is not None, "the S3 server has not started"
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        log = open(self.log_path, "ab")
        offset = log.tell()
        self.port = None
        self.proc = subprocess.Popen(
            [str(s3_server_binary()), "-backend", "memory", "-host", "127.0.0.1:0"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gofakes3 exited with {self.proc.returncode}: {self.log_path.read_text()}")
            if self.port is None:
                self.port = port_from_log(self.log_path, offset, r"using port: (\d+)")
                if self.port is None:
                    time.sleep(0.05)
                    continue
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("gofakes3 did not listen within 30 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def aws(self, args):
        """The AWS CLI against the store (`aws s3 ...`, `aws s3api ...`)."""
        return run_aws(["--endpoint-url", self.endpoint] + args)

    def new_bucket(self, versioned=False) -> str:
        """A fresh bucket (`aws s3 mb`), with versioning enabled if asked."""
        self.buckets += 1
        name = f"code-{self.buckets}"
        self.aws(["s3", "mb", f"s3://{name}"])
        if versioned:
            self.aws(
                ["s3api", "put-bucket-versioning", "--bucket", name, "--versioning-configuration", "Status=Enabled"]
            )
        return name


@pytest.fixture(scope="session")
def s3_store(tmp_path_factory):
    store = S3Store(tmp_path_factory.mktemp("s3") / "gofakes3.log").start()
    yield store
    store.stop()


def lamina_env(extra=None) -> dict:
    """The environment of a lamina server: the caller's, with AWS_* replaced by test credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(CREDENTIALS)
    env["AWS_CONFIG_FILE"] = "/dev/null"
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
    env.update(extra or {})
    return env


@pytest.fixture
def s3_server(tmp_path, s3_store):
    """A lamina server that fetches S3 packages from the gofakes3 store (`--s3-endpoint-url`)."""
    srv = Server(tmp_path / "s3-data", ["--s3-endpoint-url", s3_store.endpoint], env=lamina_env()).start()
    yield srv
    srv.stop()


@pytest.fixture
def lam(server):
    return server.client()


def make_zip(files=None, mode=0o755) -> bytes:
    """A deployment zip: by default a `#!/bin/sh` bootstrap with the given Unix mode."""
    if files is None:
        files = {"bootstrap": "#!/bin/sh\necho hello\n"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content)
    return buf.getvalue()


def aws_cli() -> str:
    """The AWS CLI installed next to the Python running pytest (the project's .venv)."""
    candidate = Path(sys.executable).parent / "aws"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("aws")
    if not found:
        pytest.fail("the AWS CLI is not installed (scripts/test installs awscli into .venv)")
    return found


def rust_fixture(binary="bootstrap"):
    """A binary of the Rust fixture (`bootstrap`: echo, `stream`: a streaming response), built once."""
    target = REPO / "target" / "fixtures" / "rust"
    path = target / "release" / binary
    if not path.exists():
        subprocess.run(
            ["cargo", "build", "--release", "--locked", "--manifest-path",
             str(REPO / "tests/fixtures/rust/echo/Cargo.toml"), "--target-dir", str(target)],
            check=True,
        )
    return path


def send_to_function_url(url, method="GET", path="", headers=None, body=b""):
    """Sends a request to a function URL: to the server's address, with the URL's host name in `Host`
    (Python does not resolve `*.localhost`; browsers and curl do). Returns (status, headers, body)."""
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection("127.0.0.1", parsed.port, timeout=60)
    try:
        connection.request(method, "/" + path, body=body or None, headers={"Host": parsed.netloc, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def run_aws(args, env_extra=None, cwd=None, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(CREDENTIALS)
    env["AWS_CONFIG_FILE"] = "/dev/null"
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
    env.update(env_extra or {})
    result = subprocess.run([aws_cli()] + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


# How the tests wait with boto3's waiters: a change stays Pending/InProgress for a fraction of a second
# (lamina's shortest transition), so poll every 50 ms rather than the waiters' default second, for at
# most 30 s.
WAIT = {"Delay": 0.05, "MaxAttempts": 600}


def create(lam, name="f1", zip_bytes=None, wait=True, **kwargs):
    params = {
        "FunctionName": name,
        "Runtime": "provided.al2023",
        "Handler": "bootstrap",
        "Role": ROLE,
        "Code": {"ZipFile": zip_bytes if zip_bytes is not None else make_zip()},
    }
    params.update(kwargs)
    out = lam.create_function(**params)
    if wait:
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    return out


def wait_updated(lam, name):
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAIT)


HOST_ARCH = "x86_64" if platform.machine() == "x86_64" else "arm64"


def go_zips(out_dir: Path, binary=None):
    """`build(name, arch)`: the Go fixture `name` built and zipped by `lamina build` into `out_dir`
    (cached)."""
    built = {}

    def build(name, arch=HOST_ARCH):
        key = (name, arch)
        if key not in built:
            out = out_dir / f"{name}-{arch}.zip"
            subprocess.run(
                [str(binary or lamina_binary()), "build", str(GO_FIXTURES / name), "--arch", arch, "-o", str(out)],
                check=True,
                capture_output=True,
            )
            built[key] = out.read_bytes()
        return built[key]

    return build


@pytest.fixture(scope="session")
def go_zip(tmp_path_factory):
    """`go_zip(name, arch)`: the Go fixture `name` built and zipped by `lamina build` (cached)."""
    return go_zips(tmp_path_factory.mktemp("go-zips"))
