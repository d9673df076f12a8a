"""`lamina deploy` against a real `lamina serve`: SAM and CloudFormation templates (YAML and JSON), the plan
(create / update / unchanged / skipped), Go builds, parameters, errors that name the line, and the invoked
result checked with the AWS CLI."""

import io
import json
import os
import platform
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import GO_FIXTURES, REPO, lamina_binary, make_zip, run_aws

TEMPLATES = REPO / "tests" / "fixtures" / "templates"
HOST_ARCH = "x86_64" if platform.machine() == "x86_64" else "arm64"


def deploy(server, template, *args, check=True, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ENDPOINT_URL": server.endpoint, "AWS_REGION": "us-east-1"})
    result = subprocess.run(
        [str(lamina_binary()), "deploy", "-t", str(template), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"lamina deploy failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def plan_rows(stdout):
    """{logical id: (action, details)} from the plan table."""
    rows = {}
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.strip().startswith("ACTION"))
    for line in lines[header + 1 :]:
        if not line.startswith("  "):
            break
        cells = line.split()
        rows[cells[1]] = (cells[0], " ".join(cells[4:]))
    return rows


def invoke(server, name, tmp_path):
    out = tmp_path / f"{name}.json"
    run_aws(
        ["lambda", "invoke", "--function-name", name, str(out), "--endpoint-url", server.endpoint],
    )
    return json.loads(out.read_text())


SAM_GO = TEMPLATES / "sam-go" / "template.yaml"


def test_sam_go_template_creates_then_is_unchanged_then_updates(server, tmp_path):
    args = ["--stack-name", "demo", "--param", f"Arch={HOST_ARCH}"]
    dry = deploy(server, SAM_GO, *args, "--dry-run")
    assert plan_rows(dry.stdout)["EnvFunction"][0] == "create"
    assert "dry run: nothing changed" in dry.stdout
    assert not server.client().list_functions()["Functions"]

    first = deploy(server, SAM_GO, *args)
    rows = plan_rows(first.stdout)
    assert rows["EnvFunction"][0] == "create"
    assert rows["EchoFunction"][0] == "create"
    assert rows["ProdOnlyFunction"] == ("skipped", "condition IsProd is false")
    assert rows["Queue"] == ("skipped", "lamina does not deploy this type")
    assert "note: EnvFunction: lamina does not apply Events" in first.stdout
    assert "deployed: 2 created, 0 updated, 0 unchanged, 2 skipped" in first.stdout
    assert "  EnvFunctionArn = arn:aws:lambda:us-east-1:000000000000:function:demo-env\n" in first.stdout
    assert "  EchoFunctionName = demo-echo\n" in first.stdout
    assert "  ApiUrl = (not evaluated: unresolved reference 'ServerlessHttpApi'" in first.stdout

    env = invoke(server, "demo-env", tmp_path)
    assert env["GREETING"] == "hello"
    assert env["STAGE"] == "dev"
    assert env["ECHO_ARN"] == "arn:aws:lambda:us-east-1:000000000000:function:demo-echo"
    assert env["WHERE"] == "us-east-1/000000000000/aws"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    lam = server.client()
    conf = lam.get_function(FunctionName="demo-env")["Configuration"]
    assert conf["Description"] == "Returns its environment"
    assert conf["Timeout"] == 10
    assert conf["Architectures"] == [HOST_ARCH]
    assert conf["Role"] == "arn:aws:iam::000000000000:role/EnvFunctionRole"
    assert lam.get_function_concurrency(FunctionName="demo-echo")["ReservedConcurrentExecutions"] == 2
    event = {"hello": "deploy"}
    out = tmp_path / "echo.json"
    run_aws(
        ["lambda", "invoke", "--function-name", "demo-echo", "--payload", json.dumps(event), str(out),
         "--endpoint-url", server.endpoint]
    )
    assert json.loads(out.read_text()) == event

    # The Go build is reproducible: the same sources give the same CodeSha256.
    again = deploy(server, SAM_GO, *args)
    rows = plan_rows(again.stdout)
    assert rows["EnvFunction"] == ("unchanged", "")
    assert rows["EchoFunction"] == ("unchanged", "")
    assert "deployed: 0 created, 0 updated, 2 unchanged, 2 skipped" in again.stdout
    assert "UpdateFunction" not in again.stdout

    # A parameter changes one function's environment only.
    changed = deploy(server, SAM_GO, *args, "--param", "Greeting=bonjour")
    rows = plan_rows(changed.stdout)
    assert rows["EnvFunction"] == ("update", "Environment")
    assert rows["EchoFunction"] == ("unchanged", "")
    assert "EnvFunction: UpdateFunctionConfiguration demo-env ... Active" in changed.stdout
    assert invoke(server, "demo-env", tmp_path)["GREETING"] == "bonjour"

    # The condition turns on: a third function, more memory, STAGE everywhere.
    prod = deploy(server, SAM_GO, *args, "--param", "Greeting=bonjour", "--param", "Stage=prod")
    rows = plan_rows(prod.stdout)
    assert rows["ProdOnlyFunction"][0] == "create"
    assert rows["EnvFunction"] == ("update", "MemorySize, Environment")
    assert rows["EchoFunction"] == ("update", "Environment")
    assert invoke(server, "demo-env", tmp_path)["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert lam.get_function(FunctionName="ProdOnlyFunction")["Configuration"]["State"] == "Active"


def test_parameters_are_checked(server):
    bad = deploy(server, SAM_GO, "--param", "Stage=test", check=False)
    assert bad.returncode == 1
    assert "template.yaml:9:20: Parameter 'Stage' must be one of AllowedValues (dev, prod); got 'test'" in bad.stderr
    unknown = deploy(server, SAM_GO, "--param", "Nope=1", check=False)
    assert unknown.returncode == 1
    assert "--param Nope: the template has no parameter 'Nope'" in unknown.stderr
    assert not server.client().list_functions()["Functions"]


def test_cloudformation_json_with_a_zip_and_inline_code(server, tmp_path, go_zip):
    (tmp_path / "echo.zip").write_bytes(go_zip("echo", HOST_ARCH))
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Prefix": {"Type": "String", "Default": "cfn"}},
        "Mappings": {"Sizes": {"us-east-1": {"Memory": "192"}}},
        "Resources": {
            "Echo": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": {"Fn::Sub": "${Prefix}-echo"},
                    "Runtime": "provided.al2023",
                    "Handler": "bootstrap",
                    "Role": {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "AWS::AccountId"}, ":role/cfn"]]},
                    "Architectures": [HOST_ARCH],
                    "MemorySize": {"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Memory"]},
                    "EphemeralStorage": {"Size": 1024},
                    "Code": "echo.zip",
                    "Environment": {"Variables": {"SPLIT": {"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}}},
                },
            },
            "Inline": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["InlineRole", "Arn"]},
                    "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
                },
            },
            "InlineRole": {"Type": "AWS::IAM::Role", "Properties": {}},
        },
    }
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(template, indent=2))
    first = deploy(server, path)
    rows = plan_rows(first.stdout)
    assert rows["Echo"][0] == "create"
    assert rows["Inline"][0] == "create"
    assert rows["InlineRole"] == ("skipped", "lamina does not deploy this type")
    assert "note: !GetAtt InlineRole.Arn stands for 'arn:aws:iam::000000000000:role/InlineRole'" in first.stdout

    lam = server.client()
    conf = lam.get_function(FunctionName="cfn-echo")["Configuration"]
    assert conf["Role"] == "arn:aws:iam::000000000000:role/cfn"
    assert conf["MemorySize"] == 192
    assert conf["EphemeralStorage"] == {"Size": 1024}
    assert conf["Environment"]["Variables"] == {"SPLIT": "b"}
    event = {"from": "cloudformation"}
    assert json.loads(lam.invoke(FunctionName="cfn-echo", Payload=json.dumps(event))["Payload"].read()) == event
    inline = lam.get_function(FunctionName="Inline")
    assert inline["Configuration"]["Role"] == "arn:aws:iam::000000000000:role/InlineRole"
    import urllib.request

    with urllib.request.urlopen(inline["Code"]["Location"]) as r:
        names = zipfile.ZipFile(io.BytesIO(r.read())).namelist()
    assert names == ["index.py"]

    again = deploy(server, path)
    assert {a for a, _ in plan_rows(again.stdout).values()} == {"unchanged", "skipped"}


