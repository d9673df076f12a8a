"""S3 on the one endpoint: with only AWS_ENDPOINT_URL pointing at lamina, `aws s3` and boto3 make buckets,
put and get objects (ranges, versions, delete markers, multipart uploads of 100 MB, presigned URLs,
virtual-host addressing), and the guide's S3 route for code (`--code S3Bucket=...,S3Key=...,
S3ObjectVersion=...`, `update-function-code --s3-bucket ...`) reads that store directly. Acknowledged
PutObjects survive kill -9."""

import contextlib
import hashlib
import json
import os
import socket
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ROLE, Server, create, run_aws, wait_updated
from test_s3_code import invoke_variant, variant_zip

@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("s3-endpoint") / "data").start()
    yield server
    server.stop()


def aws(server, *args, check=True):
    """The AWS CLI with AWS_ENDPOINT_URL (and no other endpoint variable) naming the server."""
    return run_aws(list(args), {"AWS_ENDPOINT_URL": server.endpoint}, check=check)


def aws_json(server, *args):
    out = aws(server, *args).stdout
    return json.loads(out) if out.strip() else {}


def s3(server, **kwargs):
    return server.client(service="s3", **kwargs)


def code(e) -> tuple:
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def hundred_mb(tmp_path_factory):
    """A 100 MB file of cheap but non-repeating data: one random MiB, each copy prefixed by its index."""
    path = tmp_path_factory.mktemp("big") / "big.bin"
    block = os.urandom(1024 * 1024 - 8)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range(100):
            chunk = i.to_bytes(8, "big") + block
            f.write(chunk)
            digest.update(chunk)
    return path, digest.hexdigest()


def test_the_guides_s3_route_works_verbatim(srv, tmp_path):
    aws(srv, "s3", "mb", "s3://guide-code")
    aws(srv, "s3api", "put-bucket-versioning", "--bucket", "guide-code", "--versioning-configuration", "Status=Enabled")
    zip_path = tmp_path / "myFileName.zip"
    zip_path.write_bytes(variant_zip("first"))
    aws(srv, "s3", "cp", str(zip_path), "s3://guide-code/")
    listed = aws_json(srv, "s3api", "list-object-versions", "--bucket", "guide-code")
    [first] = listed["Versions"]
    assert first["Key"] == "myFileName.zip" and first["IsLatest"] is True
    aws(
        srv, "lambda", "create-function", "--function-name", "my-function", "--runtime", "provided.al2023",
        "--handler", "bootstrap", "--role", ROLE,
        "--code", f"S3Bucket=guide-code,S3Key=myFileName.zip,S3ObjectVersion={first['VersionId']}",
    )
    lam = srv.client()
    lam.get_waiter("function_active_v2").wait(FunctionName="my-function", WaiterConfig={"Delay": 0.05, "MaxAttempts": 600})
    assert invoke_variant(lam, "my-function") == "first"

    zip_path.write_bytes(variant_zip("second"))
    second = aws_json(srv, "s3api", "put-object", "--bucket", "guide-code", "--key", "myFileName.zip", "--body", str(zip_path))
    assert second["VersionId"] != first["VersionId"]
    aws(srv, "lambda", "update-function-code", "--function-name", "my-function", "--s3-bucket", "guide-code",
        "--s3-key", "myFileName.zip")
    wait_updated(lam, "my-function")
    assert invoke_variant(lam, "my-function") == "second"
    # The first version is still there to deploy.
    aws(srv, "lambda", "update-function-code", "--function-name", "my-function", "--s3-bucket", "guide-code",
        "--s3-key", "myFileName.zip", "--s3-object-version", first["VersionId"])
    wait_updated(lam, "my-function")
    assert invoke_variant(lam, "my-function") == "first"


