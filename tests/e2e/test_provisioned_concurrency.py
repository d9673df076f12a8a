"""Provisioned concurrency through boto3: Put (202, IN_PROGRESS then READY), Get, Delete and List on versions
and aliases, with AWS's errors; invokes that use the provisioned environments have no cold start (no
`Init Duration` in their REPORT line); a failing init is FAILED; configurations survive a restart."""

import base64
import concurrent.futures

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, create, wait_for

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"


def error(excinfo):
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def status(lam, name, qualifier):
    return lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)


def wait_status(lam, name, qualifier, wanted):
    return wait_for(
        lambda: (out := status(lam, name, qualifier))["Status"] == wanted and out,
        60,
        f"{name}:{qualifier} {wanted}",
    )


def report_line(out):
    tail = base64.b64decode(out["LogResult"]).decode()
    reports = [line for line in tail.splitlines() if line.startswith("REPORT RequestId:")]
    assert len(reports) == 1, tail
    return reports[0]


def test_errors(server, lam, go_zip):
    create(lam, "pc", go_zip("echo"))
    lam.publish_version(FunctionName="pc")
    lam.create_alias(FunctionName="pc", Name="live", FunctionVersion="1")
    lam.create_alias(FunctionName="pc", Name="head", FunctionVersion="$LATEST")

    unpublished = (
        400,
        "InvalidParameterValueException",
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
    )
    for qualifier in ["$LATEST", "head"]:
        with pytest.raises(ClientError) as e:
            lam.put_provisioned_concurrency_config(
                FunctionName="pc", Qualifier=qualifier, ProvisionedConcurrentExecutions=1
            )
        assert error(e) == unpublished
    for call in [lam.get_provisioned_concurrency_config, lam.delete_provisioned_concurrency_config]:
        with pytest.raises(ClientError) as e:
            call(FunctionName="pc", Qualifier="$LATEST")
        assert error(e) == (
            400,
            "InvalidParameterValueException",
            "The function resource provided must be an alias or a published version.",
        )

    unchecked = server.client(parameter_validation=False)
    with pytest.raises(ClientError) as e:
        unchecked.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="1", ProvisionedConcurrentExecutions=0)
    assert error(e) == (
        400,
        "ValidationException",
        "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    )

    with pytest.raises(ClientError) as e:
        lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="7", ProvisionedConcurrentExecutions=1)
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:pc:7")
    with pytest.raises(ClientError) as e:
        lam.get_provisioned_concurrency_config(FunctionName="pc", Qualifier="gone")
    assert error(e) == (404, "ResourceNotFoundException", f"Cannot find alias arn: {ARN}:pc:gone")
    with pytest.raises(ClientError) as e:
        lam.get_provisioned_concurrency_config(FunctionName="pc", Qualifier="1")
    assert error(e) == (
        404,
        "ProvisionedConcurrencyConfigNotFoundException",
        "No Provisioned Concurrency Config found for this function",
    )
    with pytest.raises(ClientError) as e:
        lam.list_provisioned_concurrency_configs(FunctionName="nope")
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:nope")
    # Deleting what is not there succeeds.
    deleted = lam.delete_provisioned_concurrency_config(FunctionName="pc", Qualifier="1")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204

    # Past the account's unreserved concurrency (1,000, of which 100 stay unreserved).
    with pytest.raises(ClientError) as e:
        lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="1", ProvisionedConcurrentExecutions=901)
    assert error(e) == (
        400,
        "InvalidParameterValueException",
        "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its "
        "minimum value of [100].",
    )

    # An alias and the version it points to cannot both have provisioned concurrency.
    lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="1", ProvisionedConcurrentExecutions=1)
    with pytest.raises(ClientError) as e:
        lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="live", ProvisionedConcurrentExecutions=1)
    assert error(e) == (
        409,
        "ResourceConflictException",
        "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
    )
    lam.delete_provisioned_concurrency_config(FunctionName="pc", Qualifier="1")
    lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="live", ProvisionedConcurrentExecutions=1)
    with pytest.raises(ClientError) as e:
        lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="1", ProvisionedConcurrentExecutions=1)
    assert error(e) == (409, "ResourceConflictException", "Version is pointed by a Provisioned Concurrency alias")

    # Within the function's reserved concurrency.
    lam.put_function_concurrency(FunctionName="pc", ReservedConcurrentExecutions=2)
    with pytest.raises(ClientError) as e:
        lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="live", ProvisionedConcurrentExecutions=3)
    assert error(e) == (
        400,
        "InvalidParameterValueException",
        "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function",
    )

    # Deleting the alias deletes its configuration.
    lam.delete_alias(FunctionName="pc", Name="live")
    assert lam.list_provisioned_concurrency_configs(FunctionName="pc")["ProvisionedConcurrencyConfigs"] == []


