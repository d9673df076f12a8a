"""CloudFormation on lamina's endpoint: stacks made, updated and deleted by boto3 and the AWS CLI
(`aws cloudformation deploy`), their functions made by lamina with code from S3, events and outputs as
CloudFormation reports them, a failing stack rolled back, capabilities checked, stacks kept across a
restart."""

import json
import os
import shutil
import subprocess

import botocore.exceptions
import pytest

from conftest import ACCOUNT, GO_FIXTURES, REPO, make_zip, run_aws, send_to_function_url as send

WAIT = {"Delay": 1, "MaxAttempts": 60}


def shell_package(tmp_path, s3_store):
    """The shell fixture zipped and uploaded to a fresh versioned bucket: (bucket, key)."""
    bucket = s3_store.new_bucket(versioned=True)
    shutil.copy(GO_FIXTURES.parent / "shell" / "bootstrap", tmp_path / "bootstrap")
    package = tmp_path / "function.zip"
    package.write_bytes(make_zip({"bootstrap": (tmp_path / "bootstrap").read_text()}))
    s3_store.aws(["s3", "cp", str(package), f"s3://{bucket}/builds/function.zip"])
    return bucket, "builds/function.zip"


def template(bucket, key, stage="dev", extra=None):
    resources = {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
        },
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"S3Bucket": bucket, "S3Key": key},
                "Environment": {"Variables": {"STAGE": {"Ref": "Stage"}}},
            },
        },
        "Queue": {"Type": "AWS::SQS::Queue"},
    }
    resources.update(extra or {})
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": "a function from S3",
            "Parameters": {"Stage": {"Type": "String", "Default": stage}},
            "Resources": resources,
            "Outputs": {
                "FunctionArn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}, "Description": "the function"},
                "FunctionName": {"Value": {"Ref": "Fn"}},
            },
        }
    )


