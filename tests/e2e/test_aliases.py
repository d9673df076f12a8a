"""Aliases through boto3 and the AWS CLI: CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases with
their errors, every qualifier-taking operation following an alias, and Invoke routing by weights."""

import collections
import concurrent.futures
import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, create, run_aws

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"


def error(excinfo):
    """(HTTP status, error code, message) of a refused call."""
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def published(lam, name, count, **kwargs):
    """A function `name` with `count` published versions (each from a change of its description)."""
    create(lam, name, **kwargs)
    for n in range(1, count + 1):
        lam.update_function_configuration(FunctionName=name, Description=f"v{n}")
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        assert lam.publish_version(FunctionName=name)["Version"] == str(n)


def test_alias_lifecycle(lam):
    published(lam, "aliased", 2)
    created = lam.create_alias(FunctionName="aliased", Name="live", FunctionVersion="1")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["AliasArn"] == f"{ARN}:aliased:live"
    assert created["Name"] == "live"
    assert created["FunctionVersion"] == "1"
    assert created["Description"] == ""
    assert "RoutingConfig" not in created
    got = lam.get_alias(FunctionName="aliased", Name="live")
    assert got["RevisionId"] == created["RevisionId"]

    updated = lam.update_alias(
        FunctionName="aliased",
        Name="live",
        FunctionVersion="2",
        Description="the live one",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.25}},
        RevisionId=created["RevisionId"],
    )
    assert updated["FunctionVersion"] == "2"
    assert updated["Description"] == "the live one"
    assert updated["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.25}}
    assert updated["RevisionId"] != created["RevisionId"]
    # Members not given stay; empty weights remove the routing.
    cleared = lam.update_alias(FunctionName="aliased", Name="live", RoutingConfig={"AdditionalVersionWeights": {}})
    assert cleared["FunctionVersion"] == "2" and cleared["Description"] == "the live one"
    assert "RoutingConfig" not in cleared

    lam.create_alias(FunctionName=f"{ARN}:aliased", Name="beta", FunctionVersion="$LATEST", Description="next")
    lam.create_alias(FunctionName="aliased", Name="old", FunctionVersion="1")
    names = [a["Name"] for a in lam.list_aliases(FunctionName="aliased")["Aliases"]]
    assert names == ["beta", "live", "old"]
    on_one = lam.list_aliases(FunctionName="aliased", FunctionVersion="1")["Aliases"]
    assert [a["Name"] for a in on_one] == ["old"]
    first = lam.list_aliases(FunctionName="aliased", MaxItems=2)
    assert [a["Name"] for a in first["Aliases"]] == ["beta", "live"]
    rest = lam.list_aliases(FunctionName="aliased", Marker=first["NextMarker"])
    assert [a["Name"] for a in rest["Aliases"]] == ["old"] and "NextMarker" not in rest
    paged = [a["Name"] for page in lam.get_paginator("list_aliases").paginate(FunctionName="aliased", PaginationConfig={"PageSize": 1}) for a in page["Aliases"]]
    assert paged == ["beta", "live", "old"]

    assert lam.delete_alias(FunctionName="aliased", Name="old")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.delete_alias(FunctionName="aliased", Name="old")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [a["Name"] for a in lam.list_aliases(FunctionName="aliased")["Aliases"]] == ["beta", "live"]


def test_alias_errors(lam):
    published(lam, "strict", 2)
    cases = [
        (
            dict(Name="2024", FunctionVersion="1"),
            (400, "ValidationException", "1 validation error detected: Value '2024' at 'name' failed to satisfy "
             "constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"),
        ),
        (
            dict(Name="a" * 129, FunctionVersion="1"),
            (400, "ValidationException", f"1 validation error detected: Value '{'a' * 129}' at 'name' failed to "
             "satisfy constraint: Member must have length less than or equal to 128"),
        ),
        (
            dict(Name="x", FunctionVersion="10"),
            (404, "ResourceNotFoundException", f"Function not found: {ARN}:strict:10"),
        ),
        (
            dict(Name="x", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 2.0}}),
            (400, "ValidationException", "1 validation error detected: Value '{2=2.0}' at "
             "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy "
             "constraint: [Member must have value less than or equal to 1.0, Member must have value greater than "
             "or equal to 0.0, Member must not be null]"),
        ),
        (
            dict(Name="x", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.5}}),
            (400, "ValidationException", "1 validation error detected: Value '{$LATEST=0.5}' at "
             "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy "
             "constraint: [Member must have length less than or equal to 1024, Member must have length greater "
             "than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]"),
        ),
        (
            dict(Name="x", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}}),
            (400, "InvalidParameterValueException", "Number of items in AdditionalVersionWeights cannot be greater than 1"),
        ),
        (
            dict(Name="x", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}}),
            (400, "InvalidParameterValueException",
             "Invalid function version 1. Function version 1 is already included in routing configuration."),
        ),
        (
            dict(Name="x", FunctionVersion="$LATEST", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}}),
            (400, "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version"),
        ),
        (
            dict(Name="x", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"7": 0.5}}),
            (404, "ResourceNotFoundException", f"Function not found: {ARN}:strict:7"),
        ),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as e:
            lam.create_alias(FunctionName="strict", **kwargs)
        assert error(e) == expected, kwargs
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="nothing", Name="x", FunctionVersion="1")
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:nothing:1")

    lam.create_alias(FunctionName="strict", Name="live", FunctionVersion="1")
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="strict", Name="live", FunctionVersion="2")
    assert error(e) == (409, "ResourceConflictException", f"Alias already exists: {ARN}:strict:live")
    with pytest.raises(ClientError) as e:
        lam.get_alias(FunctionName="strict", Name="gone")
    assert error(e) == (404, "ResourceNotFoundException", f"Cannot find alias arn: {ARN}:strict:gone")
    with pytest.raises(ClientError) as e:
        lam.update_alias(FunctionName="strict", Name="gone", FunctionVersion="1")
    assert error(e) == (404, "ResourceNotFoundException", f"Alias not found: {ARN}:strict:gone")
    with pytest.raises(ClientError) as e:
        lam.update_alias(FunctionName="strict", Name="live", FunctionVersion="2", RevisionId="stale")
    assert error(e) == (
        412,
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
        "retrieve the latest Revision Id",
    )
    with pytest.raises(ClientError) as e:
        lam.update_alias(FunctionName="strict", Name="live", FunctionVersion="9")
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:strict:9")
    assert lam.get_alias(FunctionName="strict", Name="live")["FunctionVersion"] == "1", "refused updates change nothing"
    with pytest.raises(ClientError) as e:
        lam.list_aliases(FunctionName="nothing")
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:nothing")

    # A version an alias routes to stays until the alias lets go of it.
    lam.update_alias(FunctionName="strict", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    lam.create_alias(FunctionName="strict", Name="also", FunctionVersion="2")
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName="strict", Qualifier="2")
    assert error(e) == (
        409,
        "ResourceConflictException",
        "Unable to delete version because the following aliases reference it: [also, live]",
    )
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName="strict", Qualifier="live")
    assert error(e) == (400, "InvalidParameterValueException", "Deletion of aliases is not currently supported.")
    lam.delete_alias(FunctionName="strict", Name="also")
    lam.update_alias(FunctionName="strict", Name="live", RoutingConfig={})
    lam.delete_function(FunctionName="strict", Qualifier="2")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="strict")["Versions"]] == ["$LATEST", "1"]

    # Deleting the function deletes its aliases; a function of the same name starts without them.
    lam.delete_function(FunctionName="strict")
    create(lam, "strict")
    assert lam.list_aliases(FunctionName="strict")["Aliases"] == []


