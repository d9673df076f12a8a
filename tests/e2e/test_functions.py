"""boto3 against a real `lamina serve`: every operation of the control plane and its main error cases,
checked by exception class and AWS's message text."""

import base64
import hashlib
import io
import urllib.request
import zipfile

import pytest

from conftest import ROLE, WAIT, create, make_zip, wait_updated

ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


def sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def error_of(excinfo):
    exc = getattr(excinfo, "value", excinfo)
    err = exc.response["Error"]
    return err["Code"], err["Message"]


# --- CreateFunction -------------------------------------------------------------------------------


def test_create_returns_pending_then_active(lam):
    zip_bytes = make_zip()
    out = lam.create_function(
        FunctionName="f1", Runtime="provided.al2023", Handler="bootstrap", Role=ROLE, Code={"ZipFile": zip_bytes}
    )
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert out["ResponseMetadata"]["RequestId"]
    assert out["State"] == "Pending"
    assert out["StateReasonCode"] == "Creating"
    assert "LastUpdateStatus" not in out
    assert out["Version"] == "$LATEST"
    assert out["FunctionArn"] == ARN + "f1"
    assert out["CodeSha256"] == sha(zip_bytes)
    assert out["CodeSize"] == len(zip_bytes)
    assert (out["MemorySize"], out["Timeout"], out["Architectures"]) == (128, 3, ["x86_64"])
    assert out["EphemeralStorage"] == {"Size": 512}
    lam.get_waiter("function_active_v2").wait(FunctionName="f1", WaiterConfig=WAIT)
    got = lam.get_function_configuration(FunctionName="f1")
    assert got["State"] == "Active"
    assert got["LastUpdateStatus"] == "Successful"
    assert "StateReason" not in got
    assert got["RevisionId"] != out["RevisionId"], "settling to Active is a change"
    lam.get_waiter("function_active").wait(FunctionName="f1")


def test_create_twice_conflicts(lam):
    create(lam, "dup")
    with pytest.raises(lam.exceptions.ResourceConflictException) as e:
        create(lam, "dup", wait=False)
    assert error_of(e) == ("ResourceConflictException", "Function already exist: dup")


def test_create_validation_messages(lam):
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, "bad-role", Role="r1", wait=False)
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
    )
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, "too-much", Timeout=3000, MemorySize=20000, wait=False)
    assert error_of(e) == (
        "ValidationException",
        "2 validation errors detected: Value '3000' at 'timeout' failed to satisfy constraint: Member must have value "
        "less than or equal to 900; Value '20000' at 'memorySize' failed to satisfy constraint: Member must have "
        "value less than or equal to 10240",
    )
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, "two-arch", Architectures=["x86_64", "arm64"], wait=False)
    assert error_of(e)[1] == (
        "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: "
        "Member must have length less than or equal to 1"
    )
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, "my function", wait=False)
    code, message = error_of(e)
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'my function' at 'functionName' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
    )
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, "bad name", Role="r1", wait=False)
    code, message = error_of(e)
    assert code == "ValidationException"
    assert message.startswith("2 validation errors detected: Value 'bad name' at 'functionName' failed")
    assert "; Value 'r1' at 'role' failed to satisfy constraint" in message
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "x" * 65, wait=False)
    assert error_of(e)[1] == (
        f"1 validation error detected: Value '{'x' * 65}' at 'functionName' failed to satisfy constraint: Member "
        "must have length less than or equal to 64"
    )
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, "big-tmp", EphemeralStorage={"Size": 20000}, wait=False)
    assert "at 'ephemeralStorage.size' failed to satisfy constraint" in error_of(e)[1]


def test_create_runtime_rules(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "go", Runtime="go1.x", wait=False)
    assert error_of(e)[1] == (
        "The runtime parameter of go1.x is no longer supported for creating or updating AWS Lambda functions. We "
        "recommend you use a supported runtime while creating or updating functions."
    )
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "py", Runtime="Python3.12", wait=False)
    message = error_of(e)[1]
    assert message.startswith("Value Python3.12 at 'runtime' failed to satisfy constraint: Member must satisfy enum")
    assert message.endswith("provided.al2, java8.al2] or be a valid ARN")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName="nort", Role=ROLE, Code={"ZipFile": make_zip()})
    assert error_of(e)[1] == (
        "Runtime and Handler are mandatory parameters for functions created with deployment packages."
    )


