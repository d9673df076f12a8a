"""Credentials inside functions: each environment gets session credentials for its execution role. With
`--function-api-access` an aws-sdk-go-v2 function calls this server's Lambda API with them (on its
Runtime API's address, whatever its network) and invokes another function; without it they are
accepted nowhere, and a sandboxed function cannot reach the server at all."""

import json

import pytest

from conftest import Server, create, require_root


def invoke_through(lam, payload):
    out = lam.invoke(FunctionName="invoker", Payload=json.dumps(payload).encode())
    assert out["StatusCode"] == 200 and "FunctionError" not in out, out
    return json.loads(out["Payload"].read())


@pytest.mark.parametrize("isolation", ["sandbox", "process"])
def test_with_access_a_function_invokes_another_as_its_role(tmp_path, go_zip, isolation):
    if isolation == "sandbox":
        require_root("sandbox isolation needs root")
    srv = Server(tmp_path / "data", ["--isolation", isolation, "--function-api-access"]).start()
    try:
        lam = srv.client()
        create(lam, "echo", go_zip("echo"))
        create(lam, "invoker", go_zip("invoker"))
        got = invoke_through(lam, {"target": "echo", "payload": {"hello": "from a function"}})
        assert got == {"answer": {"hello": "from a function"}}, got
        # The environment's credentials are a session of its role, not a key of the server's.
        create(lam, "env", go_zip("env"))
        env = json.loads(lam.invoke(FunctionName="env")["Payload"].read())
        assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and env["AWS_SESSION_TOKEN"]
        assert env["AWS_ENDPOINT_URL"].startswith("http://")
    finally:
        srv.stop()


def test_without_access_the_credentials_are_refused(tmp_path, go_zip):
    srv = Server(tmp_path / "data", ["--isolation", "process"]).start()
    try:
        lam = srv.client()
        create(lam, "echo", go_zip("echo"))
        # Pointed at the server by its own configuration, the function reaches it (a plain process shares
        # the host's network) but its credentials are not accepted.
        create(lam, "invoker", go_zip("invoker"), Environment={"Variables": {"AWS_ENDPOINT_URL": srv.endpoint}})
        got = invoke_through(lam, {"target": "echo", "payload": {}})
        assert "UnrecognizedClientException" in got.get("error", ""), got
        create(lam, "env", go_zip("env"))
        env = json.loads(lam.invoke(FunctionName="env")["Payload"].read())
        assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and "AWS_ENDPOINT_URL" not in env
    finally:
        srv.stop()


def test_without_access_a_sandboxed_function_cannot_reach_the_server(tmp_path, go_zip):
    require_root("sandbox isolation needs root")
    srv = Server(tmp_path / "data", ["--isolation", "sandbox"]).start()
    try:
        lam = srv.client()
        create(lam, "echo", go_zip("echo"))
        create(lam, "invoker", go_zip("invoker"), Environment={"Variables": {"AWS_ENDPOINT_URL": srv.endpoint}})
        got = invoke_through(lam, {"target": "echo", "payload": {}})
        assert "connection refused" in got.get("error", "").lower(), got
    finally:
        srv.stop()
