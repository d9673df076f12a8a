"""The issue's AWS CLI commands, verbatim, against a real `lamina serve`: once with --endpoint-url and
once with AWS_ENDPOINT_URL."""

import base64
import hashlib
import json
import os

import pytest

from conftest import make_zip, run_aws

SEED_CREATE = (
    "lambda create-function --function-name myFunction --runtime provided.al2023 --handler bootstrap "
    "--architectures arm64 --role arn:aws:iam::111122223333:role/lambda-ex --zip-file fileb://myFunction.zip"
).split()
SEED_UPDATE = "lambda update-function-code --function-name myFunction --zip-file fileb://myFunction.zip".split()


@pytest.mark.parametrize("how", ["endpoint-url", "AWS_ENDPOINT_URL"])
def test_seed_commands_verbatim(server, tmp_path, how):
    zip_bytes = make_zip()
    (tmp_path / "myFunction.zip").write_bytes(zip_bytes)
    sha = base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()
    if how == "endpoint-url":
        extra_args, env = ["--endpoint-url", server.endpoint], {}
    else:
        extra_args, env = [], {"AWS_ENDPOINT_URL": server.endpoint}

    def aws(args, check=True):
        return run_aws(args + extra_args, env_extra=env, cwd=tmp_path, check=check)

    created = json.loads(aws(SEED_CREATE).stdout)
    assert created["FunctionName"] == "myFunction"
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:myFunction"
    assert created["State"] == "Pending"
    assert created["Architectures"] == ["arm64"]
    assert created["CodeSha256"] == sha
    assert created["CodeSize"] == len(zip_bytes)

    aws("lambda wait function-active-v2 --function-name myFunction".split())
    updated = json.loads(aws(SEED_UPDATE).stdout)
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["RevisionId"] != created["RevisionId"]
    aws("lambda wait function-updated-v2 --function-name myFunction".split())

    got = json.loads(aws("lambda get-function --function-name myFunction".split()).stdout)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Configuration"]["CodeSha256"] == sha
    listed = json.loads(aws("lambda list-functions".split()).stdout)
    assert [f["FunctionName"] for f in listed["Functions"]] == ["myFunction"]

    aws("lambda delete-function --function-name myFunction".split())
    missing = aws("lambda get-function --function-name myFunction".split(), check=False)
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr
    assert "Function not found: arn:aws:lambda:us-east-1:000000000000:function:myFunction" in missing.stderr


def test_cli_reports_aws_errors(server, tmp_path):
    (tmp_path / "f.zip").write_bytes(make_zip())
    result = run_aws(
        "lambda create-function --function-name f --runtime go1.x --handler bootstrap "
        "--role arn:aws:iam::111122223333:role/lambda-ex --zip-file fileb://f.zip".split()
        + ["--endpoint-url", server.endpoint],
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode != 0
    assert "InvalidParameterValueException" in result.stderr
    assert "The runtime parameter of go1.x is no longer supported" in result.stderr


def test_unimplemented_operation_is_a_clear_client_error(server, tmp_path):
    result = run_aws(
        ["lambda", "get-capacity-provider", "--capacity-provider-name", "cp", "--endpoint-url", server.endpoint],
        check=False,
    )
    assert result.returncode != 0
    assert "UnsupportedOperationException" in result.stderr
    assert "GetCapacityProvider" in result.stderr


def test_serve_prints_the_export_line_and_uses_the_account_id(tmp_path):
    from conftest import Server, create

    srv = Server(tmp_path / "data", ["--account-id", "123456789012"]).start()
    try:
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{srv.port}" in srv.log()
        out = create(srv.client(), "acct", wait=False)
        assert out["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:acct"
    finally:
        srv.stop()
    bad = Server(tmp_path / "bad", ["--account-id", "42"])
    try:
        bad.start()
        raise AssertionError("a 2-digit account id must be refused")
    except RuntimeError as e:
        assert "--account-id must be 12 digits" in str(e)


def test_help_describes_serve():
    import subprocess

    from conftest import lamina_binary

    top = subprocess.run([str(lamina_binary()), "--help"], capture_output=True, text=True, check=True).stdout
    assert "serve    Serve the AWS Lambda API (2015-03-31)" in top
    assert "inspect  Report every problem" in top
    serve = subprocess.run([str(lamina_binary()), "serve", "--help"], capture_output=True, text=True, check=True)
    for flag in ["--listen", "--data-dir", "--account-id", "--strict-packages"]:
        assert flag in serve.stdout


def test_data_dir_is_held_and_servers_keep_their_own_environments(tmp_path, go_zip):
    """A second server on the same data directory is refused; a server on another one leaves the first
    one's warm environments alone (each cleans up only what its own previous run left behind)."""
    import base64

    from conftest import Server, create

    first = Server(tmp_path / "first").start()
    other = None
    try:
        lam = first.client()
        create(lam, "warm", go_zip("hello"))

        def report():
            out = lam.invoke(FunctionName="warm", Payload=b'{"name":"x"}', LogType="Tail")
            assert out["Payload"].read() == b'{"message":"hello, x"}'
            return base64.b64decode(out["LogResult"]).decode()

        assert "Init Duration" in report()
        with pytest.raises(RuntimeError) as e:
            Server(tmp_path / "first").start()
        assert f"is in use by another lamina process (pid {first.proc.pid})" in str(e.value)
        other = Server(tmp_path / "other").start()
        assert "Init Duration" not in report(), "the first server's warm environment was lost"
    finally:
        first.stop()
        if other:
            other.stop()
    # A server that stopped cleanly leaves no cgroup parent behind (sandbox isolation, cgroup v1 or v2).
    import hashlib

    parent = "lamina/" + hashlib.sha256(str((tmp_path / "first").resolve()).encode()).hexdigest()[:12]
    for hierarchy in ["/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup"]:
        assert not os.path.exists(os.path.join(hierarchy, parent)), f"{hierarchy}/{parent} left behind"
    if "isolation: SANDBOX" in first.log():
        assert "sandboxes under 'lamina/" in first.log()