def error_of(excinfo):
    error = excinfo.value.response["Error"]
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def outputs(stack):
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_a_stack_is_created_updated_and_deleted(s3_server, s3_store, tmp_path):
    cfn = s3_server.client(service="cloudformation")
    lam = s3_server.client()
    bucket, key = shell_package(tmp_path, s3_store)
    stack_id = cfn.create_stack(
        StackName="app", TemplateBody=template(bucket, key), Capabilities=["CAPABILITY_IAM"]
    )["StackId"]
    assert stack_id.startswith(f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/app/")
    cfn.get_waiter("stack_create_complete").wait(StackName="app", WaiterConfig=WAIT)
    stack = cfn.describe_stacks(StackName="app")["Stacks"][0]
    assert (stack["StackId"], stack["StackStatus"], stack["Description"]) == (
        stack_id, "CREATE_COMPLETE", "a function from S3"
    )
    name = outputs(stack)["FunctionName"]
    assert name.startswith("app-Fn-") and len(name) == len("app-Fn-") + 12, name
    assert outputs(stack)["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    out = lam.invoke(FunctionName=name, Payload=b'{"from":"cfn"}')
    assert json.loads(out["Payload"].read()) == {"shell": True, "event": {"from": "cfn"}}
    assert lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"] == {"STAGE": "dev"}

    resources = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName="app")["StackResources"]}
    assert {k: (r["ResourceType"], r["ResourceStatus"]) for k, r in resources.items()} == {
        "Role": ("AWS::IAM::Role", "CREATE_COMPLETE"),
        "Queue": ("AWS::SQS::Queue", "CREATE_COMPLETE"),
        "Fn": ("AWS::Lambda::Function", "CREATE_COMPLETE"),
    }
    assert resources["Fn"]["PhysicalResourceId"] == name
    assert "lamina does not provision AWS::SQS::Queue" in resources["Queue"]["ResourceStatusReason"]
    events = cfn.describe_stack_events(StackName="app")["StackEvents"]
    # Newest first; the stack's own events open and close it.
    assert (events[0]["LogicalResourceId"], events[0]["ResourceStatus"]) == ("app", "CREATE_COMPLETE")
    assert (events[-1]["ResourceStatus"], events[-1]["ResourceStatusReason"]) == ("CREATE_IN_PROGRESS", "User Initiated")
    fn_events = [e["ResourceStatus"] for e in reversed(events) if e["LogicalResourceId"] == "Fn"]
    assert fn_events == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]

    # An update changes what changed, and keeps the function's name.
    cfn.update_stack(
        StackName="app",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": "prod"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    cfn.get_waiter("stack_update_complete").wait(StackName="app", WaiterConfig=WAIT)
    assert lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"] == {"STAGE": "prod"}
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        cfn.update_stack(
            StackName="app",
            UsePreviousTemplate=True,
            Parameters=[{"ParameterKey": "Stage", "UsePreviousValue": True}],
            Capabilities=["CAPABILITY_IAM"],
        )
    assert error_of(excinfo) == (400, "ValidationError", "No updates are to be performed.")
    # botocore decodes a JSON template.
    assert cfn.get_template(TemplateStage="Original", StackName="app")["TemplateBody"]["Description"] == (
        "a function from S3"
    )

    # Stacks are durable.
    s3_server.restart()
    cfn = s3_server.client(service="cloudformation")
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"

    cfn.delete_stack(StackName="app")
    cfn.get_waiter("stack_delete_complete").wait(StackName="app", WaiterConfig=WAIT)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        s3_server.client().get_function(FunctionName=name)
    assert error_of(excinfo)[1] == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        cfn.describe_stacks(StackName="app")
    assert error_of(excinfo) == (400, "ValidationError", "Stack with id app does not exist")
    # By its id, a deleted stack is still described.
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    listed = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert [s["StackId"] for s in listed] == [stack_id]


def test_a_failing_resource_rolls_the_stack_back(s3_server, s3_store, tmp_path):
    cfn = s3_server.client(service="cloudformation")
    bucket, key = shell_package(tmp_path, s3_store)
    broken = {
        "Broken": {
            "Type": "AWS::Lambda::Function",
            "DependsOn": "Fn",
            "Properties": {
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Role": f"arn:aws:iam::{ACCOUNT}:role/r",
                "Code": {"S3Bucket": bucket, "S3Key": "no/such/key.zip"},
            },
        }
    }
    cfn.create_stack(StackName="broken", TemplateBody=template(bucket, key, extra=broken), Capabilities=["CAPABILITY_IAM"])
    with pytest.raises(botocore.exceptions.WaiterError):
        cfn.get_waiter("stack_create_complete").wait(StackName="broken", WaiterConfig=WAIT)
    stack = cfn.describe_stacks(StackName="broken")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName="broken")["StackEvents"]
    rollback = next(e for e in events if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
    assert rollback["ResourceStatusReason"] == (
        "The following resource(s) failed to create: [Broken]. Rollback requested by user."
    )
    failed = next(e for e in events if e["LogicalResourceId"] == "Broken" and e["ResourceStatus"] == "CREATE_FAILED")
    assert failed["ResourceStatusReason"].startswith("Resource handler returned message: ")
    assert "NoSuchKey" in failed["ResourceStatusReason"] or "does not exist" in failed["ResourceStatusReason"]
        # A stack that rolled back can only be deleted.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        cfn.update_stack(StackName="broken", UsePreviousTemplate=True, Capabilities=["CAPABILITY_IAM"])
    assert error_of(excinfo) == (
        400, "ValidationError", f"Stack:{stack['StackId']} is in ROLLBACK_COMPLETE state and can not be updated."
    )
    # What was made is gone again.
    made = next(e for e in events if e["LogicalResourceId"] == "Fn" and e["ResourceStatus"] == "DELETE_COMPLETE")
    with pytest.raises(botocore.exceptions.ClientError):
        s3_server.client().get_function(FunctionName=made["PhysicalResourceId"])
    assert cfn.describe_stack_resources(StackName="broken")["StackResources"] == []


def test_requests_are_checked_as_cloudformation_checks_them(server):
    cfn = server.client(service="cloudformation")
    body = template("b", "k")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        cfn.create_stack(StackName="needs-iam", TemplateBody=body)
    assert error_of(excinfo) == (400, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        cfn.create_stack(StackName="bad_name", TemplateBody=body)
    assert error_of(excinfo)[:2] == (400, "ValidationError")
    assert "Value 'bad_name' at 'stackName' failed to satisfy constraint" in error_of(excinfo)[2]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        cfn.describe_stacks(StackName="nothing")
    assert error_of(excinfo) == (400, "ValidationError", "Stack with id nothing does not exist")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        cfn.create_stack(StackName="local", TemplateBody=body.replace('{"S3Bucket": "b", "S3Key": "k"}', '"./src"'))
    assert error_of(excinfo)[1] == "ValidationError"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        cfn.validate_template(TemplateBody="Resources: [")
    assert error_of(excinfo)[2].startswith("Template format error: ")
    validated = cfn.validate_template(TemplateBody=body)
    assert validated["Parameters"] == [{"ParameterKey": "Stage", "DefaultValue": "dev", "NoEcho": False}]
    assert validated["Capabilities"] == ["CAPABILITY_IAM"]
        # A template body is at most 51,200 bytes (inline code cannot reach the 4 MB zip limit through it).
    large = json.dumps({"Description": "x" * 60_000, "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        cfn.create_stack(StackName="large", TemplateBody=large)
    assert error_of(excinfo)[1] == "ValidationError"
    assert "at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200" in (
        error_of(excinfo)[2]
    )
    # Deleting what does not exist succeeds.
    cfn.delete_stack(StackName="nothing")


def test_aws_cloudformation_deploy_uses_change_sets(s3_server, s3_store, tmp_path):
    bucket, key = shell_package(tmp_path, s3_store)
    path = tmp_path / "template.json"
    path.write_text(template(bucket, key))
    env = {"AWS_ENDPOINT_URL_CLOUDFORMATION": s3_server.endpoint, "AWS_DEFAULT_REGION": "us-east-1"}
    args = ["cloudformation", "deploy", "--template-file", str(path), "--stack-name", "cli", "--capabilities", "CAPABILITY_IAM"]
    out = run_aws(args, env)
    assert "Successfully created/updated stack - cli" in out.stdout, out.stdout
    cfn = s3_server.client(service="cloudformation")
    stack = cfn.describe_stacks(StackName="cli")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
        # The executed change set is no longer listed, and is described by its id.
    assert cfn.list_change_sets(StackName="cli")["Summaries"] == []
    described = cfn.describe_change_set(ChangeSetName=stack["ChangeSetId"])
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "EXECUTE_COMPLETE")
    assert sorted((c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"]) for c in described["Changes"]) == [
        ("Add", "Fn"), ("Add", "Queue"), ("Add", "Role")
    ]
        # A parameter override updates the function.
    run_aws(args + ["--parameter-overrides", "Stage=prod"], env)
    name = outputs(cfn.describe_stacks(StackName="cli")["Stacks"][0])["FunctionName"]
    variables = s3_server.client().get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    assert variables == {"STAGE": "prod"}
    # Nothing changed: the CLI says so (its change set failed with CloudFormation's reason).
    again = run_aws(args + ["--no-fail-on-empty-changeset"], env)
    assert "No changes to deploy. Stack cli is up to date" in again.stdout, again.stdout


def test_a_failing_update_rolls_back_to_the_stack_as_it_was(s3_server, s3_store, tmp_path):
    cfn = s3_server.client(service="cloudformation")
    lam = s3_server.client()
    bucket, key = shell_package(tmp_path, s3_store)
    cfn.create_stack(StackName="steady", TemplateBody=template(bucket, key), Capabilities=["CAPABILITY_IAM"])
    cfn.get_waiter("stack_create_complete").wait(StackName="steady", WaiterConfig=WAIT)
    name = outputs(cfn.describe_stacks(StackName="steady")["Stacks"][0])["FunctionName"]
    added = {
        "Added": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Role": f"arn:aws:iam::{ACCOUNT}:role/r",
                "Code": {"S3Bucket": bucket, "S3Key": key},
                "FunctionName": "added-by-update",
            },
        },
        "Broken": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Role": f"arn:aws:iam::{ACCOUNT}:role/r",
                "Code": {"S3Bucket": bucket, "S3Key": "missing.zip"},
                "FunctionName": "zz-broken",
            },
        },
    }
    cfn.update_stack(
        StackName="steady",
        TemplateBody=template(bucket, key, stage="changed", extra=added),
        Capabilities=["CAPABILITY_IAM"],
    )
    with pytest.raises(botocore.exceptions.WaiterError):
        cfn.get_waiter("stack_update_complete").wait(StackName="steady", WaiterConfig=WAIT)
    stack = cfn.describe_stacks(StackName="steady")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    # The function is as it was, what the update added is gone, and the stack keeps its template.
    assert lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"] == {"STAGE": "dev"}
    with pytest.raises(botocore.exceptions.ClientError):
        lam.get_function(FunctionName="added-by-update")
    logical = sorted(r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName="steady")["StackResources"])
    assert logical == ["Fn", "Queue", "Role"]
    statuses = [e["ResourceStatus"] for e in cfn.describe_stack_events(StackName="steady")["StackEvents"] if e["LogicalResourceId"] == "steady"]
    assert statuses[:4] == [
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
    ]


