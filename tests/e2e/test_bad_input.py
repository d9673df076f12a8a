"""AWS's answers for bad input: wrong-typed and out-of-pattern structured members, Invoke payloads that
are not JSON in UTF-8, paths that do not decode to UTF-8, and a data directory whose disk is full."""

import json
import os
import urllib.error
import urllib.request

import botocore.exceptions
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from conftest import ROLE, WAIT, Server, create, lamina_env, make_zip, run_aws


def error_of(excinfo):
    """(HTTP status, error code, message) of a botocore ClientError."""
    response = excinfo.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def with_body_members(client, operation, **members):
    """Rewrites `operation`'s JSON body before it is signed, so that members botocore would not
    serialize (a string where its model has a structure) reach the server as a client could send them."""

    def rewrite(request, **_):
        body = json.loads(request.body or b"{}")
        body.update(members)
        request.data = json.dumps(body).encode()
        request.headers["Content-Length"] = str(len(request.data))

    client.meta.events.register(f"before-sign.lambda.{operation}", rewrite)
    return client


def create_params(name, **extra):
    params = {
        "FunctionName": name,
        "Runtime": "provided.al2023",
        "Handler": "bootstrap",
        "Role": ROLE,
        "Code": {"ZipFile": make_zip()},
    }
    params.update(extra)
    return params


@pytest.mark.parametrize(
    "members",
    [
        {"VpcConfig": "x"},
        {"VpcConfig": {"SubnetIds": "subnet-1"}},
        {"VpcConfig": {"Ipv6AllowedForDualStack": "yes"}},
        {"DeadLetterConfig": {"TargetArn": 5}},
        {"DeadLetterConfig": []},
        {"FileSystemConfigs": {"Arn": "x"}},
        {"LoggingConfig": {"LogFormat": 1}},
        {"ImageConfig": {"Command": "ls"}},
        {"SnapStart": "on"},
        {"Timeout": "abc"},
        {"MemorySize": 1.5},
    ],
)
def test_wrong_typed_members_are_refused_as_content(server, members):
    lam = with_body_members(server.client(parameter_validation=False), "CreateFunction", **members)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        lam.create_function(**create_params("typed"))
    status, code, message = error_of(excinfo)
    assert (status, code) == (400, "InvalidRequestContentException"), message
    assert message.startswith("Could not parse request body into json: "), message
    with pytest.raises(server.client().exceptions.ResourceNotFoundException):
        server.client().get_function(FunctionName="typed")


def test_wrong_typed_members_are_refused_by_update_configuration(server):
    lam = server.client()
    create(lam, "upd")
    before = lam.get_function_configuration(FunctionName="upd")
    rewriting = with_body_members(
        server.client(parameter_validation=False),
        "UpdateFunctionConfiguration",
        VpcConfig={"SecurityGroupIds": [1, 2]},
    )
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        rewriting.update_function_configuration(FunctionName="upd", Description="changed")
    assert error_of(excinfo)[:2] == (400, "InvalidRequestContentException")
    after = lam.get_function_configuration(FunctionName="upd")
    assert after["RevisionId"] == before["RevisionId"]
    assert "VpcConfig" not in after


def test_structured_members_are_validated_with_aws_grammar(server):
    lam = server.client(parameter_validation=False)
    with pytest.raises(lam.exceptions.ClientError) as excinfo:
        lam.create_function(
            **create_params(
                "patterns",
                DeadLetterConfig={"TargetArn": "queue"},
                LoggingConfig={"LogFormat": "XML", "LogGroup": "bad group"},
                SnapStart={"ApplyOn": "Always"},
                FileSystemConfigs=[{"Arn": "arn:aws:s3:::b", "LocalMountPath": "/data"}],
                VpcConfig={"SecurityGroupIds": [f"sg-{i}" for i in range(6)]},
            )
        )
    status, code, message = error_of(excinfo)
    assert (status, code) == (400, "ValidationException"), message
    assert message.startswith("7 validation errors detected: "), message
    for item in [
        "Value '[sg-0, sg-1, sg-2, sg-3, sg-4, sg-5]' at 'vpcConfig.securityGroupIds' failed to satisfy "
        "constraint: Member must have length less than or equal to 5",
        "Value 'queue' at 'deadLetterConfig.targetArn' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: (arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()",
        "Value 'arn:aws:s3:::b' at 'fileSystemConfigs.1.member.arn' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: arn:aws[a-zA-Z-]*:elasticfilesystem:",
        "Value '/data' at 'fileSystemConfigs.1.member.localMountPath' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: /mnt/[a-zA-Z0-9-_.]+",
        "Value 'XML' at 'loggingConfig.logFormat' failed to satisfy constraint: Member must satisfy enum "
        "value set: [JSON, Text]",
        "Value 'bad group' at 'loggingConfig.logGroup' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
        "Value 'Always' at 'snapStart.applyOn' failed to satisfy constraint: Member must satisfy enum value "
        "set: [PublishedVersions, None]",
    ]:
        assert item in message, f"{item!r} not in {message!r}"


