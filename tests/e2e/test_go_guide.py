"""AWS's guide for Go zip functions, step by step as a user types it, against `lamina serve` on this host:
`go build` with the guide's variables, Info-ZIP's `zip`, the AWS CLI's create-function and invoke, for both
architectures (the foreign one runs under qemu-user in the sandbox). Then the guide's ways to get it wrong,
which must fail here as they fail on Lambda, with lamina's explanation where the user looks."""

import base64
import json
import os
import platform
import shutil
import subprocess

import pytest

from conftest import GO_FIXTURES, ROLE, Server, WAIT, lamina_env, make_zip, require_root, run_aws

HOST_ARCH = "x86_64" if platform.machine() == "x86_64" else "arm64"
GOARCH = {"x86_64": "amd64", "arm64": "arm64"}


@pytest.fixture
def guide_server(tmp_path):
    """A server as the README starts it: default isolation (a sandbox as root), default network."""
    srv = Server(tmp_path / "data", env=lamina_env()).start()
    yield srv
    srv.stop()


def guide_project():
    """A project folder with the guide's `main.go` (aws-lambda-go), in the fixtures' module."""
    project = GO_FIXTURES / "hello"
    assert (project / "main.go").exists()
    return project


def go_build(project, out_dir, env_vars):
    """`go build -tags lambda.norpc -o bootstrap main.go` with the guide's variables in the environment."""
    env = dict(os.environ)
    env.update(env_vars)
    bootstrap = out_dir / "bootstrap"
    subprocess.run(
        ["go", "build", "-tags", "lambda.norpc", "-o", str(bootstrap), "main.go"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return bootstrap


def zip_bootstrap(out_dir):
    """`zip myFunction.zip bootstrap`, with Info-ZIP as the guide uses it."""
    assert shutil.which("zip"), "Info-ZIP's zip is not installed (scripts/test installs it)"
    subprocess.run(["zip", "myFunction.zip", "bootstrap"], cwd=out_dir, check=True, capture_output=True)
    return out_dir / "myFunction.zip"


def create_function(server, name, zip_path, arch):
    args = [
        "lambda", "create-function", "--function-name", name, "--runtime", "provided.al2023",
        "--handler", "bootstrap", "--role", ROLE, "--zip-file", f"fileb://{zip_path}",
        "--endpoint-url", server.endpoint,
    ]
    if arch == "arm64":
        args += ["--architectures", "arm64"]
    run_aws(args)
    run_aws(["lambda", "wait", "function-active-v2", "--function-name", name, "--endpoint-url", server.endpoint])


def invoke(server, name, tmp_path, payload):
    out = tmp_path / f"{name}-out.json"
    result = run_aws(
        [
            "lambda", "invoke", "--function-name", name,
            "--payload", json.dumps(payload), "--log-type", "Tail", str(out), "--endpoint-url", server.endpoint,
        ]
    )
    meta = json.loads(result.stdout)
    log = base64.b64decode(meta.get("LogResult", "")).decode()
    return meta, json.loads(out.read_text()), log


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_the_guide_verbatim_for_each_architecture(guide_server, tmp_path, arch):
    project = guide_project()
    go_build(project, tmp_path, {"GOOS": "linux", "GOARCH": GOARCH[arch], "CGO_ENABLED": "0"})
    zip_path = zip_bootstrap(tmp_path)
    create_function(guide_server, f"guide-{arch}", zip_path, arch)
    meta, body, log = invoke(guide_server, f"guide-{arch}", tmp_path, {"name": arch})
    assert "FunctionError" not in meta, (body, log)
    assert body == {"message": f"hello, {arch}"}
    assert "REPORT RequestId:" in log


def test_a_bootstrap_built_for_the_host_but_deployed_as_the_other_architecture_fails_as_on_lambda(
    guide_server, tmp_path
):
    """The guide's two lines `GOOS=linux GOARCH=arm64` then `go build ...` set shell variables that `go` never
    sees: the bootstrap is built for the host. Lambda refuses to run it as the other architecture; so does
    lamina, and its log says what happened and what to do."""
    other = "arm64" if HOST_ARCH == "x86_64" else "x86_64"
    project = guide_project()
    go_build(project, tmp_path, {"CGO_ENABLED": "0"})
    zip_path = zip_bootstrap(tmp_path)
    create_function(guide_server, "wrong-arch", zip_path, other)
    meta, body, log = invoke(guide_server, "wrong-arch", tmp_path, {"name": "x"})
    assert meta.get("FunctionError") == "Unhandled", (body, log)
    assert body["errorType"] == "Runtime.InvalidEntrypoint", body
    assert body["errorMessage"].endswith("exec format error"), body
    assert f"bootstrap is a {HOST_ARCH} executable" in log and f"architecture is {other}" in log, log
    assert f"GOARCH={GOARCH[other]}" in log, log


def test_without_the_emulator_the_banner_create_and_invoke_say_so(tmp_path):
    """A host without qemu-user for the other architecture (hidden here in a mount namespace of the server's
    own): the banner says which architecture cannot run and how to fix it, CreateFunction still succeeds as
    on AWS (with the warning in lamina's header and log), and each invoke's log tail names the fix."""
    require_root("sandbox isolation needs root")
    other = "arm64" if HOST_ARCH == "x86_64" else "x86_64"
    qemu = {"arm64": "qemu-aarch64-static", "x86_64": "qemu-x86_64-static"}[other]
    hide = f"for f in /usr/bin/{qemu} /usr/local/bin/{qemu}; do [ -e $f ] && mount --bind /dev/null $f; done; exec \"$@\""
    srv = Server(
        tmp_path / "data",
        env=lamina_env(),
        prefix=["unshare", "--mount", "--propagation", "private", "sh", "-c", hide, "sh"],
    ).start()
    try:
        banner = srv.log()
        assert f"{other} functions: CANNOT RUN HERE: {qemu} is not installed" in banner, banner
        assert "apt-get install qemu-user-static" in banner, banner
        assert "export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1" in banner, banner

        project = guide_project()
        go_build(project, tmp_path, {"GOOS": "linux", "GOARCH": GOARCH[other], "CGO_ENABLED": "0"})
        zip_path = zip_bootstrap(tmp_path)
        lam = srv.client()
        created = lam.create_function(
            FunctionName="foreign", Runtime="provided.al2023", Handler="bootstrap", Role=ROLE,
            Architectures=[other], Code={"ZipFile": zip_path.read_bytes()},
        )
        warnings = created["ResponseMetadata"]["HTTPHeaders"].get("x-lamina-warnings", "")
        assert f"this server cannot run {other} functions" in warnings, created["ResponseMetadata"]
        lam.get_waiter("function_active_v2").wait(FunctionName="foreign", WaiterConfig=WAIT)
        assert f"this server cannot run {other} functions" in srv.log()

        meta, body, log = invoke(srv, "foreign", tmp_path, {"name": "x"})
        assert meta.get("FunctionError") == "Unhandled", (body, log)
        assert body["errorType"] == "Runtime.InvalidEntrypoint", body
        assert "apt-get install qemu-user-static" in log, log
    finally:
        srv.stop()


def test_a_runtime_lamina_cannot_run_is_created_and_each_invoke_says_why(guide_server):
    lam = guide_server.client()
    created = lam.create_function(
        FunctionName="py", Runtime="python3.12", Handler="index.handler", Role=ROLE,
        Code={"ZipFile": make_zip({"index.py": "def handler(event, context):\n    return event\n"}, mode=0o644)},
    )
    warnings = created["ResponseMetadata"]["HTTPHeaders"].get("x-lamina-warnings", "")
    assert "lamina runs only the OS-only runtimes" in warnings and "python3.12" in warnings, warnings
    lam.get_waiter("function_active_v2").wait(FunctionName="py", WaiterConfig=WAIT)
    out = lam.invoke(FunctionName="py", Payload=b"{}", LogType="Tail")
    body = json.loads(out["Payload"].read())
    log = base64.b64decode(out["LogResult"]).decode()
    assert out.get("FunctionError") == "Unhandled", body
    assert body["errorType"] == "Runtime.Unsupported", body
    assert "python3.12" in body["errorMessage"] and "provided.al2023" in body["errorMessage"], body
    assert "found at deploy: lamina runs only the OS-only runtimes" in log, log


def test_what_lint_found_at_deploy_is_in_the_first_invokes_log_tail(guide_server):
    """A bootstrap without execute permission: accepted as Lambda accepts it, and the first invoke's log tail
    (what `aws lambda invoke --log-type Tail` shows) says what is wrong and how to fix it."""
    lam = guide_server.client()
    lam.create_function(
        FunctionName="noexec", Runtime="provided.al2023", Handler="bootstrap", Role=ROLE,
        Code={"ZipFile": make_zip(mode=0o644)},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="noexec", WaiterConfig=WAIT)
    out = lam.invoke(FunctionName="noexec", Payload=b"{}", LogType="Tail")
    body = json.loads(out["Payload"].read())
    log = base64.b64decode(out["LogResult"]).decode()
    assert body["errorType"] == "Runtime.InvalidEntrypoint", body
    assert "permission denied" in body["errorMessage"], body
    assert "lamina: found at deploy: bootstrap has mode 0644" in log and "chmod 755 bootstrap" in log, log


def test_bin_sh_is_bash_and_the_environment_is_lambdas(guide_server):
    """provided.al2023's /bin/sh is bash: a `#!/bin/sh` bootstrap written with bash in mind runs; and the
    environment a bootstrap sees is Lambda's, with nothing of lamina's."""
    bootstrap = r"""#!/bin/sh
set -eu
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
declare -a parts=(a b c)
[[ "${parts[1]}" == b ]]
lamina_vars=$(env | grep -c '^LAMINA_' || true)
while true; do
    headers=$(mktemp)
    curl -sS -D "$headers" -o /dev/null "$api/invocation/next"
    id=$(sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p' "$headers" | tr -d '\r')
    printf '{"shell":"%s","parts":%d,"task_root":"%s","lamina_vars":%d}' "$BASH" "${#parts[@]}" \
        "$LAMBDA_TASK_ROOT" "$lamina_vars" | curl -sS -o /dev/null -X POST --data-binary @- "$api/invocation/$id/response"
done
"""
    lam = guide_server.client()
    lam.create_function(
        FunctionName="bashism", Runtime="provided.al2023", Handler="bootstrap", Role=ROLE,
        Code={"ZipFile": make_zip({"bootstrap": bootstrap})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="bashism", WaiterConfig=WAIT)
    out = lam.invoke(FunctionName="bashism", Payload=b"{}", LogType="Tail")
    body = json.loads(out["Payload"].read())
    assert "FunctionError" not in out, (body, base64.b64decode(out["LogResult"]).decode())
    # $BASH is set by bash alone (to the path it was started as); dash would have failed on `declare` first.
    assert body["parts"] == 3 and body["shell"] == "/bin/sh", body
    assert body["task_root"] == "/var/task", body
    assert body["lamina_vars"] == 0, body


def test_a_directory_the_code_could_not_enter_is_755_as_on_lambda(guide_server, go_zip):
    """A package whose folder is 0700 (zipped as it was on the author's disk): Lambda sets such directories
    to 755, so the function reads its files; so it does here."""
    import io
    import zipfile

    original = zipfile.ZipFile(io.BytesIO(go_zip("hostile")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in original.infolist():
            z.writestr(info, original.read(info))
        folder = zipfile.ZipInfo("private/", date_time=(2020, 1, 1, 0, 0, 0))
        folder.create_system = 3
        folder.external_attr = (0o040700 << 16) | 0x10
        z.writestr(folder, b"")
        config = zipfile.ZipInfo("private/config.json", date_time=(2020, 1, 1, 0, 0, 0))
        config.create_system = 3
        config.external_attr = (0o100644 << 16)
        z.writestr(config, b"{}")
    lam = guide_server.client()
    lam.create_function(
        FunctionName="closed-dir", Runtime="provided.al2023", Handler="bootstrap", Role=ROLE,
        Code={"ZipFile": buf.getvalue()},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="closed-dir", WaiterConfig=WAIT)
    event = {"action": "probe", "paths": ["/var/task/private", "/var/task/private/config.json"]}
    out = lam.invoke(FunctionName="closed-dir", Payload=json.dumps(event).encode())
    body = json.loads(out["Payload"].read())
    assert "FunctionError" not in out, body
    assert body["reads"] == {"/var/task/private": "ok", "/var/task/private/config.json": "ok"}, body