def test_qualifiers_follow_aliases(lam, go_zip):
    create(lam, "ctxalias", go_zip("context"))
    lam.publish_version(FunctionName="ctxalias")
    lam.create_alias(FunctionName="ctxalias", Name="live", FunctionVersion="1")
    configuration = lam.get_function(FunctionName="ctxalias", Qualifier="live")["Configuration"]
    assert configuration["FunctionArn"] == f"{ARN}:ctxalias:live"
    assert configuration["Version"] == "1"
    by_arn = lam.get_function_configuration(FunctionName=f"{ARN}:ctxalias:live")
    assert by_arn["FunctionArn"] == f"{ARN}:ctxalias:live" and by_arn["Version"] == "1"
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName="ctxalias", Qualifier="nope")
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:ctxalias:nope")

    for kwargs, invoked in [
        (dict(FunctionName="ctxalias", Qualifier="live"), f"{ARN}:ctxalias:live"),
        (dict(FunctionName=f"{ARN}:ctxalias:live"), f"{ARN}:ctxalias:live"),
        (dict(FunctionName="ctxalias:live"), f"{ARN}:ctxalias:live"),
        (dict(FunctionName="ctxalias"), f"{ARN}:ctxalias"),
    ]:
        out = lam.invoke(**kwargs)
        report = json.loads(out["Payload"].read())
        assert report["invokedFunctionArn"] == invoked, kwargs
        expected_version = "$LATEST" if invoked.endswith(":ctxalias") else "1"
        assert out["ExecutedVersion"] == expected_version, kwargs
        assert report["functionVersion"] == expected_version, kwargs
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="ctxalias", Qualifier="nope")
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:ctxalias:nope")

    # An alias moved to $LATEST is followed at once.
    lam.update_alias(FunctionName="ctxalias", Name="live", FunctionVersion="$LATEST")
    assert lam.invoke(FunctionName="ctxalias", Qualifier="live")["ExecutedVersion"] == "$LATEST"