def broken_function(code):
    """A template of one function, `Broken`, with `code` as its `Code`."""
    return {
        "Resources": {
            "Broken": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "provided.al2023",
                    "Handler": "bootstrap",
                    "Role": "arn:aws:iam::000000000000:role/r",
                    "Code": code,
                },
            },
        },
    }


def test_the_plan_warns_about_a_package_that_cannot_start(server, tmp_path):
    (tmp_path / "broken.zip").write_bytes(make_zip(mode=0o644))
    template = broken_function("broken.zip")
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(template))
    dry = deploy(server, path, "--dry-run")
    warnings = [line for line in dry.stdout.splitlines() if line.startswith("warning: Broken: ")]
    assert len(warnings) == 1 and "permission denied" in warnings[0] and "chmod 755" in warnings[0], dry.stdout
    # Accepted as Lambda accepts it: the warning does not stop the deploy.
    applied = deploy(server, path)
    assert any(line.startswith("warning: Broken: ") for line in applied.stdout.splitlines()), applied.stdout
    assert server.client().get_function(FunctionName="Broken")["Configuration"]["State"] == "Active"


def test_a_bad_template_names_the_line(server, tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: .\n"
        "      Runtime: provided.al2023\n"
        "      Handler: !Reff Nope\n"
    )
    result = deploy(server, path, check=False)
    assert result.returncode == 1
    assert f"{path}:7:16: unknown tag '!Reff'" in result.stderr

    path.write_text("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: [a, b\n")
    result = deploy(server, path, check=False)
    assert result.returncode == 1
    assert f"{path}:6:" in result.stderr, result.stderr

    path.write_text(
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: .\n"
        "      Runtime: provided.al2023\n"
        "      Environment:\n"
        "        Variables:\n"
        "          A: !GetAtt Missing.Arn\n"
    )
    result = deploy(server, path, check=False)
    assert result.returncode == 1
    assert f"{path}:9:14: Fn::GetAtt: there is no resource 'Missing' in the template" in result.stderr

    json_path = tmp_path / "template.json"
    json_path.write_text('{\n  "Resources": {\n    "Fn": {"Type": "AWS::Lambda::Function",}\n  }\n}\n')
    result = deploy(server, json_path, check=False)
    assert result.returncode == 1
    assert f"{json_path}:3:" in result.stderr and "invalid JSON" in result.stderr


