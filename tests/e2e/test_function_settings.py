"""Per-function settings through boto3, stored and returned: recursion config, runtime management config,
code signing configs and the one a function uses; and event source mappings, answered as for an account
without any (lamina serves no queues or streams)."""

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, create

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"
PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/MyProfile/abcdef1234"


def error(excinfo):
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_recursion_config(lam):
    create(lam, "loop")
    assert lam.get_function_recursion_config(FunctionName="loop")["RecursiveLoop"] == "Terminate"
    assert lam.put_function_recursion_config(FunctionName="loop", RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName=f"{ARN}:loop")["RecursiveLoop"] == "Allow"
    with pytest.raises(ClientError) as e:
        lam.put_function_recursion_config(FunctionName="loop", RecursiveLoop="Sometimes")
    assert error(e) == (
        400,
        "ValidationException",
        "1 validation error detected: Value 'Sometimes' at 'recursiveLoop' failed to satisfy constraint: Member must "
        "satisfy enum value set: [Allow, Terminate]",
    )
    with pytest.raises(ClientError) as e:
        lam.get_function_recursion_config(FunctionName="loop:1")
    assert error(e)[:2] == (400, "ValidationException")
    with pytest.raises(ClientError) as e:
        lam.get_function_recursion_config(FunctionName="nothing")
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:nothing")


def test_runtime_management_config(lam):
    create(lam, "managed")
    default = lam.get_runtime_management_config(FunctionName="managed")
    assert default["UpdateRuntimeOn"] == "Auto" and default["FunctionArn"] == f"{ARN}:managed"
    assert "RuntimeVersionArn" not in default
    version_arn = "arn:aws:lambda:us-east-1::runtime:" + "a" * 64
    put = lam.put_runtime_management_config(FunctionName="managed", UpdateRuntimeOn="Manual", RuntimeVersionArn=version_arn)
    assert put["UpdateRuntimeOn"] == "Manual" and put["RuntimeVersionArn"] == version_arn
    assert lam.get_runtime_management_config(FunctionName="managed")["RuntimeVersionArn"] == version_arn
    lam.publish_version(FunctionName="managed")
    on_version = lam.get_runtime_management_config(FunctionName="managed", Qualifier="1")
    assert on_version["UpdateRuntimeOn"] == "Auto" and on_version["FunctionArn"] == f"{ARN}:managed:1"
    with pytest.raises(ClientError) as e:
        lam.put_runtime_management_config(FunctionName="managed", UpdateRuntimeOn="Never")
    assert error(e)[:2] == (400, "ValidationException")
    with pytest.raises(ClientError) as e:
        lam.get_runtime_management_config(FunctionName="managed", Qualifier="7")
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:managed:7")