def test_create_code_sources(lam):
    # S3 sources are fetched (test_s3_code.py); with a ZipFile too they are refused before any fetch.
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "s3", Code={"ZipFile": make_zip(), "S3Bucket": "bucket", "S3Key": "key.zip"}, wait=False)
    assert error_of(e)[1] == "Please do not provide other FunctionCode parameters when providing a ZipFile."
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName="nocode", Role=ROLE, Runtime="provided.al2023", Handler="bootstrap", Code={})
    assert error_of(e)[1] == "Please provide a source for function code."
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName="image", Role=ROLE, PackageType="Image", Code={"ImageUri": "x:latest"})
    assert "PackageType Image" in error_of(e)[1]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(
            FunctionName="image2",
            Role=ROLE,
            PackageType="Image",
            Runtime="provided.al2023",
            Handler="bootstrap",
            Code={"ImageUri": "x:latest"},
        )
    assert error_of(e)[1] == (
        "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image."
    )
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "nozip", zip_bytes=b"this is not a zip", wait=False)
    assert error_of(e)[1] == "Could not unzip uploaded file. Please check your file, then try to upload again."


def test_create_environment_rules(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "env-big", Environment={"Variables": {"LARGE_VAR": "x" * 4081}}, wait=False)
    assert error_of(e)[1].startswith(
        "Lambda was unable to configure your environment variables because the environment variables you have "
        'provided exceeded the 4KB limit. String measured: {"LARGE_VAR":"xxxx'
    )
    out = create(lam, "env-exact", Environment={"Variables": {"LARGE_VAR": "x" * 4080}}, wait=False)
    assert len(out["Environment"]["Variables"]["LARGE_VAR"]) == 4080
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "env-reserved", Environment={"Variables": {"AWS_REGION": "x"}}, wait=False)
    assert error_of(e)[1].endswith("Reserved keys used in this request: AWS_REGION")


def test_zip_over_50_mb_is_413(lam):
    big = b"\0" * (52_428_800 + 1)
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, "huge", zip_bytes=big, wait=False)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error_of(e) == ("RequestEntityTooLargeException", "Zipped size must be smaller than 52428800 bytes")


def test_request_over_70_167_211_bytes_is_413(lam):
    """A 53 MB zip makes a body over AWS's request limit, which is checked (and named) first."""
    big = b"\0" * 53_000_000
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, "huger", zip_bytes=big, wait=False)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error_of(e) == (
        "RequestEntityTooLargeException",
        "Request must be smaller than 70167211 bytes for the CreateFunction operation",
    )
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.update_function_code(FunctionName="whatever", ZipFile=big)
    assert error_of(e)[1] == "Request must be smaller than 70167211 bytes for the UpdateFunctionCode operation"


def test_unzipped_size_limit(lam):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        z.writestr(info, "#!/bin/sh\n")
        z.writestr("padding.bin", b"\0" * 262_144_000)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "bomb", zip_bytes=buf.getvalue(), wait=False)
    assert error_of(e)[1] == "Unzipped size must be smaller than 262144000 bytes"


# --- Reads ----------------------------------------------------------------------------------------


def test_get_function_and_code_location(lam):
    zip_bytes = make_zip({"bootstrap": "#!/bin/sh\necho download-me\n"})
    create(lam, "dl", zip_bytes=zip_bytes, Tags={"team": "a"})
    out = lam.get_function(FunctionName="dl")
    assert out["Configuration"]["FunctionName"] == "dl"
    assert out["Configuration"]["FunctionArn"] == ARN + "dl"
    assert out["Code"]["RepositoryType"] == "S3"
    assert out["Tags"] == {"team": "a"}
    with urllib.request.urlopen(out["Code"]["Location"]) as r:
        assert r.read() == zip_bytes
    by_arn = lam.get_function(FunctionName=ARN + "dl")
    assert by_arn["Configuration"]["CodeSha256"] == sha(zip_bytes)
    latest = lam.get_function_configuration(FunctionName="dl", Qualifier="$LATEST")
    assert latest["FunctionArn"] == ARN + "dl:$LATEST"


def test_not_found_messages(lam):
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function(FunctionName="nope")
    assert error_of(e)[1] == f"Function not found: {ARN}nope"
    create(lam, "there")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function_configuration(FunctionName="there", Qualifier="1221")
    assert error_of(e)[1] == f"Function not found: {ARN}there:1221"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.get_function(FunctionName="there:1", Qualifier="2")
    assert error_of(e)[1] == "The derived qualifier from the function name does not match the specified qualifier."


