"""Deployment packages from S3 (`--code S3Bucket=...,S3Key=...[,S3ObjectVersion=...]`): lamina fetches
them from a real S3 server (gofakes3, started by the `s3_store` fixture and filled with the AWS CLI),
in the function's region, and answers AWS's errors for a missing bucket, key or version."""

import base64
import hashlib
import io
import json
import os
import time
import zipfile

import pytest

from conftest import ROLE, Server, WAIT, create, lamina_env, make_zip, refusing_endpoint, run_aws, wait_updated

SHELL = (
    "#!/bin/sh\n"
    "set -eu\n"
    'api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"\n'
    "headers=$(mktemp)\n"
    "while true; do\n"
    '    event=$(curl -sS -D "$headers" "$api/invocation/next")\n'
    "    request_id=$(sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p' \"$headers\" | tr -d '\\r')\n"
    "    printf '{\"variant\":\"%s\",\"event\":%s}' \"$VARIANT\" \"$event\" |\n"
    '        curl -sS -o /dev/null -X POST --data-binary @- "$api/invocation/$request_id/response"\n'
    "done\n"
)


def variant_zip(variant: str) -> bytes:
    """A shell custom runtime that answers each event with `{"variant": <variant>, "event": ...}`."""
    return make_zip({"bootstrap": SHELL.replace("$VARIANT", variant)})


def code_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def invoke_variant(lam, name, qualifier=None) -> str:
    kwargs = {"Qualifier": qualifier} if qualifier else {}
    out = lam.invoke(FunctionName=name, Payload=b'{"n": 1}', **kwargs)
    body = json.loads(out["Payload"].read())
    assert body["event"] == {"n": 1}
    return body["variant"]


def put(s3_store, tmp_path, bucket, key, data: bytes) -> dict:
    """`aws s3api put-object`; returns its JSON answer (with VersionId in a versioned bucket)."""
    path = tmp_path / f"upload-{time.monotonic_ns()}.zip"
    path.write_bytes(data)
    out = s3_store.aws(["s3api", "put-object", "--bucket", bucket, "--key", key, "--body", str(path)])
    return json.loads(out.stdout or "{}")