def test_versions_aliases_permissions_urls_and_invoke_configs(s3_server, s3_store, tmp_path):
    """A function's sub-resources are made in order (the alias names the version the template just
    published), their `Ref` and `Fn::GetAtt` resolve, and they go with the stack."""
    

    cfn = s3_server.client(service="cloudformation")
    lam = s3_server.client()
    bucket, key = shell_package(tmp_path, s3_store)
    fn = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": "subs-fn",
            "Runtime": "provided.al2023",
            "Handler": "bootstrap",
            "Role": f"arn:aws:iam::{ACCOUNT}:role/r",
            "Code": {"S3Bucket": bucket, "S3Key": key},
        },
    }
    body = {
        "Resources": {
            "Fn": fn,
            "Live": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "live", "FunctionVersion": {"Fn::GetAtt": ["V1", "Version"]}},
            },
            "V1": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}, "Description": "first"}},
            "FromS3": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"FunctionName": {"Ref": "Live"}, "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com"},
            },
            "Url": {
                "Type": "AWS::Lambda::Url",
                "Properties": {"TargetFunctionArn": {"Ref": "Fn"}, "Qualifier": "live", "AuthType": "NONE"},
                "DependsOn": "Live",
            },
            "Async": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "Qualifier": "$LATEST", "MaximumRetryAttempts": "0"},
            },
        },
        "Outputs": {
            "Url": {"Value": {"Fn::GetAtt": ["Url", "FunctionUrl"]}},
            "Alias": {"Value": {"Ref": "Live"}},
            "Version": {"Value": {"Ref": "V1"}},
        },
    }
    cfn.create_stack(StackName="subs", TemplateBody=json.dumps(body))
    cfn.get_waiter("stack_create_complete").wait(StackName="subs", WaiterConfig=WAIT)
    out = outputs(cfn.describe_stacks(StackName="subs")["Stacks"][0])
    base = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:subs-fn"
    assert out["Version"] == f"{base}:1"
    assert out["Alias"] == f"{base}:live"
    alias = lam.get_alias(FunctionName="subs-fn", Name="live")
    assert alias["FunctionVersion"] == "1"
    policy = json.loads(lam.get_policy(FunctionName="subs-fn", Qualifier="live")["Policy"])
    assert [s["Principal"] for s in policy["Statement"]] == [{"Service": "s3.amazonaws.com"}]
    assert policy["Statement"][0]["Sid"].startswith("subs-FromS3-")
    assert lam.get_function_event_invoke_config(FunctionName="subs-fn")["MaximumRetryAttempts"] == 0
    assert out["Url"] == lam.get_function_url_config(FunctionName="subs-fn", Qualifier="live")["FunctionUrl"]
    status, _, answer = send(out["Url"], path="?x=1")
    assert status == 200
    event = json.loads(answer)["event"]
    assert event["rawQueryString"] == "x=1"
    invoked = lam.invoke(FunctionName="subs-fn", Qualifier="live", Payload=b"{}")
    assert invoked["ExecutedVersion"] == "1"

    # A second version: the alias moves to it, the first version goes in the cleanup.
    body["Resources"]["V2"] = {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}}
    fn["Properties"]["Environment"] = {"Variables": {"RELEASE": "2"}}
    body["Resources"]["V2"]["DependsOn"] = "Fn"
    body["Resources"]["Live"]["Properties"]["FunctionVersion"] = {"Fn::GetAtt": ["V2", "Version"]}
    del body["Resources"]["V1"]
    body["Outputs"]["Version"] = {"Value": {"Ref": "V2"}}
    cfn.update_stack(StackName="subs", TemplateBody=json.dumps(body))
    cfn.get_waiter("stack_update_complete").wait(StackName="subs", WaiterConfig=WAIT)
    assert lam.get_alias(FunctionName="subs-fn", Name="live")["FunctionVersion"] == "2"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName="subs-fn")["Versions"]]
    assert versions == ["$LATEST", "2"]

    cfn.delete_stack(StackName="subs")
    cfn.get_waiter("stack_delete_complete").wait(StackName="subs", WaiterConfig=WAIT)
    with pytest.raises(botocore.exceptions.ClientError):
        lam.get_function(FunctionName="subs-fn")


