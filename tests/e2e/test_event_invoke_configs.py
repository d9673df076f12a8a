"""Asynchronous invocation settings through boto3: Put (replaces), Update (merges), Get, Delete and List per
qualifier, with AWS's shapes and errors."""

import datetime

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, create

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:failures"
TOPIC = "arn:aws:sns:us-east-1:123456789012:successes"


def error(excinfo):
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def without_metadata(out):
    return {k: v for k, v in out.items() if k != "ResponseMetadata"}


def test_put_replaces_and_update_merges(lam):
    create(lam, "async")
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    put = lam.put_function_event_invoke_config(
        FunctionName="async", MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": QUEUE}}
    )
    assert put["FunctionArn"] == f"{ARN}:async:$LATEST"
    assert put["MaximumRetryAttempts"] == 1
    assert "MaximumEventAgeInSeconds" not in put
    assert put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": QUEUE}}
    assert isinstance(put["LastModified"], datetime.datetime) and put["LastModified"] >= before
    assert without_metadata(lam.get_function_event_invoke_config(FunctionName="async")) == without_metadata(put)
    assert without_metadata(lam.get_function_event_invoke_config(FunctionName="async", Qualifier="$LATEST")) == (
        without_metadata(put)
    )

    updated = lam.update_function_event_invoke_config(
        FunctionName="async", MaximumEventAgeInSeconds=3600, DestinationConfig={"OnSuccess": {"Destination": TOPIC}}
    )
    assert updated["MaximumRetryAttempts"] == 1, "members not given stay"
    assert updated["MaximumEventAgeInSeconds"] == 3600
    assert updated["DestinationConfig"] == {"OnSuccess": {"Destination": TOPIC}, "OnFailure": {"Destination": QUEUE}}

    replaced = lam.put_function_event_invoke_config(FunctionName="async", MaximumEventAgeInSeconds=60)
    assert "MaximumRetryAttempts" not in replaced, "Put replaces every member"
    assert replaced["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}

    lam.publish_version(FunctionName="async")
    lam.create_alias(FunctionName="async", Name="live", FunctionVersion="1")
    lam.put_function_event_invoke_config(FunctionName="async", Qualifier="1", MaximumRetryAttempts=0)
    lam.put_function_event_invoke_config(FunctionName=f"{ARN}:async:live", MaximumRetryAttempts=2)
    listed = lam.list_function_event_invoke_configs(FunctionName="async")["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"] for c in listed] == [f"{ARN}:async:$LATEST", f"{ARN}:async:1", f"{ARN}:async:live"]
    first = lam.list_function_event_invoke_configs(FunctionName="async", MaxItems=2)
    assert len(first["FunctionEventInvokeConfigs"]) == 2
    rest = lam.list_function_event_invoke_configs(FunctionName="async", Marker=first["NextMarker"])
    assert [c["FunctionArn"] for c in rest["FunctionEventInvokeConfigs"]] == [f"{ARN}:async:live"]

    # An alias's settings go with it.
    lam.delete_alias(FunctionName="async", Name="live")
    with pytest.raises(ClientError) as e:
        lam.get_function_event_invoke_config(FunctionName="async", Qualifier="live")
    assert error(e) == (404, "ResourceNotFoundException", f"The function {ARN}:async:live doesn't have an EventInvokeConfig")
    deleted = lam.delete_function_event_invoke_config(FunctionName="async", Qualifier="1")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    listed = lam.list_function_event_invoke_configs(FunctionName="async")["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"] for c in listed] == [f"{ARN}:async:$LATEST"]


def test_event_invoke_config_errors(lam):
    create(lam, "asyncerr")
    create(lam, "target")
    cases = [
        (dict(), (400, "InvalidParameterValueException",
                  "You must specify at least one of error handling or destination setting.")),
        (dict(MaximumRetryAttempts=3), (400, "ValidationException", "1 validation error detected: Value '3' at "
                                        "'maximumRetryAttempts' failed to satisfy constraint: Member must have value less "
                                        "than or equal to 2")),
        (dict(MaximumEventAgeInSeconds=21601), (400, "ValidationException", "1 validation error detected: Value "
                                                 "'21601' at 'maximumEventAgeInSeconds' failed to satisfy constraint: "
                                                 "Member must have value less than or equal to 21600")),
        (dict(MaximumRetryAttempts=1, Qualifier="9"), (404, "ResourceNotFoundException", "The function doesn't exist.")),
        (dict(MaximumRetryAttempts=1, Qualifier="nope"), (404, "ResourceNotFoundException", "The function doesn't exist.")),
        (dict(DestinationConfig={"OnFailure": {"Destination": f"{ARN}:asyncerr"}}),
         (400, "InvalidParameterValueException", "You can't specify the function as a destination for itself.")),
        (dict(DestinationConfig={"OnFailure": {"Destination": f"{ARN}:missing"}}),
         (400, "InvalidParameterValueException", f"The destination ARN {ARN}:missing is invalid.")),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as e:
            lam.put_function_event_invoke_config(FunctionName="asyncerr", **kwargs)
        assert error(e) == expected, kwargs
    ok = lam.put_function_event_invoke_config(
        FunctionName="asyncerr", DestinationConfig={"OnSuccess": {"Destination": f"{ARN}:target"}}
    )
    assert ok["DestinationConfig"]["OnSuccess"] == {"Destination": f"{ARN}:target"}
    with pytest.raises(ClientError) as e:
        lam.put_function_event_invoke_config(FunctionName="nothing", MaximumRetryAttempts=1)
    assert error(e) == (404, "ResourceNotFoundException", "The function doesn't exist.")
    with pytest.raises(ClientError) as e:
        lam.update_function_event_invoke_config(FunctionName="target", MaximumRetryAttempts=1)
    assert error(e) == (404, "ResourceNotFoundException", f"The function {ARN}:target:$LATEST doesn't have an EventInvokeConfig")
    with pytest.raises(ClientError) as e:
        lam.delete_function_event_invoke_config(FunctionName="target")
    assert error(e) == (404, "ResourceNotFoundException", f"The function {ARN}:target:$LATEST doesn't have an EventInvokeConfig")
    with pytest.raises(ClientError) as e:
        lam.list_function_event_invoke_configs(FunctionName="nothing")
    assert error(e) == (404, "ResourceNotFoundException", "The function doesn't exist.")
    with pytest.raises(ClientError) as e:
        lam.list_function_event_invoke_configs(FunctionName="target", MaxItems=51)
    assert error(e)[:2] == (400, "ValidationException")
    # Deleting the function deletes its settings.
    lam.delete_function(FunctionName="asyncerr")
    create(lam, "asyncerr")
    assert lam.list_function_event_invoke_configs(FunctionName="asyncerr")["FunctionEventInvokeConfigs"] == []
