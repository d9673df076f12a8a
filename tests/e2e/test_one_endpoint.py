"""One endpoint: requests go to the service their signature is scoped to. STS answers there
(GetCallerIdentity, AssumeRole, GetSessionToken), its temporary credentials work on the Lambda API,
and a service lamina does not serve gets an error naming it, in that service's protocol."""

import json

import botocore.exceptions
import pytest

from conftest import ACCOUNT, run_aws


def error_of(excinfo):
    error = excinfo.value.response["Error"]
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def test_the_cli_finds_the_account(server):
    out = run_aws(["sts", "get-caller-identity"], {"AWS_ENDPOINT_URL": server.endpoint})
    identity = json.loads(out.stdout)
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert identity["UserId"] == ACCOUNT


def test_assumed_role_credentials_act_in_the_account(server):
    sts = server.client(service="sts")
    role = f"arn:aws:iam::{ACCOUNT}:role/deployer"
    out = sts.assume_role(RoleArn=role, RoleSessionName="ci-run", DurationSeconds=900)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci-run"
    assert out["AssumedRoleUser"]["AssumedRoleId"].endswith(":ci-run")
    key = (creds["AccessKeyId"], creds["SecretAccessKey"])
    as_role = server.client(service="sts", key=key, session_token=creds["SessionToken"])
    identity = as_role.get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (ACCOUNT, out["AssumedRoleUser"]["Arn"])
    lam = server.client(key=key, session_token=creds["SessionToken"])
    assert lam.list_functions()["Functions"] == []
    # Without its session token (or with another) the key is refused.
    for token in (None, "not-the-token"):
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            server.client(key=key, session_token=token).list_functions()
        assert error_of(excinfo)[:2] == (403, "UnrecognizedClientException")
    # GetSessionToken gives credentials that act as the caller.
    session = sts.get_session_token(DurationSeconds=900)["Credentials"]
    again = server.client(
        service="sts", key=(session["AccessKeyId"], session["SecretAccessKey"]), session_token=session["SessionToken"]
    ).get_caller_identity()
    assert again["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_assume_role_errors(server):
    sts = server.client(service="sts")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        sts.assume_role(RoleArn="arn:aws:iam::999999999999:role/elsewhere", RoleSessionName="s1")
    status, code, message = error_of(excinfo)
    assert (status, code) == (403, "AccessDenied")
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: "
        "arn:aws:iam::999999999999:role/elsewhere"
    )
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        sts.assume_role(RoleArn="not-a-role-arn-at-all", RoleSessionName="s1")
    assert error_of(excinfo) == (400, "ValidationError", "not-a-role-arn-at-all is invalid")
    # A key the server does not know.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        server.client(service="sts", key=("AKIDUNKNOWN", "x")).get_caller_identity()
    assert error_of(excinfo)[:2] == (403, "InvalidClientTokenId")


@pytest.mark.parametrize("service, call", [
    ("sqs", lambda c: c.list_queues()),
    ("dynamodb", lambda c: c.list_tables()),
    ("ec2", lambda c: c.describe_regions()),
])
def test_a_service_not_served_is_named(server, service, call):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        call(server.client(service=service))
    status, code, message = error_of(excinfo)
    assert status == 400
    assert code in ("UnknownOperationException", "InvalidAction"), code
    assert f"lamina does not serve the '{service}' service" in message, message