def test_a_retained_resource_outlives_its_stack(s3_server, s3_store, tmp_path):
    cfn = s3_server.client(service="cloudformation")
    lam = s3_server.client()
    bucket, key = shell_package(tmp_path, s3_store)
    body = json.loads(template(bucket, key))
    body["Resources"]["Fn"]["DeletionPolicy"] = "Retain"
    body["Resources"]["Fn"]["Properties"]["FunctionName"] = "kept-fn"
    cfn.create_stack(StackName="keeper", TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_IAM"])
    cfn.get_waiter("stack_create_complete").wait(StackName="keeper", WaiterConfig=WAIT)
    cfn.delete_stack(StackName="keeper")
    cfn.get_waiter("stack_delete_complete").wait(StackName="keeper", WaiterConfig=WAIT)
    assert lam.get_function(FunctionName="kept-fn")["Configuration"]["State"] == "Active"
    stack_id = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"][0]["StackId"]
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    assert any(e["LogicalResourceId"] == "Fn" and e["ResourceStatus"] == "DELETE_SKIPPED" for e in events)


def test_templates_code_and_buckets_live_in_lamina_s3(server, tmp_path):
    """With lamina's own S3: the template is read from `TemplateURL`, the code from `S3Bucket`, and an
    `AWS::S3::Bucket` is a real (versioned) bucket that goes with the stack."""
    s3 = server.client(service="s3")
    cfn = server.client(service="cloudformation")
    s3.create_bucket(Bucket="artifacts")
    shutil.copy(GO_FIXTURES.parent / "shell" / "bootstrap", tmp_path / "bootstrap")
    s3.put_object(Bucket="artifacts", Key="fn.zip", Body=make_zip({"bootstrap": (tmp_path / "bootstrap").read_text()}))
    body = json.loads(template("artifacts", "fn.zip"))
    body["Resources"]["Store"] = {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}}
    body["Outputs"]["Bucket"] = {"Value": {"Ref": "Store"}}
    body["Outputs"]["BucketArn"] = {"Value": {"Fn::GetAtt": ["Store", "Arn"]}}
    s3.put_object(Bucket="artifacts", Key="app/template.json", Body=json.dumps(body).encode())
    url = f"{server.endpoint}/artifacts/app/template.json"
    cfn.create_stack(StackName="ins3", TemplateURL=url, Capabilities=["CAPABILITY_IAM"])
    cfn.get_waiter("stack_create_complete").wait(StackName="ins3", WaiterConfig=WAIT)
    out = outputs(cfn.describe_stacks(StackName="ins3")["Stacks"][0])
    bucket = out["Bucket"]
    assert bucket.startswith("ins3-store-") and bucket == bucket.lower(), bucket
    assert out["BucketArn"] == f"arn:aws:s3:::{bucket}"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    answer = server.client().invoke(FunctionName=out["FunctionName"], Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == {"shell": True, "event": {}}
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        cfn.create_stack(StackName="nowhere", TemplateURL=f"{server.endpoint}/artifacts/missing.json")
    assert error_of(excinfo) == (
        400, "ValidationError", "TemplateURL must reference a valid S3 object to which you have access."
    )
    cfn.delete_stack(StackName="ins3")
    cfn.get_waiter("stack_delete_complete").wait(StackName="ins3", WaiterConfig=WAIT)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_the_guides_sam_path_sam_build_deploy_update_delete(server, tmp_path):
    """The guide's SAM route, with only AWS_ENDPOINT_URL pointing at lamina: `sam build`, `sam deploy
    --resolve-s3` (the SAM CLI's managed bucket stack, artifacts and template uploaded to lamina's S3,
    a change set), an update after a code change, `sam delete`."""
    sam = REPO / ".venv-sam" / "bin" / "sam"
    assert sam.exists(), "scripts/test installs the SAM CLI in .venv-sam"
    project = tmp_path / "sam-app"
    shutil.copytree(REPO / "tests" / "fixtures" / "sam", project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "SAM_CLI_TELEMETRY": "0",
            "AWS_ENDPOINT_URL": server.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
    )

    def run(*args):
        done = subprocess.run([str(sam), *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    deploy = ("deploy", "--resolve-s3", "--stack-name", "sam-app", "--capabilities", "CAPABILITY_IAM",
              "--no-confirm-changeset", "--no-fail-on-empty-changeset")
    run("build")
    out = run(*deploy)
    assert "Successfully created/updated stack - sam-app in us-east-1" in out, out
    cfn = server.client(service="cloudformation")
    managed = cfn.describe_stacks(StackName="aws-sam-cli-managed-default")["Stacks"][0]
    source_bucket = outputs(managed)["SourceBucket"]
    objects = server.client(service="s3").list_objects_v2(Bucket=source_bucket)["Contents"]
    assert any(o["Key"].endswith(".template") for o in objects), objects
    name = cfn.describe_stack_resource(StackName="sam-app", LogicalResourceId="HelloWorldFunction")[
        "StackResourceDetail"
    ]["PhysicalResourceId"]
    lam = server.client()
    answer = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert answer == {"message": "Hello World", "arch": "arm64"}

    main = project / "hello-world" / "main.go"
    main.write_text(main.read_text().replace('"Hello World"', '"Hello again"'))
    run("build")
    run(*deploy)
    assert cfn.describe_stacks(StackName="sam-app")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    answer = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert answer == {"message": "Hello again", "arch": "arm64"}

    run("delete", "--stack-name", "sam-app", "--no-prompts")
    with pytest.raises(botocore.exceptions.ClientError):
        lam.get_function(FunctionName=name)
    with pytest.raises(botocore.exceptions.ClientError):
        cfn.describe_stacks(StackName="sam-app")


def test_aws_cloudformation_package_then_deploy(server, tmp_path):
    """The guide's CloudFormation path with a local folder: `aws cloudformation package` zips it into
    lamina's S3 and rewrites the template; `aws cloudformation deploy` makes the function from there."""
    env = {"AWS_ENDPOINT_URL": server.endpoint, "AWS_DEFAULT_REGION": "us-east-1"}
    run_aws(["s3", "mb", "s3://packages"], env)
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(GO_FIXTURES.parent / "shell" / "bootstrap", src / "bootstrap")
    (src / "bootstrap").chmod(0o755)
    (tmp_path / "template.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Packaged:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      FunctionName: packaged\n"
        "      CodeUri: src/\n"
        "      Handler: bootstrap\n"
        "      Runtime: provided.al2023\n"
    )
    run_aws(["cloudformation", "package", "--template-file", "template.yaml", "--s3-bucket", "packages",
             "--output-template-file", "packaged.yaml"], env, cwd=tmp_path)
    assert "s3://packages/" in (tmp_path / "packaged.yaml").read_text()
    out = run_aws(["cloudformation", "deploy", "--template-file", "packaged.yaml", "--stack-name", "packaged",
                   "--capabilities", "CAPABILITY_IAM"], env, cwd=tmp_path)
    assert "Successfully created/updated stack - packaged" in out.stdout, out.stdout
    answer = server.client().invoke(FunctionName="packaged", Payload=b'{"via":"package"}')
    assert json.loads(answer["Payload"].read()) == {"shell": True, "event": {"via": "package"}}
