"""Resource-based policies through boto3 and the AWS CLI: AddPermission, RemovePermission and GetPolicy per
qualifier, with AWS's statements and errors; and the layer version ones (AddLayerVersionPermission,
RemoveLayerVersionPermission, GetLayerVersionPolicy). Policies are stored and returned, not enforced."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, create, make_zip, run_aws

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"


def error(excinfo):
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def policy(lam, name, **kwargs):
    out = lam.get_policy(FunctionName=name, **kwargs)
    return json.loads(out["Policy"]), out["RevisionId"]


def test_statements_are_rendered_as_aws_renders_them(lam):
    create(lam, "guarded")
    added = lam.add_permission(
        FunctionName="guarded",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::my-bucket",
        SourceAccount="123456789012",
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    s3 = {
        "Sid": "s3",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"{ARN}:guarded",
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": "123456789012"},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"},
        },
    }
    assert json.loads(added["Statement"]) == s3
    assert list(json.loads(added["Statement"])) == ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"]
    lam.add_permission(FunctionName="guarded", StatementId="account", Action="lambda:*", Principal="210987654321")
    lam.add_permission(
        FunctionName="guarded",
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lam.add_permission(
        FunctionName="guarded",
        StatementId="org",
        Action="lambda:InvokeFunction",
        Principal="arn:aws:iam::210987654321:role/caller",
        PrincipalOrgID="o-a1b2c3d4e5",
    )
    document, revision = policy(lam, "guarded")
    assert document["Version"] == "2012-10-17" and document["Id"] == "default"
    assert document["Statement"] == [
        s3,
        {
            "Sid": "account",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
            "Action": "lambda:*",
            "Resource": f"{ARN}:guarded",
        },
        {
            "Sid": "url",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "lambda:InvokeFunctionUrl",
            "Resource": f"{ARN}:guarded",
            "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
        },
        {
            "Sid": "org",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::210987654321:role/caller"},
            "Action": "lambda:InvokeFunction",
            "Resource": f"{ARN}:guarded",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        },
    ]

    # RevisionId preconditions: the policy's own revision.
    with pytest.raises(ClientError) as e:
        lam.add_permission(
            FunctionName="guarded", StatementId="late", Action="lambda:InvokeFunction", Principal="*", RevisionId="stale"
        )
    assert error(e) == (
        412,
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest "
        "Revision Id",
    )
    lam.add_permission(
        FunctionName="guarded", StatementId="late", Action="lambda:InvokeFunction", Principal="*", RevisionId=revision
    )
    _, newer = policy(lam, "guarded")
    assert newer != revision
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName="guarded", StatementId="late", RevisionId=revision)
    assert error(e)[1] == "PreconditionFailedException"
    lam.remove_permission(FunctionName="guarded", StatementId="late", RevisionId=newer)
    for sid in ["s3", "account", "url", "org"]:
        lam.remove_permission(FunctionName="guarded", StatementId=sid)
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName="guarded")
    assert error(e) == (404, "ResourceNotFoundException", "The resource you requested does not exist.")


def test_policies_are_per_qualifier(lam):
    create(lam, "qualified")
    lam.publish_version(FunctionName="qualified")
    lam.create_alias(FunctionName="qualified", Name="live", FunctionVersion="1")
    for qualifier in ["1", "live"]:
        out = lam.add_permission(
            FunctionName="qualified", Qualifier=qualifier, StatementId="same", Action="lambda:InvokeFunction", Principal="*"
        )
        assert json.loads(out["Statement"])["Resource"] == f"{ARN}:qualified:{qualifier}"
    lam.add_permission(FunctionName="qualified", StatementId="same", Action="lambda:InvokeFunction", Principal="*")
    by_arn, _ = policy(lam, f"{ARN}:qualified:live")
    assert [s["Resource"] for s in by_arn["Statement"]] == [f"{ARN}:qualified:live"]
    assert [s["Resource"] for s in policy(lam, "qualified", Qualifier="1")[0]["Statement"]] == [f"{ARN}:qualified:1"]
    assert [s["Resource"] for s in policy(lam, "qualified")[0]["Statement"]] == [f"{ARN}:qualified"]

    # An alias's policy goes with the alias; a version's with the version.
    lam.delete_alias(FunctionName="qualified", Name="live")
    lam.create_alias(FunctionName="qualified", Name="live", FunctionVersion="1")
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName="qualified", Qualifier="live")
    assert error(e)[0] == 404
    lam.delete_alias(FunctionName="qualified", Name="live")
    lam.delete_function(FunctionName="qualified", Qualifier="1")
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName="qualified", Qualifier="1")
    assert error(e)[0] == 404
    lam.delete_function(FunctionName="qualified")
    create(lam, "qualified")
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName="qualified")
    assert error(e) == (404, "ResourceNotFoundException", "The resource you requested does not exist.")


def test_permission_errors(lam):
    create(lam, "refusing")
    add = dict(FunctionName="refusing", StatementId="a", Action="lambda:InvokeFunction", Principal="*")
    lam.add_permission(**add)
    cases = [
        (
            dict(add, StatementId="a"),
            (409, "ResourceConflictException", "The statement id (a) provided already exists. Please provide a new "
             "statement id, or remove the existing statement."),
        ),
        (
            dict(add, StatementId="b", Qualifier="$LATEST"),
            (400, "InvalidParameterValueException", "We currently do not support adding policies for $LATEST."),
        ),
        (
            dict(add, StatementId="b", Principal="bob"),
            (400, "InvalidParameterValueException",
             "The provided principal was invalid. Please check the principal and try again."),
        ),
        (
            dict(add, StatementId="b.c"),
            (400, "ValidationException", "1 validation error detected: Value 'b.c' at 'statementId' failed to satisfy "
             "constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)"),
        ),
        (
            dict(add, StatementId="b", Action="invoke"),
            (400, "ValidationException", "1 validation error detected: Value 'invoke' at 'action' failed to satisfy "
             "constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])"),
        ),
        (
            dict(add, StatementId="b", Qualifier="7"),
            (404, "ResourceNotFoundException", f"Function not found: {ARN}:refusing:7"),
        ),
        (
            dict(add, StatementId="b", Qualifier="nope"),
            (404, "ResourceNotFoundException", f"Cannot find alias arn: {ARN}:refusing:nope"),
        ),
        (
            dict(add, FunctionName="nothing"),
            (404, "ResourceNotFoundException", f"Function not found: {ARN}:nothing"),
        ),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as e:
            lam.add_permission(**kwargs)
        assert error(e) == expected, kwargs
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName="refusing", StatementId="zzz")
    assert error(e) == (404, "ResourceNotFoundException", "Statement zzz is not found in resource policy.")
    lam.publish_version(FunctionName="refusing")
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName="refusing", StatementId="a", Qualifier="1")
    assert error(e) == (404, "ResourceNotFoundException", "No policy is associated with the given resource.")
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName="nothing", StatementId="a")
    assert error(e) == (404, "ResourceNotFoundException", f"No policy found for: {ARN}:nothing")
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName="nothing")
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:nothing")


def test_permissions_with_the_cli(server, lam):
    create(lam, "clipolicy")
    env = {"AWS_ENDPOINT_URL": server.endpoint}
    added = json.loads(
        run_aws(
            ["lambda", "add-permission", "--function-name", "clipolicy", "--statement-id", "sns", "--action",
             "lambda:InvokeFunction", "--principal", "sns.amazonaws.com", "--source-arn",
             "arn:aws:sns:us-east-1:123456789012:topic"],
            env_extra=env,
        ).stdout
    )
    assert json.loads(added["Statement"])["Principal"] == {"Service": "sns.amazonaws.com"}
    got = json.loads(run_aws(["lambda", "get-policy", "--function-name", "clipolicy"], env_extra=env).stdout)
    assert [s["Sid"] for s in json.loads(got["Policy"])["Statement"]] == ["sns"]
    run_aws(["lambda", "remove-permission", "--function-name", "clipolicy", "--statement-id", "sns"], env_extra=env)
    refused = run_aws(["lambda", "get-policy", "--function-name", "clipolicy"], env_extra=env, check=False)
    assert refused.returncode != 0 and "ResourceNotFoundException" in refused.stderr


def test_layer_version_policies(lam):
    layer = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": make_zip({"lib/x": "x"})})
    arn = layer["LayerVersionArn"]
    added = lam.add_layer_version_permission(
        LayerName="shared", VersionNumber=1, StatementId="xaccount", Action="lambda:GetLayerVersion", Principal="210987654321"
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert json.loads(added["Statement"]) == {
        "Sid": "xaccount",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
        "Action": "lambda:GetLayerVersion",
        "Resource": arn,
    }
    org = lam.add_layer_version_permission(
        LayerName=layer["LayerArn"],
        VersionNumber=1,
        StatementId="org",
        Action="lambda:GetLayerVersion",
        Principal="*",
        OrganizationId="o-a1b2c3d4e5",
        RevisionId=added["RevisionId"],
    )
    assert json.loads(org["Statement"])["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    got = lam.get_layer_version_policy(LayerName="shared", VersionNumber=1)
    assert got["RevisionId"] == org["RevisionId"]
    assert [s["Sid"] for s in json.loads(got["Policy"])["Statement"]] == ["xaccount", "org"]

    with pytest.raises(ClientError) as e:
        lam.add_layer_version_permission(
            LayerName="shared", VersionNumber=1, StatementId="org", Action="lambda:GetLayerVersion", Principal="*"
        )
    assert error(e)[:2] == (409, "ResourceConflictException")
    with pytest.raises(ClientError) as e:
        lam.add_layer_version_permission(
            LayerName="shared", VersionNumber=1, StatementId="x", Action="lambda:GetLayerVersion", Principal="*",
            RevisionId=added["RevisionId"],
        )
    assert error(e) == (
        412,
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the "
        "latest Revision Id",
    )
    with pytest.raises(ClientError) as e:
        lam.add_layer_version_permission(
            LayerName="shared", VersionNumber=1, StatementId="x", Action="lambda:InvokeFunction", Principal="*"
        )
    assert error(e) == (
        400,
        "ValidationException",
        "1 validation error detected: Value 'lambda:InvokeFunction' at 'action' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: lambda:GetLayerVersion",
    )
    with pytest.raises(ClientError) as e:
        lam.add_layer_version_permission(
            LayerName="shared", VersionNumber=9, StatementId="x", Action="lambda:GetLayerVersion", Principal="*"
        )
    assert error(e) == (404, "ResourceNotFoundException", f"Layer version {arn[:-2]}:9 does not exist.")
    with pytest.raises(ClientError) as e:
        lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="nope")
    assert error(e) == (404, "ResourceNotFoundException", "Statement nope is not found in resource policy.")
    lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="xaccount")
    lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="org")
    with pytest.raises(ClientError) as e:
        lam.get_layer_version_policy(LayerName="shared", VersionNumber=1)
    assert error(e) == (404, "ResourceNotFoundException", "No policy is associated with the given resource.")

    # The policy goes with its layer version; the next version starts without one.
    lam.add_layer_version_permission(
        LayerName="shared", VersionNumber=1, StatementId="all", Action="lambda:GetLayerVersion", Principal="*"
    )
    lam.delete_layer_version(LayerName="shared", VersionNumber=1)
    lam.publish_layer_version(LayerName="shared", Content={"ZipFile": make_zip({"lib/y": "y"})})
    with pytest.raises(ClientError) as e:
        lam.get_layer_version_policy(LayerName="shared", VersionNumber=2)
    assert error(e)[0] == 404