def test_well_typed_members_are_echoed_as_given(server):
    lam = server.client()
    vpc = {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"], "Ipv6AllowedForDualStack": False}
    dlq = {"TargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"}
    out = create(lam, "echo", VpcConfig=vpc, DeadLetterConfig=dlq, LoggingConfig={"LogFormat": "JSON"})
    assert out["VpcConfig"] == vpc
    assert out["DeadLetterConfig"] == dlq
    got = lam.get_function_configuration(FunctionName="echo")
    assert got["VpcConfig"] == vpc and got["DeadLetterConfig"] == dlq
    assert got["LoggingConfig"]["LogFormat"] == "JSON"
    assert got["LoggingConfig"]["ApplicationLogLevel"] == "INFO"


@pytest.mark.parametrize("invocation_type", ["RequestResponse", "Event"])
@pytest.mark.parametrize(
    "payload, detail",
    [
        (b'{"k": "\xff"}', "Invalid UTF-8 start byte 0xff"),
        (b"\x97\x00binary", "Invalid UTF-8 start byte 0x97"),
        (b"hello", "expected value"),
        (b'{"a": 1', "EOF while parsing an object"),
    ],
)
def test_invoke_payload_must_be_json_in_utf8(server, invocation_type, payload, detail):
    lam = server.client()
    create(lam, "inv")
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as excinfo:
        lam.invoke(FunctionName="inv", InvocationType=invocation_type, Payload=payload)
    status, _, message = error_of(excinfo)
    assert status == 400
    assert message.startswith(
        "Could not parse request body into json: Could not parse payload into json: " + detail
    ), message


def test_invoke_async_payload_must_be_json_in_utf8(server):
    lam = server.client()
    create(lam, "inv-async")
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke_async(FunctionName="inv-async", InvokeArgs=b'["\xc3\x28"]')


def test_cli_invoke_with_a_payload_that_is_not_utf8(server, tmp_path):
    lam = server.client()
    create(lam, "cli-inv")
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"k": "\xfe\xff"}')
    out = tmp_path / "out.json"
    result = run_aws(
        ["lambda", "invoke", "--endpoint-url", server.endpoint, "--function-name", "cli-inv",
         "--payload", f"fileb://{bad}", str(out)],
        check=False,
    )
    assert result.returncode != 0
    assert "(InvalidRequestContentException)" in result.stderr, result.stderr
    assert "Could not parse payload into json: Invalid UTF-8 start byte 0xfe" in result.stderr, result.stderr
    good = tmp_path / "good.json"
    good.write_text('{"k": "\u00e9"}', encoding="utf-8")
    answer = run_aws(
        ["lambda", "invoke", "--endpoint-url", server.endpoint, "--function-name", "cli-inv",
         "--payload", f"fileb://{good}", str(out)]
    )
    assert json.loads(answer.stdout)["StatusCode"] == 200


def signed(server, method, path, body=b""):
    """A request signed as boto3 signs it, to a path botocore would escape differently."""
    request = AWSRequest(method=method, url=f"{server.endpoint}{path}", data=body)
    SigV4Auth(Credentials("test", "test"), "lambda", "us-east-1").add_auth(request)
    prepared = request.prepare()
    return urllib.request.Request(prepared.url, data=body or None, headers=dict(prepared.headers), method=method)


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/2015-03-31/functions/%FF"),
        ("POST", "/2015-03-31/functions/a%C3%28/invocations"),
    ],
)
def test_path_that_is_not_utf8_gets_an_aws_error(server, method, path):
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(signed(server, method, path), timeout=10)
    error = excinfo.value
    assert error.code == 400
    assert error.headers["Content-Type"].startswith("application/json")
    assert error.headers["x-amzn-ErrorType"].startswith("ValidationException")
    body = json.loads(error.read())
    assert "at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern" in body[
        "message"
    ], body


