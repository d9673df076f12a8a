"""Function URL configurations through boto3: Create, Get, Update, Delete and List, one per function and per
alias (never a version), with AWS's shapes and errors. The URL is made on lamina's public endpoint."""

import re

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, create

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"
URL = re.compile(r"^http://([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:(\d+)/$")


def error(excinfo):
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_url_config_lifecycle(server, lam):
    create(lam, "web")
    created = lam.create_function_url_config(FunctionName="web", AuthType="NONE")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    found = URL.match(created["FunctionUrl"])
    assert found, created["FunctionUrl"]
    assert int(found.group(2)) == server.port, "the URL is on lamina's endpoint"
    assert created["FunctionArn"] == f"{ARN}:web"
    assert created["AuthType"] == "NONE"
    assert "Cors" not in created and "InvokeMode" not in created and "LastModifiedTime" not in created
    got = lam.get_function_url_config(FunctionName="web")
    assert got["FunctionUrl"] == created["FunctionUrl"]
    assert got["InvokeMode"] == "BUFFERED"
    assert got["CreationTime"] == created["CreationTime"] == got["LastModifiedTime"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", got["CreationTime"]), got["CreationTime"]

    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET", "POST"], "MaxAge": 300}
    updated = lam.update_function_url_config(FunctionName="web", AuthType="AWS_IAM", Cors=cors, InvokeMode="RESPONSE_STREAM")
    assert updated["AuthType"] == "AWS_IAM"
    assert updated["Cors"] == cors
    assert updated["InvokeMode"] == "RESPONSE_STREAM"
    assert updated["FunctionUrl"] == created["FunctionUrl"], "the URL stays"
    kept = lam.update_function_url_config(FunctionName="web", AuthType="NONE")
    assert kept["Cors"] == cors and kept["InvokeMode"] == "RESPONSE_STREAM"

    lam.publish_version(FunctionName="web")
    lam.create_alias(FunctionName="web", Name="live", FunctionVersion="1")
    on_alias = lam.create_function_url_config(FunctionName="web", Qualifier="live", AuthType="NONE", InvokeMode="BUFFERED")
    assert on_alias["FunctionArn"] == f"{ARN}:web:live"
    assert on_alias["InvokeMode"] == "BUFFERED"
    assert on_alias["FunctionUrl"] != created["FunctionUrl"]
    listed = lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]
    assert [c["FunctionArn"] for c in listed] == [f"{ARN}:web", f"{ARN}:web:live"]
    assert all("LastModifiedTime" in c and "InvokeMode" in c for c in listed)
    page = lam.list_function_url_configs(FunctionName="web", MaxItems=1)
    assert len(page["FunctionUrlConfigs"]) == 1 and "NextMarker" in page

    # An alias's URL goes with the alias.
    lam.delete_alias(FunctionName="web", Name="live")
    with pytest.raises(ClientError) as e:
        lam.get_function_url_config(FunctionName="web", Qualifier="live")
    assert error(e) == (404, "ResourceNotFoundException", "The resource you requested does not exist.")
    assert lam.delete_function_url_config(FunctionName="web")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.get_function_url_config(FunctionName="web")
    assert error(e) == (404, "ResourceNotFoundException", "The resource you requested does not exist.")
    assert lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"] == []


def test_url_config_errors(lam):
    create(lam, "weberr")
    lam.create_function_url_config(FunctionName="weberr", AuthType="NONE")
    with pytest.raises(ClientError) as e:
        lam.create_function_url_config(FunctionName="weberr", AuthType="NONE")
    assert error(e) == (
        409,
        "ResourceConflictException",
        f"Failed to create function url config for [functionArn = {ARN}:weberr]. Error message:  FunctionUrlConfig "
        "exists for this Lambda function",
    )
    for qualifier in ["1", "$LATEST"]:
        with pytest.raises(ClientError) as e:
            lam.create_function_url_config(FunctionName="weberr", Qualifier=qualifier, AuthType="NONE")
        assert error(e) == (
            400,
            "ValidationException",
            f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to satisfy constraint: Member must "
            r"satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)",
        )
    with pytest.raises(ClientError) as e:
        lam.create_function_url_config(FunctionName="weberr", AuthType="OPEN")
    assert error(e) == (
        400,
        "ValidationException",
        "1 validation error detected: Value 'OPEN' at 'authType' failed to satisfy constraint: Member must satisfy "
        "enum value set: [NONE, AWS_IAM]",
    )
    with pytest.raises(ClientError) as e:
        lam.create_function_url_config(FunctionName="weberr", AuthType="NONE", Cors={"MaxAge": 86401})
    assert error(e)[:2] == (400, "ValidationException")
    for kwargs in [dict(FunctionName="nothing"), dict(FunctionName="weberr", Qualifier="nope")]:
        with pytest.raises(ClientError) as e:
            lam.create_function_url_config(AuthType="NONE", **kwargs)
        assert error(e) == (404, "ResourceNotFoundException", "Function does not exist"), kwargs
        with pytest.raises(ClientError) as e:
            lam.update_function_url_config(AuthType="NONE", **kwargs)
        assert error(e) == (404, "ResourceNotFoundException", "Function does not exist"), kwargs
    with pytest.raises(ClientError) as e:
        lam.list_function_url_configs(FunctionName="nothing")
    assert error(e) == (404, "ResourceNotFoundException", "Function does not exist")
    with pytest.raises(ClientError) as e:
        lam.delete_function_url_config(FunctionName="nothing")
    assert error(e) == (404, "ResourceNotFoundException", "The resource you requested does not exist.")