def test_region_comes_from_the_signature(server, lam):
    west = server.client(region="eu-west-1")
    out = create(west, "regional")
    assert out["FunctionArn"] == "arn:aws:lambda:eu-west-1:000000000000:function:regional"
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == []
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function(FunctionName="arn:aws:lambda:eu-west-1:000000000000:function:regional")
    assert error_of(e)[1] == "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"


def test_list_functions_pages(lam):
    for i in range(5):
        create(lam, f"page{i}", wait=False)
    first = lam.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in first["Functions"]] == ["page0", "page1"]
    assert "State" not in first["Functions"][0]
    assert "RuntimeVersionConfig" not in first["Functions"][0]
    second = lam.list_functions(MaxItems=2, Marker=first["NextMarker"])
    assert [f["FunctionName"] for f in second["Functions"]] == ["page2", "page3"]
    names = [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate() for f in p["Functions"]]
    assert names == [f"page{i}" for i in range(5)]
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.list_functions(FunctionVersion="invalid")
    assert error_of(e)[1] == (
        "1 validation error detected: Value 'invalid' at 'functionVersion' failed to satisfy constraint: Member must "
        "satisfy enum value set: [ALL]"
    )


# --- Updates --------------------------------------------------------------------------------------


def test_update_code(lam):
    first = create(lam, "upd")
    new_zip = make_zip({"bootstrap": "#!/bin/sh\necho v2\n"})
    out = lam.update_function_code(FunctionName="upd", ZipFile=new_zip)
    assert out["LastUpdateStatus"] == "InProgress"
    assert out["CodeSha256"] == sha(new_zip)
    assert out["RevisionId"] != first["RevisionId"]
    wait_updated(lam, "upd")
    got = lam.get_function_configuration(FunctionName="upd")
    assert got["LastUpdateStatus"] == "Successful"
    assert got["CodeSha256"] == sha(new_zip)
    assert got["CodeSize"] == len(new_zip)


def test_update_code_revision_and_dry_run_and_arch(lam):
    create(lam, "rev")
    current = lam.get_function_configuration(FunctionName="rev")
    with pytest.raises(lam.exceptions.PreconditionFailedException) as e:
        lam.update_function_code(FunctionName="rev", ZipFile=make_zip(), RevisionId="stale")
    assert error_of(e)[1] == (
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
        "retrieve the latest Revision Id"
    )
    dry_zip = make_zip({"bootstrap": "#!/bin/sh\necho dry\n"})
    dry = lam.update_function_code(FunctionName="rev", ZipFile=dry_zip, DryRun=True)
    assert dry["CodeSha256"] == sha(dry_zip)
    assert lam.get_function_configuration(FunctionName="rev")["CodeSha256"] == current["CodeSha256"]
    out = lam.update_function_code(
        FunctionName="rev", ZipFile=make_zip(), RevisionId=current["RevisionId"], Architectures=["arm64"]
    )
    assert out["Architectures"] == ["arm64"]
    wait_updated(lam, "rev")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.update_function_code(FunctionName="rev", ZipFile=make_zip(), S3Bucket="bucket", S3Key="key.zip")
    assert error_of(e)[1] == "Please do not provide other FunctionCode parameters when providing a ZipFile."


def test_update_configuration(lam):
    create(lam, "cfg")
    out = lam.update_function_configuration(
        FunctionName="cfg",
        Timeout=30,
        MemorySize=512,
        Description="hello",
        Handler="main",
        Runtime="provided.al2",
        Environment={"Variables": {"AA": "1", "BB": "2"}},
        EphemeralStorage={"Size": 1024},
        Role="arn:aws:iam::111122223333:role/other",
    )
    assert out["LastUpdateStatus"] == "InProgress"
    wait_updated(lam, "cfg")
    got = lam.get_function_configuration(FunctionName="cfg")
    assert (got["Timeout"], got["MemorySize"], got["Description"], got["Handler"]) == (30, 512, "hello", "main")
    assert got["Runtime"] == "provided.al2"
    assert got["Environment"] == {"Variables": {"AA": "1", "BB": "2"}}
    assert got["EphemeralStorage"] == {"Size": 1024}
    assert got["Role"] == "arn:aws:iam::111122223333:role/other"
    lam.update_function_configuration(FunctionName="cfg", Environment={"Variables": {"CC": "3"}})
    wait_updated(lam, "cfg")
    assert lam.get_function_configuration(FunctionName="cfg")["Environment"] == {"Variables": {"CC": "3"}}
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.update_function_configuration(FunctionName="cfg", Environment={"Variables": {"A": "secret"}})
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must "
        "satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]",
    )
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.update_function_configuration(FunctionName="cfg", Runtime="go1.x")
    assert "go1.x is no longer supported" in error_of(e)[1]
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.update_function_configuration(FunctionName="cfg", Timeout=901)
    assert error_of(e)[0] == "ValidationException"