def error_of(e):
    err = e.value.response["Error"]
    return err["Code"], err["Message"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def lambda_cli(server, args):
    return run_aws(["lambda"] + args, env_extra={"AWS_ENDPOINT_URL": server.endpoint})


def test_create_from_s3_with_the_cli_then_invoke(s3_server, s3_store, tmp_path):
    bucket = s3_store.new_bucket()
    package = variant_zip("one")
    (tmp_path / "fn.zip").write_bytes(package)
    s3_store.aws(["s3", "cp", str(tmp_path / "fn.zip"), f"s3://{bucket}/builds/fn.zip"])
    out = lambda_cli(
        s3_server,
        [
            "create-function", "--function-name", "from-s3", "--runtime", "provided.al2023",
            "--handler", "bootstrap", "--role", ROLE, "--code", f"S3Bucket={bucket},S3Key=builds/fn.zip",
        ],
    )
    created = json.loads(out.stdout)
    assert created["CodeSha256"] == code_sha256(package)
    assert created["CodeSize"] == len(package)
    lam = s3_server.client()
    lam.get_waiter("function_active_v2").wait(FunctionName="from-s3", WaiterConfig=WAIT)
    assert invoke_variant(lam, "from-s3") == "one"
    got = lam.get_function(FunctionName="from-s3")
    assert got["Configuration"]["CodeSha256"] == code_sha256(package)
    # The stored package is the object's bytes.
    assert got["Configuration"]["CodeSize"] == len(package)


def test_update_function_code_picks_the_object_version(s3_server, s3_store, tmp_path):
    bucket = s3_store.new_bucket(versioned=True)
    old, new = variant_zip("old"), variant_zip("new")
    v_old = put(s3_store, tmp_path, bucket, "fn.zip", old)["VersionId"]
    v_new = put(s3_store, tmp_path, bucket, "fn.zip", new)["VersionId"]
    assert v_old != v_new
    lam = s3_server.client()
    # No version: the current object.
    create(lam, "versioned", Code={"S3Bucket": bucket, "S3Key": "fn.zip"})
    assert invoke_variant(lam, "versioned") == "new"
    # The older version, asked for with the CLI.
    out = lambda_cli(
        s3_server,
        [
            "update-function-code", "--function-name", "versioned", "--s3-bucket", bucket, "--s3-key", "fn.zip",
            "--s3-object-version", v_old, "--publish",
        ],
    )
    published = json.loads(out.stdout)
    assert published["Version"] == "1"
    assert published["CodeSha256"] == code_sha256(old)
    wait_updated(lam, "versioned")
    assert invoke_variant(lam, "versioned") == "old"
    assert invoke_variant(lam, "versioned", "1") == "old"
    assert lam.get_function(FunctionName="versioned")["Configuration"]["CodeSha256"] == code_sha256(old)
    # And back to the newer one by its version id.
    lam.update_function_code(FunctionName="versioned", S3Bucket=bucket, S3Key="fn.zip", S3ObjectVersion=v_new)
    wait_updated(lam, "versioned")
    assert invoke_variant(lam, "versioned") == "new"


def test_missing_bucket_key_and_version_are_aws_errors(s3_server, s3_store, tmp_path):
    lam = s3_server.client()
    bucket = s3_store.new_bucket(versioned=True)
    put(s3_store, tmp_path, bucket, "fn.zip", variant_zip("x"))
    cases = [
        (
            {"S3Bucket": "no-such-bucket", "S3Key": "fn.zip"},
            "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket "
            "does not exist",
        ),
        (
            {"S3Bucket": bucket, "S3Key": "missing.zip"},
            "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not "
            "exist.",
        ),
        (
            {
                "S3Bucket": bucket,
                "S3Key": "fn.zip",
                "S3ObjectVersion": "3/60O30C1G60O30C1G60O30C1G60O30C1G60O30C1G60O30C1G60O30C1G60O30",
            },
            "Error occurred while GetObject. S3 Error Code: NoSuchVersion. S3 Error Message: The specified version "
            "does not exist.",
        ),
    ]
    for code, message in cases:
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
            create(lam, "missing", Code=code, wait=False)
        assert error_of(e) == ("InvalidParameterValueException", message, 400)
    # The same through UpdateFunctionCode, and the function is left as it was.
    create(lam, "kept", Code={"S3Bucket": bucket, "S3Key": "fn.zip"})
    for code, message in cases:
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
            lam.update_function_code(FunctionName="kept", **code)
        assert error_of(e) == ("InvalidParameterValueException", message, 400)
    assert invoke_variant(lam, "kept") == "x"
    assert lam.list_functions()["Functions"][0]["FunctionName"] == "kept"


def test_zip_file_with_s3_members_and_validation(s3_server, s3_store):
    lam = s3_server.client(parameter_validation=False)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "both", Code={"ZipFile": make_zip(), "S3Bucket": "code-1", "S3Key": "fn.zip"}, wait=False)
    assert error_of(e) == (
        "InvalidParameterValueException",
        "Please do not provide other FunctionCode parameters when providing a ZipFile.",
        400,
    )
    create(lam, "inline")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.update_function_code(FunctionName="inline", ZipFile=make_zip(), S3Key="fn.zip")
    assert error_of(e)[1] == "Please do not provide other FunctionCode parameters when providing a ZipFile."
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, "invalid", Code={"S3Bucket": "ab", "S3Key": "", "S3ObjectVersion": "v"}, wait=False)
    assert error_of(e) == (
        "ValidationException",
        "2 validation errors detected: Value 'ab' at 'code.s3Bucket' failed to satisfy constraint: Member must have "
        "length greater than or equal to 3; Value '' at 'code.s3Key' failed to satisfy constraint: Member must have "
        "length greater than or equal to 1",
        400,
    )
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.update_function_code(FunctionName="inline", S3Bucket="bad_bucket.", S3Key="k" * 1025)
    code, message, status = error_of(e)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(
        "2 validation errors detected: Value 'bad_bucket.' at 's3Bucket' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [0-9A-Za-z\\.\\-_]*(?<!\\.); Value '"
    )
    assert message.endswith("' at 's3Key' failed to satisfy constraint: Member must have length less than or equal to 1024")


def test_a_package_over_50_mb_may_come_from_s3(s3_server, s3_store, tmp_path):
    # The 52,428,800-byte limit is for inline uploads; from S3 only the unzipped size counts.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
        info.create_system = 3
        info.external_attr = 0o100755 << 16
        z.writestr(info, SHELL.replace("$VARIANT", "big"))
        z.writestr(zipfile.ZipInfo("blob.bin", date_time=(2020, 1, 1, 0, 0, 0)), os.urandom(55 * 1024 * 1024))
    package = buf.getvalue()
    assert len(package) > 52_428_800
    bucket = s3_store.new_bucket()
    (tmp_path / "big.zip").write_bytes(package)
    s3_store.aws(["s3", "cp", str(tmp_path / "big.zip"), f"s3://{bucket}/big.zip"])
    lam = s3_server.client()
    out = create(lam, "big", Code={"S3Bucket": bucket, "S3Key": "big.zip"})
    assert out["CodeSize"] == len(package)
    assert out["CodeSha256"] == code_sha256(package)
    assert invoke_variant(lam, "big") == "big"