def test_aliases_with_the_cli(server, lam):
    published(lam, "clialiased", 1)
    env = {"AWS_ENDPOINT_URL": server.endpoint}
    out = json.loads(
        run_aws(
            ["lambda", "create-alias", "--function-name", "clialiased", "--name", "prod", "--function-version", "1",
             "--description", "production"],
            env_extra=env,
        ).stdout
    )
    assert out["AliasArn"] == f"{ARN}:clialiased:prod" and out["Description"] == "production"
    listed = json.loads(run_aws(["lambda", "list-aliases", "--function-name", "clialiased"], env_extra=env).stdout)
    assert [a["Name"] for a in listed["Aliases"]] == ["prod"]
    run_aws(["lambda", "delete-alias", "--function-name", "clialiased", "--name", "prod"], env_extra=env)
    refused = run_aws(["lambda", "get-alias", "--function-name", "clialiased", "--name", "prod"], env_extra=env, check=False)
    assert refused.returncode != 0 and "ResourceNotFoundException" in refused.stderr


def test_weighted_alias_routes_by_its_weights(server, go_zip):
    """10,000 invokes of an alias sending 10 % to a second version land within 2 points of 90/10."""
    lam = server.client(max_pool_connections=32, read_timeout=120)
    create(lam, "weighted", go_zip("echo"))
    lam.publish_version(FunctionName="weighted")
    lam.update_function_configuration(FunctionName="weighted", Description="second")
    lam.get_waiter("function_updated_v2").wait(FunctionName="weighted", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    lam.publish_version(FunctionName="weighted")
    lam.create_alias(
        FunctionName="weighted", Name="canary", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}}
    )

    def executed(_):
        out = lam.invoke(FunctionName="weighted", Qualifier="canary", Payload=b"{}")
        assert out["Payload"].read() == b"{}"
        return out["ExecutedVersion"]

    total = 10_000
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        counts = collections.Counter(pool.map(executed, range(total)))
    assert set(counts) == {"1", "2"}, counts
    share = counts["2"] / total
    assert 0.08 <= share <= 0.12, f"version 2 ran {counts['2']} of {total} invocations, weight 0.1"