# --- Versions -------------------------------------------------------------------------------------


def test_publish_and_list_versions(lam):
    created = create(lam, "ver")
    v1 = lam.publish_version(FunctionName="ver", Description="first")
    assert v1["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert v1["Version"] == "1"
    assert v1["FunctionArn"] == ARN + "ver:1"
    assert v1["Description"] == "first"
    again = lam.publish_version(FunctionName="ver")
    assert again["Version"] == "1", "an unchanged $LATEST publishes no new version"
    new_zip = make_zip({"bootstrap": "#!/bin/sh\necho v2\n"})
    lam.update_function_code(FunctionName="ver", ZipFile=new_zip)
    wait_updated(lam, "ver")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.publish_version(FunctionName="ver", CodeSha256=created["CodeSha256"])
    assert error_of(e)[1] == (
        f"CodeSHA256 ({created['CodeSha256']}) is different from current CodeSHA256 in $LATEST ({sha(new_zip)}). "
        "Please try again with the CodeSHA256 in $LATEST."
    )
    v2 = lam.publish_version(FunctionName="ver", CodeSha256=sha(new_zip))
    assert v2["Version"] == "2"
    versions = lam.list_versions_by_function(FunctionName="ver")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    assert versions[0]["FunctionArn"] == ARN + "ver:$LATEST"
    assert versions[1]["CodeSha256"] == created["CodeSha256"], "versions are immutable snapshots"
    assert versions[2]["CodeSha256"] == sha(new_zip)
    page = lam.list_versions_by_function(FunctionName="ver", MaxItems=2)
    assert [v["Version"] for v in page["Versions"]] == ["$LATEST", "1"]
    rest = lam.list_versions_by_function(FunctionName="ver", Marker=page["NextMarker"])
    assert [v["Version"] for v in rest["Versions"]] == ["2"]
    one = lam.get_function(FunctionName="ver", Qualifier="1")
    assert one["Configuration"]["Version"] == "1"
    assert one["Configuration"]["FunctionArn"] == ARN + "ver:1"
    lam.get_waiter("published_version_active").wait(FunctionName="ver", Qualifier="2", WaiterConfig=WAIT)
    all_versions = lam.list_functions(FunctionVersion="ALL")["Functions"]
    assert [f["Version"] for f in all_versions] == ["$LATEST", "1", "2"]


def test_publish_with_create_and_update(lam):
    out = create(lam, "pub", Publish=True, wait=False)
    assert out["Version"] == "1"
    assert out["FunctionArn"] == ARN + "pub"
    lam.get_waiter("function_active_v2").wait(FunctionName="pub", WaiterConfig=WAIT)
    upd = lam.update_function_code(FunctionName="pub", ZipFile=make_zip({"bootstrap": "#!/bin/sh\n#2\n"}), Publish=True)
    assert upd["Version"] == "2"
    assert upd["FunctionArn"] == ARN + "pub:2"
    wait_updated(lam, "pub")
    lam.get_waiter("published_version_active").wait(FunctionName="pub", Qualifier="2", WaiterConfig=WAIT)


def test_delete_function_and_versions(lam):
    create(lam, "del")
    lam.publish_version(FunctionName="del")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.delete_function(FunctionName="del", Qualifier="$LATEST")
    assert error_of(e)[1] == "$LATEST version cannot be deleted without deleting the function."
    out = lam.delete_function(FunctionName="del", Qualifier="1")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="del", Qualifier="1")
    assert lam.delete_function(FunctionName="del")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.delete_function(FunctionName="del")
    assert error_of(e)[1] == f"Function not found: {ARN}del"
    # Version numbers restart for a new function of the same name.
    create(lam, "del")
    assert lam.publish_version(FunctionName="del")["Version"] == "1"


# --- Concurrency, account, tags -------------------------------------------------------------------


