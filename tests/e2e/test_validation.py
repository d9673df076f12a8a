"""Validation from the service model, driven with boto3 (its own checks off where they would refuse first):
each operation's members are checked against the shapes of the Lambda model lamina carries, so the
patterns and bounds in the messages are the model's and the operations accept what the model accepts."""

import pytest

from conftest import create, model_shape

ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


@pytest.fixture
def raw(server):
    """A client that sends what it is given, as the model's checks are the server's to make."""
    return server.client(parameter_validation=False)


def test_delete_function_takes_the_names_the_model_takes(lam):
    """DeleteFunction's FunctionName is the model's NamespacedFunctionName: dots are a name, not an error."""
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.delete_function(FunctionName="with.dot")
    assert error_of(e) == ("ResourceNotFoundException", f"Function not found: {ARN}with.dot")
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.delete_function(FunctionName="with space")
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value 'with space' at 'functionName' failed to satisfy constraint: Member "
        f"must satisfy regular expression pattern: {model_shape('NamespacedFunctionName')['pattern']}",
    )
    create(lam, "plain")
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.update_function_configuration(FunctionName="plain.x", Description="d")
    assert error_of(e)[1].endswith(f"pattern: {model_shape('FunctionName')['pattern']}")


def test_several_members_are_one_message_in_the_models_order(raw):
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.update_function_configuration(FunctionName="bad name", Role="r1", Timeout=0, TracingConfig={"Mode": "On"})
    code, message = error_of(e)
    assert code == "ValidationException"
    assert message == (
        "4 validation errors detected: "
        "Value 'bad name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression "
        f"pattern: {model_shape('FunctionName')['pattern']}; "
        "Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        f"{model_shape('RoleArn')['pattern']}; "
        "Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1; "
        "Value 'On' at 'tracingConfig.mode' failed to satisfy constraint: Member must satisfy enum value set: "
        "[Active, PassThrough]"
    )


def test_required_members_are_named(raw):
    create(raw, "req")
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.put_function_concurrency(FunctionName="req")
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: "
        "Member must not be null",
    )
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_function(FunctionName="nocode", Role="arn:aws:iam::123456789012:role/r", Runtime="provided.al2023", Handler="b")
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value null at 'code' failed to satisfy constraint: Member must not be null",
    )
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.list_functions(MaxItems=0)
    assert error_of(e)[1] == (
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value "
        "greater than or equal to 1"
    )


def test_list_items_are_checked_against_their_shape(raw):
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.update_function_configuration(FunctionName="any", Layers=["not-a-layer"])
    layer = model_shape("LayerVersionArn")
    assert error_of(e)[1] == (
        "1 validation error detected: Value '[not-a-layer]' at 'layers' failed to satisfy constraint: Member must "
        f"satisfy constraint: [Member must have length less than or equal to {layer['max']}, Member must have "
        f"length greater than or equal to {layer['min']}, Member must satisfy regular expression pattern: "
        f"{layer['pattern']}, Member must not be null]"
    )