def test_two_resources_cannot_share_a_function_name(server, tmp_path):
    (tmp_path / "f.zip").write_bytes(make_zip())
    path = tmp_path / "template.yaml"
    path.write_text(
        "Globals:\n  Function:\n    CodeUri: f.zip\n    Runtime: provided.al2023\n    Handler: bootstrap\n"
        "Resources:\n"
        "  A:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: same\n"
        "  B:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: same\n"
    )
    result = deploy(server, path, check=False)
    assert result.returncode == 1
    assert "A and B would both be the function 'same'" in result.stderr
    assert not server.client().list_functions()["Functions"]


def test_api_errors_are_shown_verbatim(server, tmp_path):
    (tmp_path / "f.zip").write_bytes(make_zip())
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Old:\n"
        "    Type: AWS::Lambda::Function\n"
        "    Properties:\n"
        "      Runtime: go1.x\n"
        "      Handler: bootstrap\n"
        "      Code: f.zip\n"
    )
    result = deploy(server, path, check=False)
    assert result.returncode == 1
    assert "Old: CreateFunction Old ... failed\n" in result.stdout
    assert (
        "CreateFunction failed: InvalidParameterValueException (400): The runtime parameter of go1.x is no longer "
        "supported for creating or updating AWS Lambda functions." in result.stderr
    )


