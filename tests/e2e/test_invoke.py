"""Invoke with the real clients against real bootstraps: aws-lambda-go functions built by `lamina build`,
a Rust `lambda_runtime` function, a Python `awslambdaric` handler and a curl custom runtime."""

import base64
import concurrent.futures
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import REPO, create, lamina_binary, make_zip, run_aws, wait_updated, rust_fixture

def invoke(lam, name, payload=b"{}", **kwargs):
    out = lam.invoke(FunctionName=name, Payload=payload, **kwargs)
    out["Body"] = out["Payload"].read()
    return out


def request_id(out):
    return out["ResponseMetadata"]["RequestId"]


def test_go_echo_with_the_cli_and_boto3(server, lam, go_zip, tmp_path):
    create(lam, "echo", go_zip("echo"))
    env = {"AWS_ENDPOINT_URL": server.endpoint}
    result = run_aws(
        ["lambda", "invoke", "--function-name", "echo", "--payload", '{"hello":"world"}', str(tmp_path / "out.json")],
        env_extra=env,
    )
    answer = json.loads(result.stdout)
    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in answer
    assert (tmp_path / "out.json").read_text() == '{"hello":"world"}'

    out = invoke(lam, "echo", b'{"n":1}', LogType="Tail")
    assert out["StatusCode"] == 200
    assert out["Body"] == b'{"n":1}'
    assert out["ExecutedVersion"] == "$LATEST"
    log = base64.b64decode(out["LogResult"]).decode()
    rid = request_id(out)
    assert log.startswith(f"START RequestId: {rid} Version: $LATEST\n")
    assert f"\nEND RequestId: {rid}\n" in log
    assert f"\nREPORT RequestId: {rid}\tDuration: " in log
    assert "\tMemory Size: 128 MB\tMax Memory Used: " in log


def test_function_errors(lam, go_zip):
    create(lam, "fail", go_zip("fail"))
    out = invoke(lam, "fail")
    assert out["StatusCode"] == 200
    assert out["FunctionError"] == "Unhandled"
    assert json.loads(out["Body"]) == {"errorMessage": "boom", "errorType": "errorString"}

    create(lam, "panics", go_zip("panic"))
    for _ in range(2):
        out = invoke(lam, "panics")
        assert out["FunctionError"] == "Unhandled"
        body = json.loads(out["Body"])
        assert body["errorMessage"] == "something went very wrong"
        assert body["stackTrace"]


def test_timeout(lam, go_zip):
    create(lam, "slow", go_zip("sleep"), Timeout=1)
    started = time.time()
    out = invoke(lam, "slow", b'{"ms": 5000}')
    assert time.time() - started < 4
    assert out["StatusCode"] == 200
    assert out["FunctionError"] == "Unhandled"
    assert json.loads(out["Body"]) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id(out)} Error: Task timed out after 1.00 seconds",
    }
    # The next invocation gets a fresh environment and works.
    assert invoke(lam, "slow", b'{"ms": 10}')["Body"] == b'"slept"'


def test_runtime_exit(lam, go_zip):
    create(lam, "quits", go_zip("exit"))
    out = invoke(lam, "quits", b'{"code": 2}')
    assert json.loads(out["Body"]) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id(out)} Error: Runtime exited with error: exit status 2",
    }


def test_payload_limits(lam, go_zip):
    create(lam, "large", go_zip("large"))
    out = invoke(lam, "large", b'{"size": 7000000}')
    assert out["FunctionError"] == "Unhandled"
    assert json.loads(out["Body"]) == {
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
    }
    fits = invoke(lam, "large", b'{"size": 6000000}')
    assert len(fits["Body"]) == 6000002

    too_big = b'"' + b"x" * 6_291_455 + b'"'
    # Unmodelled code on the wire (the model says RequestTooLargeException): botocore raises ClientError.
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="large", Payload=too_big)
    assert err.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert err.value.response["Error"]["Message"] == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName="large", Payload=b"not json")


def test_invocation_types_and_errors_before_start(server, lam, go_zip):
    create(lam, "sleeper", go_zip("sleep"))
    assert lam.invoke(FunctionName="sleeper", InvocationType="DryRun")["StatusCode"] == 204
    assert lam.invoke(FunctionName="sleeper", InvocationType="Event", Payload=b'{"ms": 1}')["StatusCode"] == 202
    logs = server.data_dir / "logs" / "000000000000" / "us-east-1" / "sleeper"
    deadline = time.time() + 20
    while not (logs.exists() and any("REPORT RequestId" in p.read_text() for p in logs.glob("*.log"))):
        assert time.time() < deadline, "the Event invocation never ran"
        time.sleep(0.1)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as err:
        lam.invoke(FunctionName="nothing")
    assert err.value.response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nothing:$LATEST"
    )