def test_aws_endpoint_url_does_not_steer_s3(tmp_path, s3_store):
    # Users export AWS_ENDPOINT_URL=<lamina> for their tools; lamina's S3 client reads only
    # AWS_ENDPOINT_URL_S3 (or --s3-endpoint-url), never the generic variable. Here the generic one names
    # an endpoint that refuses every connection: were it read, the fetch would fail.
    with refusing_endpoint() as elsewhere:
        srv = Server(
            tmp_path / "env-data",
            env=lamina_env({"AWS_ENDPOINT_URL": elsewhere, "AWS_ENDPOINT_URL_S3": s3_store.endpoint}),
        ).start()
        try:
            bucket = s3_store.new_bucket()
            put(s3_store, tmp_path, bucket, "fn.zip", variant_zip("env"))
            lam = srv.client()
            create(lam, "env", Code={"S3Bucket": bucket, "S3Key": "fn.zip"})
            assert invoke_variant(lam, "env") == "env"
        finally:
            srv.stop()


def test_an_unreachable_endpoint_is_a_clear_error(tmp_path):
    with refusing_endpoint() as dead:
        srv = Server(tmp_path / "dead-data", ["--s3-endpoint-url", dead], env=lamina_env()).start()
        try:
            lam = srv.client()
            started = time.monotonic()
            with pytest.raises(lam.exceptions.ServiceException) as e:
                create(lam, "dead", Code={"S3Bucket": "code-1", "S3Key": "fn.zip"}, wait=False)
            assert time.monotonic() - started < 30
            code, message, status = error_of(e)
            assert (code, status) == ("ServiceException", 500)
            assert message.startswith(
                f"Error occurred while GetObject: lamina could not read the object from {dead}: "
            )
        finally:
            srv.stop()


def test_a_server_without_s3_credentials_says_so_at_once(tmp_path, s3_store):
    """Nothing to sign with: refused with a 400 that names the fix, so the client does not retry."""
    env = lamina_env({"AWS_EC2_METADATA_DISABLED": "true"})
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(key, None)
    srv = Server(tmp_path / "data", ["--s3-endpoint-url", s3_store.endpoint], env=env).start()
    try:
        bucket = s3_store.new_bucket()
        put(s3_store, tmp_path, bucket, "fn.zip", make_zip())
        lam = srv.client()
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
            create(lam, "nocreds", Code={"S3Bucket": bucket, "S3Key": "fn.zip"}, wait=False)
        code, message, status = error_of(e)
        assert (code, status) == ("InvalidParameterValueException", 400)
        assert message.startswith("Error occurred while GetObject. S3 Error Code: AccessDenied."), message
        assert "lamina has no AWS credentials" in message and "AWS_ACCESS_KEY_ID" in message, message
        assert e.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    finally:
        srv.stop()


def test_publish_a_layer_from_s3_and_run_its_bootstrap(s3_server, s3_store, tmp_path):
    """PublishLayerVersion takes `Content.S3Bucket/S3Key/S3ObjectVersion` like CreateFunction takes `Code`;
    a function without a bootstrap of its own runs the layer's `/opt/bootstrap`."""
    bucket = s3_store.new_bucket(versioned=True)
    first = put(s3_store, tmp_path, bucket, "layers/runtime.zip", variant_zip("layer-one"))
    put(s3_store, tmp_path, bucket, "layers/runtime.zip", variant_zip("layer-two"))
    lam = s3_server.client()
    layer = lam.publish_layer_version(
        LayerName="runtime",
        Content={"S3Bucket": bucket, "S3Key": "layers/runtime.zip", "S3ObjectVersion": first["VersionId"]},
    )
    assert layer["Content"]["CodeSha256"] == code_sha256(variant_zip("layer-one"))
    create(lam, "layered", zip_bytes=make_zip({"README": "no bootstrap here\n"}), Layers=[layer["LayerVersionArn"]])
    assert invoke_variant(lam, "layered") == "layer-one"

    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.publish_layer_version(LayerName="runtime", Content={"S3Bucket": bucket, "S3Key": "layers/missing.zip"})
    assert error_of(e)[1] == (
        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."
    )