def test_sam_build_output(server, tmp_path, go_zip):
    """What `sam build` writes for a go1.x function (as SAM CLI 1.170 writes it): .aws-sam/build/template.yaml
    whose CodeUri points at a folder holding only `bootstrap`, with the Metadata kept and SamResourceId
    added. Hand-made here (the bootstrap comes from `lamina build`), so it runs without the SAM CLI."""
    project = tmp_path / "hello-app"
    build = project / ".aws-sam" / "build"
    function_dir = build / "HelloFunction"
    function_dir.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(go_zip("echo", HOST_ARCH))) as z:
        (function_dir / "bootstrap").write_bytes(z.read("bootstrap"))
    (function_dir / "bootstrap").chmod(0o755)
    (build / "template.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Transform: AWS::Serverless-2016-10-31\n"
        "Globals:\n"
        "  Function:\n"
        "    Timeout: 5\n"
        "Resources:\n"
        "  HelloFunction:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Metadata:\n"
        "      BuildMethod: go1.x\n"
        "      SamResourceId: HelloFunction\n"
        "    Properties:\n"
        "      CodeUri: HelloFunction\n"
        "      Handler: bootstrap\n"
        "      Runtime: provided.al2023\n"
        f"      Architectures:\n      - {HOST_ARCH}\n"
    )
    result = deploy(server, ".aws-sam/build/template.yaml", cwd=project)
    assert "building" not in result.stdout
    assert "Stack hello-app from .aws-sam/build/template.yaml" in result.stdout
    assert plan_rows(result.stdout)["HelloFunction"][0] == "create"
    lam = server.client()
    assert json.loads(lam.invoke(FunctionName="HelloFunction", Payload=b'{"sam": 1}')["Payload"].read()) == {"sam": 1}
    again = deploy(server, ".aws-sam/build/template.yaml", cwd=project)
    assert plan_rows(again.stdout)["HelloFunction"] == ("unchanged", "")


def test_layers_are_published_once_and_referenced(server, tmp_path):
    """Two layers, one of them the custom runtime (`/opt/bootstrap`), the other a tool in `/opt/bin`; the
    function's own code has no bootstrap. Unchanged content publishes nothing; changed content publishes a
    new version and moves the function to it."""
    layer_dir = tmp_path / "tools" / "bin"
    layer_dir.mkdir(parents=True)
    (layer_dir / "tool").write_text("#!/bin/sh\necho tool\n")
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "shell" / "bootstrap", runtime_dir / "bootstrap")
    (tmp_path / "f.zip").write_bytes(make_zip({"data.txt": "no bootstrap in here\n"}, mode=0o644))
    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Tools:\n"
        "    Type: AWS::Serverless::LayerVersion\n"
        "    Properties:\n"
        "      LayerName: tools\n"
        "      ContentUri: tools\n"
        "      CompatibleRuntimes: [provided.al2023]\n"
        "  Runtime:\n"
        "    Type: AWS::Lambda::LayerVersion\n"
        "    Properties:\n"
        "      LayerName: shell-runtime\n"
        "      Content: runtime\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: f.zip\n"
        "      Runtime: provided.al2023\n"
        "      Handler: bootstrap\n"
        "      Layers: [!Ref Tools, !Ref Runtime]\n"
    )
    first = deploy(server, path)
    rows = plan_rows(first.stdout)
    arn = "arn:aws:lambda:us-east-1:000000000000:layer:tools:1"
    runtime_arn = "arn:aws:lambda:us-east-1:000000000000:layer:shell-runtime:1"
    assert rows["Tools"][0] == "create" and rows["Tools"][1].startswith(arn)
    assert rows["Runtime"][0] == "create" and rows["Runtime"][1].startswith(runtime_arn)
    lam = server.client()
    assert [l["Arn"] for l in lam.get_function(FunctionName="Fn")["Configuration"]["Layers"]] == [arn, runtime_arn]
    assert invoke(server, "Fn", tmp_path) == {"shell": True, "event": {}}
    again = deploy(server, path)
    assert plan_rows(again.stdout)["Tools"] == ("unchanged", arn)
    assert plan_rows(again.stdout)["Fn"] == ("unchanged", "")
    (layer_dir / "tool").write_text("#!/bin/sh\necho tool v2\n")
    changed = deploy(server, path)
    rows = plan_rows(changed.stdout)
    assert rows["Tools"][0] == "update"
    assert rows["Fn"] == ("update", "Layers")
    assert [l["Arn"] for l in lam.get_function(FunctionName="Fn")["Configuration"]["Layers"]] == [
        arn[:-1] + "2",
        runtime_arn,
    ]
    assert invoke(server, "Fn", tmp_path) == {"shell": True, "event": {}}