def test_environment_and_client_context(lam, go_zip):
    create(lam, "env", go_zip("env"), Environment={"Variables": {"STAGE": "test"}}, MemorySize=256)
    env = json.loads(invoke(lam, "env")["Body"])
    assert env["STAGE"] == "test"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "env"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["LAMBDA_TASK_ROOT"] == env["__cwd"]

    create(lam, "ctx", go_zip("context"))
    context = base64.b64encode(json.dumps({"custom": {"tenant": "blue"}}).encode()).decode()
    report = json.loads(invoke(lam, "ctx", ClientContext=context)["Body"])
    assert report["clientContextCustom"] == {"tenant": "blue"}
    assert report["invokedFunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:ctx"


def test_versions_and_updates(lam, go_zip):
    create(lam, "evolving", go_zip("echo"))
    lam.publish_version(FunctionName="evolving")
    lam.update_function_code(FunctionName="evolving", ZipFile=go_zip("fail"))
    wait_updated(lam, "evolving")
    latest = invoke(lam, "evolving", b'{"a": 1}')
    assert latest["FunctionError"] == "Unhandled", "new invocations run the new code"
    v1 = invoke(lam, "evolving", b'{"a":1}', Qualifier="1")
    assert v1["ExecutedVersion"] == "1"
    assert v1["Body"] == b'{"a":1}', "version 1 keeps its code"


def test_unusable_bootstraps_are_invalid_entrypoints(lam, go_zip):
    create(lam, "nobootstrap", make_zip({"main": "#!/bin/sh\n"}))
    out = invoke(lam, "nobootstrap")
    assert json.loads(out["Body"]) == {
        "errorType": "Runtime.InvalidEntrypoint",
        "errorMessage": f"RequestId: {request_id(out)} Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]",
    }
    create(lam, "noexec", make_zip(mode=0o644))
    out = invoke(lam, "noexec")
    assert json.loads(out["Body"])["errorMessage"].endswith("fork/exec /var/task/bootstrap: permission denied")


@pytest.mark.skipif(platform.machine() != "x86_64", reason="needs an x86_64 host for a foreign arm64 bootstrap")
def test_arm64_bootstrap_on_x86_64_in_process_mode(process_server, go_zip):
    lam = process_server.client()
    create(lam, "arm", go_zip("echo", "arm64"), Architectures=["arm64"])
    out = invoke(lam, "arm")
    assert out["FunctionError"] == "Unhandled"
    body = json.loads(out["Body"])
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert body["errorMessage"].endswith("fork/exec /var/task/bootstrap: exec format error")


def test_64_concurrent_invocations_scale_out(server, go_zip):
    lam = server.client(max_pool_connections=64, read_timeout=120)
    create(lam, "sleepy", go_zip("sleep"))
    # Correctness only: every invocation answers, and they ran side by side in environments of their own
    # (one log stream each). How fast lamina scales out is the benchmark's figure (lamina-bench, scale-out).
    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(lambda _: invoke(lam, "sleepy", b'{"ms": 200}'), range(64)))
    assert all(r["Body"] == b'"slept"' for r in results)
    streams = list((server.data_dir / "logs" / "000000000000" / "us-east-1" / "sleepy").glob("*.log"))
    assert len(streams) >= 32, f"only {len(streams)} environments served 64 concurrent invocations"


def test_reserved_concurrency_throttles(server, go_zip):
    lam = server.client(max_pool_connections=8)
    create(lam, "limited", go_zip("sleep"))
    lam.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=2)

    def attempt(_):
        try:
            return invoke(lam, "limited", b'{"ms": 1500}')["Body"]
        except lam.exceptions.TooManyRequestsException as e:
            return e.response

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, range(6)))
    throttled = [r for r in results if isinstance(r, dict)]
    assert 1 <= len(throttled) <= 4, results
    assert len(results) - len(throttled) >= 2
    for error in throttled:
        assert error["Error"]["Code"] == "TooManyRequestsException"
        assert error["Error"]["Message"] == "Rate Exceeded."
        assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 429

    lam.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName="limited", Payload=b'{"ms": 1}')


def test_rust_lambda_runtime(lam):
    create(lam, "rusty", make_zip({"bootstrap": rust_fixture().read_bytes()}))
    out = invoke(lam, "rusty", b'{"x": 1}')
    body = json.loads(out["Body"])
    assert body["event"] == {"x": 1}
    assert body["requestId"] == request_id(out)
    failed = invoke(lam, "rusty", b'{"fail": true}')
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Body"])["errorMessage"] == "asked to fail"