def test_concurrency(lam):
    create(lam, "conc")
    assert lam.get_function_concurrency(FunctionName="conc").get("ReservedConcurrentExecutions") is None
    out = lam.put_function_concurrency(FunctionName="conc", ReservedConcurrentExecutions=10)
    assert out["ReservedConcurrentExecutions"] == 10
    assert lam.get_function_concurrency(FunctionName="conc")["ReservedConcurrentExecutions"] == 10
    assert lam.get_function(FunctionName="conc")["Concurrency"] == {"ReservedConcurrentExecutions": 10}
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 990
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.put_function_concurrency(FunctionName="conc", ReservedConcurrentExecutions=901)
    assert error_of(e)[1] == (
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [100]."
    )
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.put_function_concurrency(FunctionName="conc:1", ReservedConcurrentExecutions=1)
    assert error_of(e)[1].startswith("This operation is permitted on Lambda functions only.")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_function_concurrency(FunctionName="ghost", ReservedConcurrentExecutions=1)
    assert lam.delete_function_concurrency(FunctionName="conc")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="conc")


def test_account_settings(lam):
    empty = lam.get_account_settings()
    assert empty["AccountLimit"] == {
        "TotalCodeSize": 80530636800,
        "CodeSizeUnzipped": 262144000,
        "CodeSizeZipped": 52428800,
        "ConcurrentExecutions": 1000,
        "UnreservedConcurrentExecutions": 1000,
    }
    assert empty["AccountUsage"] == {"TotalCodeSize": 0, "FunctionCount": 0}
    zip_bytes = make_zip()
    create(lam, "acct", zip_bytes=zip_bytes)
    usage = lam.get_account_settings()["AccountUsage"]
    assert usage == {"TotalCodeSize": len(zip_bytes), "FunctionCount": 1}


def test_tags(lam):
    create(lam, "tagged", Tags={"a": "1"})
    arn = ARN + "tagged"
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1"}
    assert lam.tag_resource(Resource=arn, Tags={"b": "2"})["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1", "b": "2"}
    lam.untag_resource(Resource=arn, TagKeys=["a", "zzz"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.tag_resource(Resource=arn + ":1", Tags={"c": "3"})
    assert error_of(e)[1] == "Tags on function aliases and versions are not supported. Please specify a function ARN."
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert error_of(e)[1] == "Number of tags exceeds resource tag limit."
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.list_tags(Resource=ARN + "ghost")
    assert error_of(e)[1] == f"Function not found: {ARN}ghost"
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.list_tags(Resource="not-an-arn")
    assert error_of(e)[0] == "ValidationException"
    assert "at 'resource' failed to satisfy constraint" in error_of(e)[1]


def test_unsupported_operation_is_not_retried(server):
    lam = server.client()
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.get_function_scaling_config(FunctionName="f", Qualifier="1")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert error_of(e) == (
        "UnsupportedOperationException",
        "lamina does not implement the Lambda operation GetFunctionScalingConfig "
        "(GET /2025-11-30/functions/f/function-scaling-config) yet",
    )


# --- Lint -----------------------------------------------------------------------------------------


def test_lint_warns_in_header(server, lam):
    out = create(lam, "nobootstrap", zip_bytes=make_zip({"main": "#!/bin/sh\n"}), wait=False)
    warnings = out["ResponseMetadata"]["HTTPHeaders"].get("x-lamina-warnings", "")
    assert "bootstrap" in warnings
    assert "bootstrap" in server.log()
    clean = create(lam, "clean")
    assert "x-lamina-warnings" not in clean["ResponseMetadata"]["HTTPHeaders"]
    noexec = lam.update_function_code(FunctionName="clean", ZipFile=make_zip(mode=0o644))
    assert "x-lamina-warnings" in noexec["ResponseMetadata"]["HTTPHeaders"]


def test_strict_packages_refuses(strict_server):
    lam = strict_server.client()
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "nobootstrap", zip_bytes=make_zip({"main": "#!/bin/sh\n"}), wait=False)
    assert "bootstrap" in error_of(e)[1]
    create(lam, "fine")


def test_name_forms_and_foreign_account(lam):
    create(lam, "forms")
    lam.get_waiter("function_exists").wait(FunctionName="forms")
    for name in ["forms", "000000000000:function:forms", ARN + "forms", "us-east-1:000000000000:function:forms"]:
        assert lam.get_function_configuration(FunctionName=name)["FunctionName"] == "forms"
    assert lam.get_function_configuration(FunctionName="forms:$LATEST")["FunctionArn"] == ARN + "forms:$LATEST"
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.get_function(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:forms")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error_of(e)[0] == "AccessDeniedException"
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.get_function(FunctionName="forms", Qualifier="q" * 129)
    assert error_of(e)[1] == (
        f"1 validation error detected: Value '{'q' * 129}' at 'qualifier' failed to satisfy constraint: Member must "
        "have length less than or equal to 128"
    )