def test_cloudformation_template_with_code_in_s3(s3_server, s3_store, tmp_path):
    """`AWS::Lambda::Function` with `Code: {S3Bucket, S3Key, S3ObjectVersion}` and a SAM function with an
    `s3://` CodeUri, both fetched by the server from the S3 store."""
    bucket = s3_store.new_bucket(versioned=True)
    package = tmp_path / "function.zip"
    shutil.copy(GO_FIXTURES.parent / "shell" / "bootstrap", tmp_path / "bootstrap")
    package.write_bytes(make_zip({"bootstrap": (tmp_path / "bootstrap").read_text()}))
    s3_store.aws(["s3", "cp", str(package), f"s3://{bucket}/builds/function.zip"])
    version = json.loads(s3_store.aws(["s3api", "head-object", "--bucket", bucket, "--key", "builds/function.zip"]).stdout)[
        "VersionId"
    ]
    path = tmp_path / "template.json"
    path.write_text(
        json.dumps(
            {
                "AWSTemplateFormatVersion": "2010-09-09",
                "Parameters": {"CodeBucket": {"Type": "String"}},
                "Resources": {
                    "FromS3": {
                        "Type": "AWS::Lambda::Function",
                        "Properties": {
                            "PackageType": "Zip",
                            "Runtime": "provided.al2023",
                            "Handler": "bootstrap",
                            "Role": "arn:aws:iam::000000000000:role/lambda-ex",
                            "Code": {
                                "S3Bucket": {"Ref": "CodeBucket"},
                                "S3Key": "builds/function.zip",
                                "S3ObjectVersion": version,
                            },
                        },
                    },
                    "FromUri": {
                        "Type": "AWS::Serverless::Function",
                        "Properties": {
                            "CodeUri": {"Fn::Sub": "s3://${CodeBucket}/builds/function.zip"},
                            "Runtime": "provided.al2023",
                            "Handler": "bootstrap",
                        },
                    },
                },
            },
            indent=2,
        )
    )
    deploy(s3_server, path, "--param", f"CodeBucket={bucket}")
    lam = s3_server.client()
    for name in ["FromS3", "FromUri"]:
        out = lam.invoke(FunctionName=name, Payload=b'{"from":"s3"}')
        assert json.loads(out["Payload"].read()) == {"shell": True, "event": {"from": "s3"}}
    missing = deploy(s3_server, path, "--param", "CodeBucket=no-such-bucket", check=False)
    assert missing.returncode != 0
    assert (
        "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does "
        "not exist" in missing.stderr
    ), missing.stderr