def test_code_from_the_store_has_lambdas_errors(srv):
    lam = srv.client()
    client = s3(srv)
    client.create_bucket(Bucket="errors-code")
    client.put_object(Bucket="errors-code", Key="fn.zip", Body=variant_zip("x"))
    cases = [
        ({"S3Bucket": "no-such-bucket-here", "S3Key": "fn.zip"}, "NoSuchBucket. S3 Error Message: The specified bucket does not exist"),
        ({"S3Bucket": "errors-code", "S3Key": "nope.zip"}, "NoSuchKey. S3 Error Message: The specified key does not exist."),
        ({"S3Bucket": "errors-code", "S3Key": "fn.zip", "S3ObjectVersion": "0" * 32},
         "NoSuchVersion. S3 Error Message: The specified version does not exist."),
    ]
    for source, tail in cases:
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
            create(lam, "errs", Code=source, wait=False)
        assert e.value.response["Error"]["Message"] == f"Error occurred while GetObject. S3 Error Code: {tail}"
    # A bucket made in another region (the creator's signature region) is refused as Lambda refuses it.
    s3(srv, region="eu-west-1").create_bucket(
        Bucket="west-code", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    s3(srv, region="eu-west-1").put_object(Bucket="west-code", Key="fn.zip", Body=variant_zip("x"))
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "errs", Code={"S3Bucket": "west-code", "S3Key": "fn.zip"}, wait=False)
    assert e.value.response["Error"]["Message"] == (
        "Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error Message: The bucket is in this "
        "region: eu-west-1. Please use this region to retry the request"
    )
    assert s3(srv).get_bucket_location(Bucket="west-code")["LocationConstraint"] == "eu-west-1"
    assert s3(srv).head_bucket(Bucket="west-code")["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-west-1"


def test_location_constraints_are_checked_as_s3_checks_them(srv):
    with pytest.raises(ClientError) as e:
        s3(srv, region="eu-west-1").create_bucket(Bucket="no-constraint")
    assert code(e) == ("IllegalLocationConstraintException", 400)
    with pytest.raises(ClientError) as e:
        s3(srv).create_bucket(Bucket="odd-constraint", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert code(e) == ("InvalidLocationConstraint", 400)


def test_a_100_mb_multipart_upload_round_trips(srv, tmp_path, hundred_mb):
    path, sha = hundred_mb
    aws(srv, "s3", "mb", "s3://big-files")
    aws(srv, "s3", "cp", str(path), "s3://big-files/big.bin")
    head = s3(srv).head_object(Bucket="big-files", Key="big.bin")
    assert head["ContentLength"] == 100 * 1024 * 1024
    # The CLI uploads in 8 MiB parts: 13 of them, and S3's multipart ETag says so.
    assert head["ETag"].strip('"').endswith("-13"), head["ETag"]
    back = tmp_path / "back.bin"
    aws(srv, "s3", "cp", "s3://big-files/big.bin", str(back))
    digest = hashlib.sha256()
    with open(back, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    assert digest.hexdigest() == sha
    # A range across a part boundary.
    start = 8 * 1024 * 1024 - 5
    got = s3(srv).get_object(Bucket="big-files", Key="big.bin", Range=f"bytes={start}-{start + 9}")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {start}-{start + 9}/{100 * 1024 * 1024}"
    with open(path, "rb") as f:
        f.seek(start)
        assert got["Body"].read() == f.read(10)
    with pytest.raises(ClientError) as e:
        s3(srv).get_object(Bucket="big-files", Key="big.bin", Range="bytes=200000000-")
    assert code(e) == ("InvalidRange", 416)
    aws(srv, "s3", "rm", "s3://big-files/big.bin")
    aws(srv, "s3", "rb", "s3://big-files")


def test_versions_and_delete_markers(srv):
    client = s3(srv)
    client.create_bucket(Bucket="versioned")
    client.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    assert client.get_bucket_versioning(Bucket="versioned")["Status"] == "Enabled"
    v1 = client.put_object(Bucket="versioned", Key="k", Body=b"one")["VersionId"]
    v2 = client.put_object(Bucket="versioned", Key="k", Body=b"two")["VersionId"]
    assert v1 != v2
    got = client.get_object(Bucket="versioned", Key="k")
    assert got["Body"].read() == b"two" and got["VersionId"] == v2
    assert client.get_object(Bucket="versioned", Key="k", VersionId=v1)["Body"].read() == b"one"
    assert client.head_object(Bucket="versioned", Key="k", VersionId=v1)["ContentLength"] == 3
    deleted = client.delete_object(Bucket="versioned", Key="k")
    assert deleted["DeleteMarker"] is True
    with pytest.raises(ClientError) as e:
        client.get_object(Bucket="versioned", Key="k")
    assert code(e) == ("NoSuchKey", 404)
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    assert client.list_objects_v2(Bucket="versioned").get("KeyCount") == 0
    listed = client.list_object_versions(Bucket="versioned")
    assert [v["VersionId"] for v in listed["Versions"]] == [v2, v1]
    [marker] = listed["DeleteMarkers"]
    assert marker["IsLatest"] is True and marker["VersionId"] == deleted["VersionId"]
    with pytest.raises(ClientError) as e:
        client.get_object(Bucket="versioned", Key="k", VersionId="f" * 32)
    assert code(e) == ("NoSuchVersion", 404)
    # Removing the marker brings the object back.
    client.delete_object(Bucket="versioned", Key="k", VersionId=deleted["VersionId"])
    assert client.get_object(Bucket="versioned", Key="k")["Body"].read() == b"two"
    with pytest.raises(ClientError) as e:
        client.delete_bucket(Bucket="versioned")
    assert code(e) == ("BucketNotEmpty", 409)


def test_lists_copies_and_deletes(srv):
    client = s3(srv)
    client.create_bucket(Bucket="listing")
    keys = ["a/1", "a/2", "b/1", "b/2/x", "c", "d"]
    for key in keys:
        client.put_object(Bucket="listing", Key=key, Body=key.encode())
    top = client.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in top["Contents"]] == ["c", "d"]
    under_b = client.list_objects_v2(Bucket="listing", Prefix="b/", Delimiter="/")
    assert [o["Key"] for o in under_b["Contents"]] == ["b/1"]
    assert [p["Prefix"] for p in under_b["CommonPrefixes"]] == ["b/2/"]
    pages = client.get_paginator("list_objects_v2").paginate(Bucket="listing", PaginationConfig={"PageSize": 2})
    seen = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert seen == keys
    copied = client.copy_object(Bucket="listing", Key="copy-of-c", CopySource={"Bucket": "listing", "Key": "c"})
    assert copied["CopyObjectResult"]["ETag"] == client.head_object(Bucket="listing", Key="c")["ETag"]
    assert client.get_object(Bucket="listing", Key="copy-of-c")["Body"].read() == b"c"
    out = client.delete_objects(Bucket="listing", Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in out["Deleted"]) == sorted(keys)
    assert [o["Key"] for o in client.list_objects_v2(Bucket="listing")["Contents"]] == ["copy-of-c"]
    with pytest.raises(ClientError) as e:
        client.get_object(Bucket="listing", Key="c")
    assert code(e) == ("NoSuchKey", 404)
    buckets = [b["Name"] for b in client.list_buckets()["Buckets"]]
    assert "listing" in buckets


def test_presigned_get(srv):
    client = s3(srv)
    client.create_bucket(Bucket="presigned")
    client.put_object(Bucket="presigned", Key="doc.txt", Body=b"shared")
    # boto3's default in us-east-1 (Signature Version 2), and SigV4.
    v4 = s3(srv, signature_version="s3v4")
    urls = [
        client.generate_presigned_url("get_object", Params={"Bucket": "presigned", "Key": "doc.txt"}, ExpiresIn=300),
        v4.generate_presigned_url("get_object", Params={"Bucket": "presigned", "Key": "doc.txt"}, ExpiresIn=300),
    ]
    assert "Signature=" in urls[0] and "X-Amz-Signature=" in urls[1]
    for url in urls:
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.read() == b"shared"
        tampered = url.replace("doc.txt", "other.txt")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(tampered, timeout=10)
        assert e.value.code == 403


@contextlib.contextmanager
def localhost_subdomains():
    """Resolves `*.localhost` to the loopback in this process, as browsers, curl and systemd-resolved do
    (Python's resolver does not)."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    socket.getaddrinfo = resolve
    try:
        yield
    finally:
        socket.getaddrinfo = real


def test_virtual_host_addressing(srv):
    import boto3

    s3(srv).create_bucket(Bucket="virtual")
    client = boto3.client(
        "s3",
        endpoint_url=f"http://localhost:{srv.port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}),
    )
    with localhost_subdomains():
        put = client.put_object(Bucket="virtual", Key="dir/v.txt", Body=b"hosted")
        assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert client.get_object(Bucket="virtual", Key="dir/v.txt")["Body"].read() == b"hosted"
        assert [o["Key"] for o in client.list_objects_v2(Bucket="virtual")["Contents"]] == ["dir/v.txt"]
    # The same object, path-style.
    assert s3(srv).get_object(Bucket="virtual", Key="dir/v.txt")["Body"].read() == b"hosted"


def test_wrong_credentials_and_other_accounts_are_refused(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text(
        "[one]\naws_access_key_id = AKIDONE\naws_secret_access_key = secret-one\naws_account_id = 111111111111\n"
        "[two]\naws_access_key_id = AKIDTWO\naws_secret_access_key = secret-two\naws_account_id = 222222222222\n"
    )
    server = Server(tmp_path / "data", ["--credentials", str(keys)]).start()
    try:
        one = s3(server, key=("AKIDONE", "secret-one"))
        one.create_bucket(Bucket="ones")
        one.put_object(Bucket="ones", Key="k", Body=b"mine")
        with pytest.raises(ClientError) as e:
            s3(server, key=("AKIDONE", "not-the-secret")).get_object(Bucket="ones", Key="k")
        assert code(e) == ("SignatureDoesNotMatch", 403)
        assert e.value.response["Error"]["Message"] == (
            "The request signature we calculated does not match the signature you provided. Check your key and "
            "signing method."
        )
        with pytest.raises(ClientError) as e:
            s3(server, key=("AKIDNOBODY", "x")).list_buckets()
        assert code(e) == ("InvalidAccessKeyId", 403)
        two = s3(server, key=("AKIDTWO", "secret-two"))
        with pytest.raises(ClientError) as e:
            two.get_object(Bucket="ones", Key="k")
        assert code(e) == ("AccessDenied", 403)
        assert two.list_buckets()["Buckets"] == []
        with pytest.raises(ClientError) as e:
            two.create_bucket(Bucket="ones")
        assert code(e) == ("BucketAlreadyExists", 409)
        # An unsigned request to the path is the Lambda router's refusal, not an object.
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{server.endpoint}/ones/k", timeout=10)
        assert e.value.code == 403
    finally:
        server.stop()


def test_acknowledged_puts_survive_kill_9(tmp_path):
    server = Server(tmp_path / "data").start()
    try:
        client = s3(server)
        client.create_bucket(Bucket="durable")
        acknowledged = {}
        for i in range(40):
            body = os.urandom(1000 + i)
            client.put_object(Bucket="durable", Key=f"obj-{i:03}", Body=body)
            acknowledged[f"obj-{i:03}"] = body
        server.kill9()
        server.start()
        client = s3(server)
        listed = client.list_objects_v2(Bucket="durable")["Contents"]
        assert len(listed) == len(acknowledged) == 40
        for key, body in acknowledged.items():
            assert client.get_object(Bucket="durable", Key=key)["Body"].read() == body
        # Nothing half-written is left in the store.
        blobs = [p for p in (tmp_path / "data" / "s3" / "blobs").iterdir()]
        assert len(blobs) == 40 and not [p for p in blobs if p.name.startswith(".tmp-")]
    finally:
        server.stop()