def test_ready_then_no_cold_start_for_the_first_n_concurrent_invokes(server, go_zip):
    lam = server.client(max_pool_connections=8, read_timeout=120)
    create(lam, "warm", go_zip("sleep"))
    lam.publish_version(FunctionName="warm")
    lam.create_alias(FunctionName="warm", Name="live", FunctionVersion="1")
    before = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]

    put = lam.put_provisioned_concurrency_config(FunctionName="warm", Qualifier="live", ProvisionedConcurrentExecutions=3)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["Status"] == "IN_PROGRESS"
    assert put["RequestedProvisionedConcurrentExecutions"] == 3
    assert put["AllocatedProvisionedConcurrentExecutions"] == 0
    assert put["AvailableProvisionedConcurrentExecutions"] == 0
    assert put["LastModified"]

    ready = wait_status(lam, "warm", "live", "READY")
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 3
    assert ready["AvailableProvisionedConcurrentExecutions"] == 3
    assert ready["LastModified"] == put["LastModified"]
    assert "StatusReason" not in ready
    listed = lam.list_provisioned_concurrency_configs(FunctionName="warm")["ProvisionedConcurrencyConfigs"]
    assert [(c["FunctionArn"], c["Status"]) for c in listed] == [(f"{ARN}:warm:live", "READY")]
    after = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    assert after == before - 3, "provisioned concurrency comes out of the unreserved concurrency"

    def invoke(_):
        return lam.invoke(FunctionName="warm", Qualifier="live", Payload=b'{"ms": 1000}', LogType="Tail")

    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(invoke, range(3)))
    for out in results:
        assert out["Payload"].read() == b'"slept"'
        assert out["ExecutedVersion"] == "1"
        assert "Init Duration" not in report_line(out)

    # An environment started on demand reports its init: the check above can fail.
    cold = lam.invoke(FunctionName="warm", Payload=b'{"ms": 1}', LogType="Tail")
    assert "Init Duration" in report_line(cold)

    # Restored at start.
    server.restart()
    lam = server.client(read_timeout=120)
    wait_status(lam, "warm", "live", "READY")
    out = lam.invoke(FunctionName="warm", Qualifier="live", Payload=b'{"ms": 1}', LogType="Tail")
    assert "Init Duration" not in report_line(out)

    # Deleting the configuration releases the environments: the next invoke starts one.
    lam.delete_provisioned_concurrency_config(FunctionName="warm", Qualifier="live")
    assert lam.list_provisioned_concurrency_configs(FunctionName="warm")["ProvisionedConcurrencyConfigs"] == []
    out = lam.invoke(FunctionName="warm", Qualifier="live", Payload=b'{"ms": 1}', LogType="Tail")
    assert "Init Duration" in report_line(out)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == before


def test_an_init_that_fails_is_failed(lam, go_zip):
    create(lam, "broken", go_zip("hostile"), Environment={"Variables": {"HOSTILE_INIT_EXIT": "3"}})
    lam.publish_version(FunctionName="broken")
    lam.put_provisioned_concurrency_config(FunctionName="broken", Qualifier="1", ProvisionedConcurrentExecutions=1)
    failed = wait_status(lam, "broken", "1", "FAILED")
    assert failed["StatusReason"] == "FUNCTION_ERROR_INIT_FAILURE"
    assert failed["AllocatedProvisionedConcurrentExecutions"] == 0
    # Deleting the version deletes its configuration.
    lam.delete_function(FunctionName="broken", Qualifier="1")
    assert lam.list_provisioned_concurrency_configs(FunctionName="broken")["ProvisionedConcurrencyConfigs"] == []