def test_the_server_s_findings_about_a_package_in_s3_are_shown(s3_server, s3_store, tmp_path):
    """A package in S3 is inspected by the server, not by `lamina deploy`: what the server found (here a
    `bootstrap` without its execute bit) is printed after the step that sent it."""
    bucket = s3_store.new_bucket()
    (tmp_path / "broken.zip").write_bytes(make_zip(mode=0o644))
    s3_store.aws(["s3", "cp", str(tmp_path / "broken.zip"), f"s3://{bucket}/broken.zip"])
    template = broken_function({"S3Bucket": bucket, "S3Key": "broken.zip"})
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(template))
    # The plan cannot know: the object is read by the server.
    dry = deploy(s3_server, path, "--dry-run")
    assert not [line for line in dry.stdout.splitlines() if line.startswith("warning:")], dry.stdout
    created = deploy(s3_server, path)
    lines = created.stdout.splitlines()
    step = next(i for i, line in enumerate(lines) if "CreateFunction Broken" in line)
    warnings = [line for line in lines[step + 1 :] if line.startswith("warning: Broken: ")]
    assert len(warnings) == 1 and "bootstrap" in warnings[0] and "chmod 755" in warnings[0], created.stdout
    assert s3_server.client().get_function(FunctionName="Broken")["Configuration"]["State"] == "Active"

    # The same on an update of the code (a new key), and nothing for a package the server finds fine.
    s3_store.aws(["s3", "cp", str(tmp_path / "broken.zip"), f"s3://{bucket}/broken-2.zip"])
    template["Resources"]["Broken"]["Properties"]["Code"]["S3Key"] = "broken-2.zip"
    path.write_text(json.dumps(template))
    updated = deploy(s3_server, path)
    assert [line for line in updated.stdout.splitlines() if line.startswith("warning: Broken: ")], updated.stdout
    (tmp_path / "fine.zip").write_bytes(make_zip())
    s3_store.aws(["s3", "cp", str(tmp_path / "fine.zip"), f"s3://{bucket}/fine.zip"])
    template["Resources"]["Broken"]["Properties"]["Code"]["S3Key"] = "fine.zip"
    path.write_text(json.dumps(template))
    fixed = deploy(s3_server, path)
    assert "UpdateFunctionCode Broken" in fixed.stdout, fixed.stdout
    assert not [line for line in fixed.stdout.splitlines() if line.startswith("warning:")], fixed.stdout


SAM_EXAMPLE = REPO / "tests" / "fixtures" / "sam"


def test_the_sam_example_of_the_go_guide_directly_and_after_a_real_sam_build(server, tmp_path):
    """AWS's SAM example for Go (HelloWorldFunction, `BuildMethod: go1.x`, `CodeUri: hello-world/`,
    provided.al2023, arm64): deployed by `lamina deploy` from the sources, then again after a real
    `sam build`, and invoked each time: on an x86_64 host it runs under qemu-user in the sandbox."""
    project = tmp_path / "sam-app"
    shutil.copytree(SAM_EXAMPLE, project)
    lam = server.client()

    direct = deploy(server, "template.yaml", cwd=project)
    assert plan_rows(direct.stdout)["HelloWorldFunction"][0] == "create"
    config = lam.get_function_configuration(FunctionName="HelloWorldFunction")
    assert config["Architectures"] == ["arm64"] and config["Runtime"] == "provided.al2023"
    answer = invoke(server, "HelloWorldFunction", tmp_path)
    assert answer == {"message": "Hello World", "arch": "arm64"}

    sam = REPO / ".venv-sam" / "bin" / "sam"
    assert sam.exists(), "scripts/test installs the SAM CLI in .venv-sam"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["SAM_CLI_TELEMETRY"] = "0"
    built = subprocess.run([str(sam), "build"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    after = deploy(server, ".aws-sam/build/template.yaml", cwd=project)
    assert "building" not in after.stdout
    assert plan_rows(after.stdout)["HelloWorldFunction"][0] in ("update", "unchanged")
    assert invoke(server, "HelloWorldFunction", tmp_path) == {"message": "Hello World", "arch": "arm64"}

    # Without -t, what `sam build` wrote is picked, as `sam deploy` does.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ENDPOINT_URL": server.endpoint, "AWS_REGION": "us-east-1"})
    again = subprocess.run(
        [str(lamina_binary()), "deploy"], capture_output=True, text=True, env=env, cwd=project, check=True
    )
    assert "Stack sam-app from .aws-sam/build/template.yaml" in again.stdout
    assert plan_rows(again.stdout)["HelloWorldFunction"] == ("unchanged", "")
