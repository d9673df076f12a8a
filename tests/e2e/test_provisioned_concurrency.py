"""Provisioned concurrency through boto3: Put (202, IN_PROGRESS then READY), Get, Delete and List on versions
and aliases, with AWS's errors; invokes that use the provisioned environments have no cold start (no
`Init Duration` in their REPORT line); a failing init is FAILED; configurations survive a restart; a
weighted alias's environments are spread over its two versions by the weight and move with it; Available
leaves out the environments running an invocation; reserved concurrency holds the provisioned concurrency."""

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


def two_versions(lam, name, code):
    """A function `name` with versions 1 and 2 (from a change of its description) and an alias `live` on 1."""
    create(lam, name, code)
    for n in (1, 2):
        lam.update_function_configuration(FunctionName=name, Description=f"v{n}")
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        assert lam.publish_version(FunctionName=name)["Version"] == str(n)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")


def wait_allocated(lam, name, qualifier, allocated):
    return wait_for(
        lambda: (out := status(lam, name, qualifier))["Status"] == "READY"
        and out["AllocatedProvisionedConcurrentExecutions"] == allocated
        and out,
        60,
        f"{name}:{qualifier} READY with {allocated} allocated",
    )


def all_warm_at_once(lam, name, per_version, ms):
    """Invokes each version directly, as many times at once as `per_version` says, and checks that every
    invoke ran in a provisioned environment (no `Init Duration`); answers the REPORT lines."""
    calls = [version for version, count in per_version.items() for _ in range(count)]

    def invoke(version):
        out = lam.invoke(FunctionName=name, Qualifier=version, Payload=b'{"ms": %d}' % ms, LogType="Tail")
        assert out["Payload"].read() == b'"slept"'
        return version, report_line(out)

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
        results = list(pool.map(invoke, calls))
    cold = [(version, line) for version, line in results if "Init Duration" in line]
    assert cold == [], f"cold starts beyond the provisioned environments: {cold}"