def test_code_signing_configs(lam):
    created = lam.create_code_signing_config(
        Description="signed", AllowedPublishers={"SigningProfileVersionArns": [PROFILE]}
    )["CodeSigningConfig"]
    assert created["CodeSigningConfigId"].startswith("csc-") and len(created["CodeSigningConfigId"]) == 21
    arn = created["CodeSigningConfigArn"]
    assert arn == f"arn:aws:lambda:us-east-1:{ACCOUNT}:code-signing-config:{created['CodeSigningConfigId']}"
    assert created["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}
    assert created["AllowedPublishers"] == {"SigningProfileVersionArns": [PROFILE]}
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == created
    updated = lam.update_code_signing_config(
        CodeSigningConfigArn=arn, CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"}
    )["CodeSigningConfig"]
    assert updated["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Enforce"
    assert updated["Description"] == "signed"
    other = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [PROFILE]})["CodeSigningConfig"]
    listed = lam.list_code_signing_configs()["CodeSigningConfigs"]
    assert sorted(c["CodeSigningConfigArn"] for c in listed) == sorted([arn, other["CodeSigningConfigArn"]])

    create(lam, "signed")
    assert {k: v for k, v in lam.get_function_code_signing_config(FunctionName="signed").items() if k != "ResponseMetadata"} == {}
    put = lam.put_function_code_signing_config(FunctionName="signed", CodeSigningConfigArn=arn)
    assert put["CodeSigningConfigArn"] == arn and put["FunctionName"] == "signed"
    got = lam.get_function_code_signing_config(FunctionName="signed")
    assert got["CodeSigningConfigArn"] == arn and got["FunctionName"] == "signed"
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == [f"{ARN}:signed"]
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=other["CodeSigningConfigArn"])["FunctionArns"] == []
    lam.delete_function_code_signing_config(FunctionName="signed")
    assert "CodeSigningConfigArn" not in lam.get_function_code_signing_config(FunctionName="signed")
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == []

    lam.delete_code_signing_config(CodeSigningConfigArn=other["CodeSigningConfigArn"])
    missing = other["CodeSigningConfigArn"]
    with pytest.raises(ClientError) as e:
        lam.get_code_signing_config(CodeSigningConfigArn=missing)
    assert error(e) == (404, "ResourceNotFoundException", f"The Lambda code signing configuration {missing} can not be found.")
    with pytest.raises(ClientError) as e:
        lam.put_function_code_signing_config(FunctionName="signed", CodeSigningConfigArn=missing)
    assert error(e) == (
        404,
        "CodeSigningConfigNotFoundException",
        f"The code signing configuration cannot be found. Check that the provided configuration is not deleted: {missing}.",
    )
    with pytest.raises(ClientError) as e:
        lam.put_function_code_signing_config(FunctionName="nothing", CodeSigningConfigArn=arn)
    assert error(e) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:nothing")
    with pytest.raises(ClientError) as e:
        lam.get_code_signing_config(CodeSigningConfigArn="csc-123")
    assert error(e)[:2] == (400, "ValidationException")
    with pytest.raises(ClientError) as e:
        lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": ["not-an-arn"]})
    assert error(e)[:2] == (400, "ValidationException")



def test_create_function_binds_its_code_signing_config(lam):
    arn = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [PROFILE]})[
        "CodeSigningConfig"
    ]["CodeSigningConfigArn"]
    create(lam, "born-signed", CodeSigningConfigArn=arn)
    got = lam.get_function_code_signing_config(FunctionName="born-signed")
    assert got["CodeSigningConfigArn"] == arn and got["FunctionName"] == "born-signed"
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == [
        f"{ARN}:born-signed"
    ]

    lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    with pytest.raises(ClientError) as e:
        create(lam, "unsigned", CodeSigningConfigArn=arn)
    assert error(e) == (
        404,
        "CodeSigningConfigNotFoundException",
        f"The code signing configuration cannot be found. Check that the provided configuration is not deleted: {arn}.",
    )
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName="unsigned")
    assert error(e)[:2] == (404, "ResourceNotFoundException"), "the refused function was not created"
    with pytest.raises(ClientError) as e:
        create(lam, "unsigned", CodeSigningConfigArn="csc-123")
    assert error(e)[:2] == (400, "ValidationException")

def test_event_source_mappings_are_refused_clearly(lam):
    create(lam, "consumer")
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(
            FunctionName="consumer", EventSourceArn="arn:aws:sqs:us-east-1:123456789012:queue"
        )
    status, code, message = error(e)
    assert (status, code) == (400, "InvalidParameterValueException")
    assert "lamina serves no queues or streams" in message
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
    uuid = "a1b2c3d4-0000-0000-0000-000000000000"
    for call in [lam.get_event_source_mapping, lam.delete_event_source_mapping]:
        with pytest.raises(ClientError) as e:
            call(UUID=uuid)
        assert error(e) == (404, "ResourceNotFoundException", "The resource you requested does not exist.")
    with pytest.raises(ClientError) as e:
        lam.update_event_source_mapping(UUID=uuid, BatchSize=5)
    assert error(e)[:2] == (404, "ResourceNotFoundException")