def test_python_awslambdaric(process_server):
    # The handler runs on the venv's Python, a host path: only process isolation sees it (a sandbox sees
    # the system directories and its own code).
    lam = process_server.client()
    python = REPO / ".venv" / "bin" / "python"
    app = (REPO / "tests/fixtures/python/app.py").read_text()
    bootstrap = f"#!/bin/sh\nexec {python} -m awslambdaric \"$_HANDLER\"\n"
    create(lam, "py", make_zip({"bootstrap": bootstrap, "app.py": app}), Handler="app.echo")
    out = invoke(lam, "py", b'{"value": 3}')
    assert json.loads(out["Body"]) == {"event": {"value": 3}, "requestId": request_id(out)}
    lam.update_function_configuration(FunctionName="py", Handler="app.fail")
    wait_updated(lam, "py")
    failed = invoke(lam, "py", b'{"value": 4}')
    assert failed["FunctionError"] == "Unhandled"
    body = json.loads(failed["Body"])
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "bad value: 4"


def test_shell_custom_runtime(lam):
    bootstrap = (REPO / "tests/fixtures/shell/bootstrap").read_text()
    create(lam, "shell", make_zip({"bootstrap": bootstrap}))
    assert invoke(lam, "shell", b'{"n": 1}')["Body"] == b'{"shell":true,"event":{"n": 1}}'


def test_lamina_invoke_and_logs(server, lam, go_zip):
    create(lam, "greeter", go_zip("hello"))
    env = dict(os.environ, AWS_ENDPOINT_URL=server.endpoint, AWS_REGION="us-east-1")
    result = subprocess.run(
        [str(lamina_binary()), "invoke", "greeter", "--payload", '{"name":"lamina"}'],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"message": "hello, lamina"}
    assert "START RequestId:" in result.stderr and "REPORT RequestId:" in result.stderr

    logs = subprocess.run(
        [str(lamina_binary()), "logs", "greeter"], env=env, capture_output=True, text=True, timeout=60,
    )
    assert logs.returncode == 0, logs.stderr
    assert "INIT_START" in logs.stdout and "REPORT RequestId:" in logs.stdout

    create(lam, "failing", go_zip("fail"))
    failed = subprocess.run(
        [str(lamina_binary()), "invoke", "failing"], env=env, capture_output=True, text=True, timeout=60
    )
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["errorMessage"] == "boom"


def test_invoke_during_an_update(lam, go_zip):
    create(lam, "busy", go_zip("echo"))
    lam.update_function_code(FunctionName="busy", ZipFile=go_zip("hello"))
    # Straight away, while the update may still be in progress: the function runs (new code here; AWS
    # would still run the previous code) instead of failing for lack of unpacked code.
    out = invoke(lam, "busy", b'{"name":"x"}')
    assert "FunctionError" not in out, out["Body"]
    assert out["Body"] in (b'{"name":"x"}', b'{"message":"hello, x"}')


def test_every_change_is_seen_by_the_next_invoke(lam, go_zip):
    """Invoke reuses what it resolved of a function until the function changes: each change below must
    reach the very next invocation."""
    create(lam, "changing", go_zip("env"), Environment={"Variables": {"STEP": "1"}})
    assert json.loads(invoke(lam, "changing")["Body"])["STEP"] == "1"

    lam.update_function_configuration(FunctionName="changing", Environment={"Variables": {"STEP": "2"}})
    wait_updated(lam, "changing")
    assert json.loads(invoke(lam, "changing")["Body"])["STEP"] == "2"

    lam.publish_version(FunctionName="changing")
    lam.update_function_code(FunctionName="changing", ZipFile=go_zip("hello"))
    wait_updated(lam, "changing")
    assert json.loads(invoke(lam, "changing", b'{"name":"code"}')["Body"]) == {"message": "hello, code"}
    assert json.loads(invoke(lam, "changing", Qualifier="1")["Body"])["STEP"] == "2"

    lam.put_function_concurrency(FunctionName="changing", ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        invoke(lam, "changing")
    lam.delete_function_concurrency(FunctionName="changing")
    assert invoke(lam, "changing")["StatusCode"] == 200

    lam.delete_function(FunctionName="changing", Qualifier="1")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        invoke(lam, "changing", Qualifier="1")
    lam.delete_function(FunctionName="changing")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        invoke(lam, "changing")
    create(lam, "changing", go_zip("env"), Environment={"Variables": {"STEP": "3"}})
    assert json.loads(invoke(lam, "changing")["Body"])["STEP"] == "3"