# A full disk.


def staging_files(data_dir):
    tmp = data_dir / "code" / "tmp"
    return sorted(p.name for p in tmp.iterdir()) if tmp.is_dir() else []


@pytest.mark.needs_root("mounting a small tmpfs needs root")
def test_full_disk_says_so_and_recovers(small_disk):
    data_dir = small_disk / "data"
    server = Server(data_dir).start()
    try:
        lam = server.client()
        # Incompressible, so the zip is as large as its content: more than the disk holds.
        too_big = make_zip({"bootstrap": "#!/bin/sh\n", "blob": os.urandom(9 * 1024 * 1024)})
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            lam.create_function(**create_params("big", Code={"ZipFile": too_big}))
        status, code, message = error_of(excinfo)
        assert (status, code) == (500, "ServiceException"), message
        assert message.startswith(f"lamina is out of disk space in {data_dir}"), message
        assert "No space left on device" in message, message
        assert "zip" not in message.lower(), message
        assert staging_files(data_dir) == [], "a staging file was left behind"
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.get_function(FunctionName="big")
        # Room returns (the package is smaller now): the same server deploys and runs it.
        create(lam, "small")
        assert lam.invoke(FunctionName="small")["StatusCode"] == 200
        assert staging_files(data_dir) == []
    finally:
        server.stop()


@pytest.mark.needs_root("mounting a small tmpfs needs root")
def test_full_disk_while_unpacking_does_not_blame_the_package(small_disk):
    data_dir = small_disk / "data"
    server = Server(data_dir).start()
    try:
        lam = server.client()
        # Fits once (the stored package), not twice (unpacked beside it).
        package = make_zip({"bootstrap": "#!/bin/sh\n", "blob": os.urandom(5 * 1024 * 1024)})
        lam.create_function(**create_params("unpack", Code={"ZipFile": package}))
        waiter = lam.get_waiter("function_active_v2")
        with pytest.raises(botocore.exceptions.WaiterError):
            waiter.wait(FunctionName="unpack", WaiterConfig=WAIT)
        config = lam.get_function_configuration(FunctionName="unpack")
        assert config["State"] == "Failed"
        assert config["StateReasonCode"] == "InternalError", config
        assert config["StateReason"].startswith("lamina is out of disk space in "), config
        assert "No space left on device" in config["StateReason"], config
        assert not list((data_dir / "unpacked").glob(".tmp-*")), "a half-unpacked package was left behind"
        # Room returns once the function is deleted: a new one deploys and runs.
        lam.delete_function(FunctionName="unpack")
        create(lam, "after")
        assert lam.invoke(FunctionName="after")["StatusCode"] == 200
    finally:
        server.stop()


@pytest.mark.needs_root("mounting a small tmpfs needs root")
def test_full_disk_while_fetching_from_s3_says_so(small_disk, s3_store, tmp_path):
    data_dir = small_disk / "data"
    server = Server(data_dir, ["--s3-endpoint-url", s3_store.endpoint], env=lamina_env()).start()
    try:
        lam = server.client()
        bucket = s3_store.new_bucket()
        too_big = tmp_path / "too-big.zip"
        too_big.write_bytes(make_zip({"bootstrap": "#!/bin/sh\n", "blob": os.urandom(9 * 1024 * 1024)}))
        s3_store.aws(["s3", "cp", str(too_big), f"s3://{bucket}/too-big.zip"])
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            lam.create_function(**create_params("big", Code={"S3Bucket": bucket, "S3Key": "too-big.zip"}))
        status, code, message = error_of(excinfo)
        assert (status, code) == (500, "ServiceException"), message
        assert message.startswith(f"lamina is out of disk space in {data_dir}"), message
        assert "No space left on device" in message, message
        assert staging_files(data_dir) == [], "a staging file was left behind"
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.get_function(FunctionName="big")
    finally:
        server.stop()
