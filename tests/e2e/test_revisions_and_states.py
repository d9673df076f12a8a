"""RevisionId and the transitional states as Lambda has them, driven with boto3 and the AWS CLI: which
changes give a function (or a version) a new RevisionId, AWS's 412 for a stale one, and `Pending` /
`InProgress` in the answer to a change and in a read right after it, until the waiters see it settle."""

import pytest

from conftest import ROLE, WAIT, create, make_zip, run_aws, wait_updated

ARN = "arn:aws:lambda:us-east-1:000000000000:function:"
STALE = (
    "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
    "retrieve the latest Revision Id"
)
IN_PROGRESS = ("InProgress", "The function is being created.", "Creating")


def revision(lam, name, qualifier=None):
    kwargs = {"Qualifier": qualifier} if qualifier else {}
    return lam.get_function_configuration(FunctionName=name, **kwargs)["RevisionId"]


def update_status(configuration):
    return (
        configuration.get("LastUpdateStatus"),
        configuration.get("LastUpdateStatusReason"),
        configuration.get("LastUpdateStatusReasonCode"),
    )


def message(excinfo):
    return excinfo.value.response["Error"]["Message"]


def test_every_change_gives_the_function_a_new_revision(lam):
    name = "revs"
    create(lam, name)
    seen = [revision(lam, name)]

    def changed(what):
        now = revision(lam, name)
        assert now not in seen, f"{what} did not change $LATEST's RevisionId"
        seen.append(now)
        return now

    v1 = lam.publish_version(FunctionName=name, RevisionId=seen[-1])
    changed("PublishVersion")
    assert v1["RevisionId"] not in seen, "a published version has a RevisionId of its own"
    assert revision(lam, name, "1") == v1["RevisionId"]
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    assert revision(lam, name) == seen[-1], "publishing an unchanged $LATEST changes nothing"

    lam.tag_resource(Resource=ARN + name, Tags={"team": "a"})
    changed("TagResource")
    lam.untag_resource(Resource=ARN + name, TagKeys=["team"])
    changed("UntagResource")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    changed("PutFunctionConcurrency")
    lam.delete_function_concurrency(FunctionName=name)
    current = changed("DeleteFunctionConcurrency")
    assert revision(lam, name, "1") == v1["RevisionId"], "changes of the function leave its versions alone"

    updates = {
        "UpdateFunctionCode": lambda rev: lam.update_function_code(FunctionName=name, ZipFile=make_zip(), RevisionId=rev),
        "UpdateFunctionConfiguration": lambda rev: lam.update_function_configuration(
            FunctionName=name, Description="d", RevisionId=rev
        ),
    }
    for operation, update in updates.items():
        with pytest.raises(lam.exceptions.PreconditionFailedException) as e:
            update(seen[0])
        assert (e.value.response["ResponseMetadata"]["HTTPStatusCode"], message(e)) == (412, STALE), operation
        out = update(current)
        assert out["RevisionId"] != current, operation
        wait_updated(lam, name)
        current = revision(lam, name)
        assert current != out["RevisionId"], f"settling {operation} is a change"
    with pytest.raises(lam.exceptions.PreconditionFailedException) as e:
        lam.publish_version(FunctionName=name, RevisionId=seen[0])
    assert message(e) == STALE
    assert lam.publish_version(FunctionName=name, RevisionId=current)["Version"] == "2"


def test_a_version_published_with_the_function_has_its_own_revision(lam):
    out = create(lam, "pubrev", Publish=True, wait=False)
    assert (out["Version"], out["State"]) == ("1", "Pending")
    lam.get_waiter("published_version_active").wait(FunctionName="pubrev", Qualifier="1", WaiterConfig=WAIT)
    version = lam.get_function_configuration(FunctionName="pubrev", Qualifier="1")
    assert (version["State"], version["LastUpdateStatus"]) == ("Active", "Successful")
    assert version["RevisionId"] == out["RevisionId"], "becoming Active does not change a version"
    lam.get_waiter("function_active_v2").wait(FunctionName="pubrev", WaiterConfig=WAIT)
    assert revision(lam, "pubrev") != version["RevisionId"]


def test_create_is_pending_until_it_settles(lam):
    out = create(lam, "pending", wait=False)
    assert (out["State"], out["StateReason"], out["StateReasonCode"]) == (
        "Pending",
        "The function is being created.",
        "Creating",
    )
    right_after = lam.get_function(FunctionName="pending")["Configuration"]
    assert (right_after["State"], right_after["StateReasonCode"]) == ("Pending", "Creating")
    with pytest.raises(lam.exceptions.ResourceConflictException) as e:
        lam.update_function_configuration(FunctionName="pending", Description="early")
    assert message(e) == (
        f"The operation cannot be performed at this time. The resource {ARN}pending is currently in the following "
        "state: 'Pending'. StateReasonCode: 'Creating'"
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="pending", WaiterConfig=WAIT)
    settled = lam.get_function_configuration(FunctionName="pending")
    assert (settled["State"], settled["LastUpdateStatus"]) == ("Active", "Successful")
    assert "StateReason" not in settled and "StateReasonCode" not in settled


@pytest.mark.parametrize("kind", ["code", "configuration"])
def test_update_is_in_progress_until_it_settles(lam, kind):
    name = f"busy-{kind}"
    create(lam, name)
    if kind == "code":
        out = lam.update_function_code(FunctionName=name, ZipFile=make_zip({"bootstrap": "#!/bin/sh\n#2\n"}))
    else:
        out = lam.update_function_configuration(FunctionName=name, Timeout=9)
    assert out["State"] == "Active"
    assert update_status(out) == IN_PROGRESS
    assert update_status(lam.get_function_configuration(FunctionName=name)) == IN_PROGRESS
    busy = (
        "The operation cannot be performed at this time. An update is in progress for resource: " + ARN + name
    )
    for second in (
        lambda: lam.update_function_configuration(FunctionName=name, Description="second"),
        lambda: lam.update_function_code(FunctionName=name, ZipFile=make_zip()),
        lambda: lam.publish_version(FunctionName=name),
    ):
        with pytest.raises(lam.exceptions.ResourceConflictException) as e:
            second()
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert message(e) == busy
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    settled = lam.get_function_configuration(FunctionName=name)
    assert update_status(settled) == ("Successful", None, None)
    assert settled["RevisionId"] != out["RevisionId"]
    assert lam.publish_version(FunctionName=name)["State"] == "Active"


def test_the_aws_cli_waits_for_an_update(server):
    env = {"AWS_ENDPOINT_URL": server.endpoint}
    lam = server.client()
    create(lam, "cli-wait")
    run_aws(["lambda", "update-function-configuration", "--function-name", "cli-wait", "--memory-size", "256"], env)
    run_aws(["lambda", "wait", "function-updated-v2", "--function-name", "cli-wait"], env)
    got = lam.get_function_configuration(FunctionName="cli-wait")
    assert (got["MemorySize"], got["LastUpdateStatus"]) == (256, "Successful")


def test_role_is_checked_before_the_revision(lam):
    """A request that is invalid is refused for that, whatever RevisionId it names."""
    create(lam, "order")
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.update_function_configuration(FunctionName="order", Role="r", RevisionId="stale")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert lam.get_function_configuration(FunctionName="order")["Role"] == ROLE