def test_a_weighted_alias_spreads_its_provisioned_concurrency_by_the_weights(server, go_zip):
    lam = server.client(max_pool_connections=12, read_timeout=120)
    two_versions(lam, "split", go_zip("sleep"))
    lam.put_provisioned_concurrency_config(FunctionName="split", Qualifier="live", ProvisionedConcurrentExecutions=10)
    wait_allocated(lam, "split", "live", 10)

    # 70/30: version 1 keeps 7 environments, version 2 gets 3.
    lam.update_alias(FunctionName="split", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
    ready = wait_allocated(lam, "split", "live", 10)
    assert ready["RequestedProvisionedConcurrentExecutions"] == 10
    assert ready["AvailableProvisionedConcurrentExecutions"] == 10
    # Exactly 7 + 3: 7 at once on version 1 and 3 on version 2 are all warm (had version 2 fewer, or
    # version 1 fewer, one of them would start an environment of its own).
    all_warm_at_once(lam, "split", {"1": 7, "2": 3}, 1)

    # Invokes through the alias go to either version by the weights, each into its provisioned environments.
    seen = {}
    for _ in range(60):
        out = lam.invoke(FunctionName="split", Qualifier="live", Payload=b'{"ms": 1}', LogType="Tail")
        assert "Init Duration" not in report_line(out)
        seen[out["ExecutedVersion"]] = seen.get(out["ExecutedVersion"], 0) + 1
        if len(seen) == 2:
            break
    assert set(seen) == {"1", "2"}, seen

    # While all ten run an invocation they stay allocated, and none is available.
    def busy():
        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
            calls = ["1"] * 7 + ["2"] * 3
            futures = [
                pool.submit(lam.invoke, FunctionName="split", Qualifier=v, Payload=b'{"ms": 2000}') for v in calls
            ]
            during = wait_for(
                lambda: (out := status(lam, "split", "live"))["AvailableProvisionedConcurrentExecutions"] == 0 and out,
                10,
                "no provisioned environment available",
            )
            for f in futures:
                f.result()
        return during

    during = busy()
    assert during["AllocatedProvisionedConcurrentExecutions"] == 10
    assert during["Status"] == "READY"
    assert status(lam, "split", "live")["AvailableProvisionedConcurrentExecutions"] == 10

    # Moving the weights moves the environments: 50/50 is 5 + 5.
    lam.update_alias(FunctionName="split", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    wait_allocated(lam, "split", "live", 10)
    all_warm_at_once(lam, "split", {"1": 5, "2": 5}, 1)
    # Version 1 has no more than 5: a sixth invoke at once starts an environment of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        reports = list(
            pool.map(
                lambda _: report_line(
                    lam.invoke(FunctionName="split", Qualifier="1", Payload=b'{"ms": 1000}', LogType="Tail")
                ),
                range(6),
            )
        )
    assert sum("Init Duration" in line for line in reports) == 1, reports

    # Removing the routing gives all ten back to version 1.
    lam.update_alias(FunctionName="split", Name="live", RoutingConfig={"AdditionalVersionWeights": {}})
    wait_allocated(lam, "split", "live", 10)
    out = lam.invoke(FunctionName="split", Qualifier="2", Payload=b'{"ms": 1}', LogType="Tail")
    assert "Init Duration" in report_line(out), "version 2's provisioned environments were released"


def test_a_weighted_alias_and_the_provisioned_versions_it_routes_to(lam, go_zip):
    two_versions(lam, "routed", go_zip("echo"))
    lam.update_alias(FunctionName="routed", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    lam.put_provisioned_concurrency_config(FunctionName="routed", Qualifier="2", ProvisionedConcurrentExecutions=1)
    with pytest.raises(ClientError) as e:
        lam.put_provisioned_concurrency_config(FunctionName="routed", Qualifier="live", ProvisionedConcurrentExecutions=2)
    assert error(e) == (
        409,
        "ResourceConflictException",
        "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
    )
    lam.delete_provisioned_concurrency_config(FunctionName="routed", Qualifier="2")
    lam.put_provisioned_concurrency_config(FunctionName="routed", Qualifier="live", ProvisionedConcurrentExecutions=2)
    with pytest.raises(ClientError) as e:
        lam.put_provisioned_concurrency_config(FunctionName="routed", Qualifier="2", ProvisionedConcurrentExecutions=1)
    assert error(e) == (409, "ResourceConflictException", "Version is pointed by a Provisioned Concurrency alias")


def test_reserved_concurrency_cannot_fall_below_the_provisioned_concurrency(lam, go_zip):
    two_versions(lam, "held", go_zip("echo"))
    lam.put_provisioned_concurrency_config(FunctionName="held", Qualifier="1", ProvisionedConcurrentExecutions=2)
    lam.put_provisioned_concurrency_config(FunctionName="held", Qualifier="2", ProvisionedConcurrentExecutions=1)
    with pytest.raises(ClientError) as e:
        lam.put_function_concurrency(FunctionName="held", ReservedConcurrentExecutions=2)
    assert error(e) == (
        400,
        "InvalidParameterValueException",
        " ReservedConcurrentExecutions  2 should not be lower than function's total provisioned concurrency [3].",
    )
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="held")
    assert lam.put_function_concurrency(FunctionName="held", ReservedConcurrentExecutions=3)[
        "ReservedConcurrentExecutions"
    ] == 3
    # The reverse: a configuration beyond the reservation is refused.
    with pytest.raises(ClientError) as e:
        lam.put_provisioned_concurrency_config(FunctionName="held", Qualifier="2", ProvisionedConcurrentExecutions=2)
    assert error(e)[2] == (
        "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
    )
    # With a configuration gone, the reservation may shrink.
    lam.delete_provisioned_concurrency_config(FunctionName="held", Qualifier="2")
    assert lam.put_function_concurrency(FunctionName="held", ReservedConcurrentExecutions=2)[
        "ReservedConcurrentExecutions"
    ] == 2
