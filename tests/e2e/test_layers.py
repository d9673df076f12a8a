"""Layers against a real `lamina serve`: the six layer operations with the AWS CLI and boto3 (shapes and
errors), a function's `Layers` (AWS's messages), `/opt` stacked in order, `/opt/bootstrap` when the
function has none, and the 250 MB unzipped limit over a function and its layers together."""

import base64
import hashlib
import io
import json
import os
import urllib.request
import zipfile

import botocore.exceptions
import pytest

from conftest import ROLE, WAIT, Server, create, make_zip, model_shape, run_aws, wait_updated

LAYER_ARN = "arn:aws:lambda:us-east-1:000000000000:layer:"

# A custom runtime in shell (curl over the Runtime API) that answers every event with the files it reads
# from its layers: `/opt` in a sandbox; in process isolation, where there is no mount namespace, the
# directory lamina names in LAMINA_OPT_DIR.
READER = """#!/bin/sh
set -eu
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
if [ "${READ_FROM:-opt}" = process ]; then opt=$LAMINA_OPT_DIR; else opt=/opt; fi
headers=$(mktemp)
while true; do
    curl -sS -D "$headers" -o /dev/null "$api/invocation/next"
    request_id=$(sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p' "$headers" | tr -d '\\r')
    data=$(cat "$opt/data.txt")
    only_a=$(cat "$opt/only-a.txt" 2>/dev/null || echo missing)
    printf '{"data":"%s","onlyA":"%s","opt":"%s","bootstrap":"%s"}' "$data" "$only_a" "$opt" "$0" |
        curl -sS -o /dev/null -X POST --data-binary @- "$api/invocation/$request_id/response"
done
"""


def sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def publish(lam, name, zip_bytes=None, **kwargs):
    return lam.publish_layer_version(
        LayerName=name, Content={"ZipFile": zip_bytes if zip_bytes is not None else make_zip({"a.txt": "a"})}, **kwargs
    )


def invoke_json(lam, name):
    out = lam.invoke(FunctionName=name, Payload=b"{}")
    body = out["Payload"].read()
    assert "FunctionError" not in out, body
    return json.loads(body)


def zeros_zip(name: str, size: int, extra=None) -> bytes:
    """A zip of `size` zero bytes (a few hundred KB compressed) plus `extra` files."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for file_name, content in (extra or {}).items():
            info = zipfile.ZipInfo(file_name, date_time=(2020, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (0o100755) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content)
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.create_system = 3
        info.external_attr = (0o100644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            chunk = bytes(1 << 20)
            left = size
            while left:
                n = min(left, len(chunk))
                f.write(chunk[:n])
                left -= n
    return buf.getvalue()


# --- The six operations ---------------------------------------------------------------------------


def test_publish_get_list_and_delete_with_the_cli(server, tmp_path):
    zip_bytes = make_zip({"lib/data.txt": "hello"})
    path = tmp_path / "layer.zip"
    path.write_bytes(zip_bytes)
    endpoint = ["--endpoint-url", server.endpoint, "--output", "json"]
    out = json.loads(
        run_aws(
            ["lambda", "publish-layer-version", "--layer-name", "cli-layer", "--zip-file", f"fileb://{path}",
             "--description", "from the CLI", "--compatible-runtimes", "provided.al2023", "python3.12",
             "--compatible-architectures", "x86_64", "arm64", "--license-info", "MIT"] + endpoint
        ).stdout
    )
    assert set(out) == {
        "Content", "LayerArn", "LayerVersionArn", "Description", "CreatedDate", "Version", "CompatibleRuntimes",
        "LicenseInfo", "CompatibleArchitectures",
    }
    assert out["LayerArn"] == LAYER_ARN + "cli-layer"
    assert out["LayerVersionArn"] == LAYER_ARN + "cli-layer:1"
    assert out["Version"] == 1
    assert (out["Description"], out["LicenseInfo"]) == ("from the CLI", "MIT")
    assert out["CompatibleRuntimes"] == ["provided.al2023", "python3.12"]
    assert out["CompatibleArchitectures"] == ["x86_64", "arm64"]
    assert set(out["Content"]) == {"Location", "CodeSha256", "CodeSize"}
    assert out["Content"]["CodeSha256"] == sha(zip_bytes)
    assert out["Content"]["CodeSize"] == len(zip_bytes)
    with urllib.request.urlopen(out["Content"]["Location"]) as r:
        assert r.read() == zip_bytes

    got = json.loads(
        run_aws(["lambda", "get-layer-version", "--layer-name", "cli-layer", "--version-number", "1"] + endpoint).stdout
    )
    by_arn = json.loads(
        run_aws(["lambda", "get-layer-version-by-arn", "--arn", LAYER_ARN + "cli-layer:1"] + endpoint).stdout
    )

    def unsigned(answer):
        """The answer with its Location cut at the query: each one is presigned when it is made."""
        location = answer["Content"]["Location"]
        assert "X-Amz-Signature=" in location
        return {**answer, "Content": {**answer["Content"], "Location": location.split("?")[0]}}

    assert unsigned(got) == unsigned(out)
    assert unsigned(by_arn) == unsigned(out)
    listed = json.loads(run_aws(["lambda", "list-layers"] + endpoint).stdout)
    assert listed["Layers"] == [
        {
            "LayerName": "cli-layer",
            "LayerArn": LAYER_ARN + "cli-layer",
            "LatestMatchingVersion": {k: v for k, v in out.items() if k not in ("Content", "LayerArn")},
        }
    ]
    versions = json.loads(run_aws(["lambda", "list-layer-versions", "--layer-name", "cli-layer"] + endpoint).stdout)
    assert [v["Version"] for v in versions["LayerVersions"]] == [1]
    run_aws(["lambda", "delete-layer-version", "--layer-name", "cli-layer", "--version-number", "1"] + endpoint)
    missing = run_aws(
        ["lambda", "get-layer-version", "--layer-name", "cli-layer", "--version-number", "1"] + endpoint, check=False
    )
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr
    assert "The resource you requested does not exist." in missing.stderr


def test_versions_count_up_are_never_reused_and_filter(lam):
    first = publish(lam, "lib", CompatibleRuntimes=["python3.12"], CompatibleArchitectures=["x86_64"])
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    bare = publish(lam, "lib", make_zip({"b.txt": "b"}))
    # Members not given are absent, not null or empty.
    for member in ("Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
        assert member not in bare, member
    assert bare["Version"] == 2
    # A layer ARN is a LayerName too.
    third = publish(lam, LAYER_ARN + "lib", CompatibleRuntimes=["provided.al2023"])
    assert third["Version"] == 3

    versions = lam.list_layer_versions(LayerName="lib")["LayerVersions"]
    assert [v["Version"] for v in versions] == [3, 2, 1], "newest first"
    assert set(versions[0]) == {"LayerVersionArn", "Version", "CreatedDate", "CompatibleRuntimes"}
    python = lam.list_layer_versions(LayerName="lib", CompatibleRuntime="python3.12")["LayerVersions"]
    assert [v["Version"] for v in python] == [1]
    page = lam.list_layer_versions(LayerName="lib", MaxItems=2)
    assert [v["Version"] for v in page["LayerVersions"]] == [3, 2]
    rest = lam.list_layer_versions(LayerName="lib", MaxItems=2, Marker=page["NextMarker"])
    assert [v["Version"] for v in rest["LayerVersions"]] == [1]
    assert "NextMarker" not in rest
    assert lam.list_layer_versions(LayerName="nobody")["LayerVersions"] == []

    publish(lam, "other", CompatibleArchitectures=["arm64"])
    layers = lam.list_layers()["Layers"]
    assert [(l["LayerName"], l["LatestMatchingVersion"]["Version"]) for l in layers] == [("lib", 3), ("other", 1)]
    by_runtime = lam.list_layers(CompatibleRuntime="python3.12")["Layers"]
    assert [(l["LayerName"], l["LatestMatchingVersion"]["Version"]) for l in by_runtime] == [("lib", 1)]
    by_arch = lam.list_layers(CompatibleArchitecture="arm64")["Layers"]
    assert [l["LayerName"] for l in by_arch] == ["other"]
    page = lam.list_layers(MaxItems=1)
    assert [l["LayerName"] for l in page["Layers"]] == ["lib"]
    assert [l["LayerName"] for l in lam.list_layers(Marker=page["NextMarker"])["Layers"]] == ["other"]

    deleted = lam.delete_layer_version(LayerName="lib", VersionNumber=3)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    lam.delete_layer_version(LayerName="lib", VersionNumber=3)  # idempotent
    assert publish(lam, "lib")["Version"] == 4, "a deleted version's number is not reused"


def test_layers_of_another_region_are_separate(server):
    east, west = server.client(), server.client(region="eu-west-1")
    publish(east, "lib")
    assert west.list_layers()["Layers"] == []
    assert publish(west, "lib")["LayerVersionArn"] == "arn:aws:lambda:eu-west-1:000000000000:layer:lib:1"


def test_layer_operation_errors(lam):
    publish(lam, "lib")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_layer_version(LayerName="lib", VersionNumber=9)
    assert error_of(e) == ("ResourceNotFoundException", "The resource you requested does not exist.")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_layer_version_by_arn(Arn=LAYER_ARN + "nobody:1")
    assert error_of(e) == ("ResourceNotFoundException", "The resource you requested does not exist.")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.get_layer_version(LayerName="lib", VersionNumber=0)
    assert error_of(e) == ("InvalidParameterValueException", "Layer Version Cannot be less than 1")
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.get_layer_version_by_arn(Arn=LAYER_ARN + "lib")
    code, message = error_of(e)
    assert code == "ValidationException"
    assert message == (
        f"1 validation error detected: Value '{LAYER_ARN}lib' at 'arn' failed to satisfy constraint: Member must "
        f"satisfy regular expression pattern: {model_shape('LayerVersionArn')['pattern']}"
    ), message
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.list_layers(CompatibleRuntime="runtimedoesnotexist")
    code, message = error_of(e)
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'runtimedoesnotexist' at 'compatibleRuntime' failed to satisfy "
        "constraint: Member must satisfy enum value set: ["
    ), message
    assert "nodejs4.3-edge" in message, "the layer enum includes retired runtimes"
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.list_layer_versions(LayerName="lib", CompatibleArchitecture="archdoesnotexist")
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value 'archdoesnotexist' at 'compatibleArchitecture' failed to satisfy "
        "constraint: Member must satisfy enum value set: [x86_64, arm64]",
    )
    with pytest.raises(lam.exceptions.ClientError) as e:
        publish(lam, "lib", CompatibleRuntimes=["python3.12", "cobol"], CompatibleArchitectures=["sparc"])
    code, message = error_of(e)
    assert code == "ValidationException"
    assert message.startswith(
        "2 validation errors detected: Value '[python3.12, cobol]' at 'compatibleRuntimes' failed to satisfy "
        "constraint: Member must satisfy enum value set: ["
    ), message
    assert message.endswith(
        "Value '[sparc]' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy "
        "constraint: [Member must satisfy enum value set: [x86_64, arm64]]"
    ), message
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        publish(lam, "broken", b"not a zip")
    assert error_of(e)[1] == "Could not unzip uploaded file. Please check your file, then try to upload again."
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.publish_layer_version(LayerName="nothing", Content={})
    assert error_of(e)[1] == "Please provide a source for layer content."


def test_account_settings_count_layers(lam):
    before = lam.get_account_settings()["AccountUsage"]["TotalCodeSize"]
    size = publish(lam, "lib")["Content"]["CodeSize"]
    assert lam.get_account_settings()["AccountUsage"]["TotalCodeSize"] == before + size


# --- Functions with layers ------------------------------------------------------------------------


def test_function_layer_errors(lam):
    arns = [publish(lam, f"l{i}")["LayerVersionArn"] for i in range(6)]
    cases = [
        (arns, "Cannot reference more than 5 layers."),
        (
            ["arn:aws:lambda:eu-west-1:000000000000:layer:l0:1"],
            "Layers are not in the same region as the function. Layers are expected to be in region us-east-1.",
        ),
        ([LAYER_ARN + "doesnotexist:1"], f"Layer version {LAYER_ARN}doesnotexist:1 does not exist."),
        (
            [arns[0], LAYER_ARN + "l0:2"],
            "Two different versions of the same layer are not allowed to be referenced in the same function. "
            f"{arns[0]} and {LAYER_ARN}l0:2 are versions of the same layer.",
        ),
    ]
    for layers, message in cases:
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
            create(lam, "f", wait=False, Layers=layers)
        assert error_of(e) == ("InvalidParameterValueException", message)
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(lam, "f", wait=False, Layers=[LAYER_ARN + "l0"])
    code, message = error_of(e)
    assert code == "ValidationException"
    assert f"Value '[{LAYER_ARN}l0]' at 'layers' failed to satisfy constraint" in message, message

    create(lam, "f")
    for layers, message in cases:
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
            lam.update_function_configuration(FunctionName="f", Layers=layers)
        assert error_of(e) == ("InvalidParameterValueException", message)
    assert "Layers" not in lam.get_function_configuration(FunctionName="f"), "no Layers member without layers"


def sandboxed(server) -> bool:
    return any("isolation:" in line and "SANDBOX" in line for line in server.log().splitlines())


@pytest.mark.parametrize("isolation", ["server", "process_server"])
def test_opt_stacks_the_layers_in_order(request, isolation):
    srv = request.getfixturevalue(isolation)
    lam = srv.client()
    a = publish(lam, "a", make_zip({"data.txt": "from a", "only-a.txt": "a alone"}))
    b = publish(lam, "b", make_zip({"data.txt": "from b"}))
    extra = {} if sandboxed(srv) else {"Environment": {"Variables": {"READ_FROM": "process"}}}
    out = create(
        lam, "reader", make_zip({"bootstrap": READER}), Layers=[a["LayerVersionArn"], b["LayerVersionArn"]], **extra
    )
    assert out["Layers"] == [
        {"Arn": a["LayerVersionArn"], "CodeSize": a["Content"]["CodeSize"]},
        {"Arn": b["LayerVersionArn"], "CodeSize": b["Content"]["CodeSize"]},
    ]
    got = invoke_json(lam, "reader")
    assert (got["data"], got["onlyA"]) == ("from b", "a alone"), "b's data.txt replaces a's"
    if sandboxed(srv):
        assert (got["opt"], got["bootstrap"]) == ("/opt", "/var/task/bootstrap")
    else:
        assert got["opt"].startswith(str(srv.data_dir)), got

    # Reversing the order is a configuration update: new invocations get new environments.
    lam.update_function_configuration(FunctionName="reader", Layers=[b["LayerVersionArn"], a["LayerVersionArn"]])
    wait_updated(lam, "reader")
    assert invoke_json(lam, "reader")["data"] == "from a"
    # A published version keeps its layers; removing them from $LATEST leaves the version alone.
    version = lam.publish_version(FunctionName="reader")["Version"]
    lam.update_function_configuration(FunctionName="reader", Layers=[a["LayerVersionArn"]])
    wait_updated(lam, "reader")
    assert invoke_json(lam, "reader")["data"] == "from a"
    assert lam.get_function_configuration(FunctionName="reader", Qualifier=version)["Layers"][0]["Arn"] == (
        b["LayerVersionArn"]
    )
    lam.update_function_configuration(FunctionName="reader", Layers=[])
    wait_updated(lam, "reader")
    assert "Layers" not in lam.get_function_configuration(FunctionName="reader")


@pytest.mark.parametrize("isolation", ["server", "process_server"])
def test_a_layers_bootstrap_runs_a_function_without_one(request, isolation):
    srv = request.getfixturevalue(isolation)
    lam = srv.client()
    runtime = publish(
        lam, "shell-runtime", make_zip({"bootstrap": READER, "data.txt": "runtime layer"}),
        CompatibleRuntimes=["provided.al2023"],
    )
    environment = {"Variables": {"READ_FROM": "process"}} if not sandboxed(srv) else None
    extra = {"Environment": environment} if environment else {}
    out = create(
        lam, "no-bootstrap", make_zip({"handler.txt": "no bootstrap here"}),
        Layers=[runtime["LayerVersionArn"]], **extra,
    )
    warnings = out["ResponseMetadata"]["HTTPHeaders"].get("x-lamina-warnings", "")
    assert "bootstrap" not in warnings, "a layer provides /opt/bootstrap: nothing to warn about"
    got = invoke_json(lam, "no-bootstrap")
    assert got["data"] == "runtime layer"
    if sandboxed(srv):
        assert (got["bootstrap"], got["opt"]) == ("/opt/bootstrap", "/opt")
    else:
        assert got["bootstrap"].endswith("/bootstrap") and got["bootstrap"].startswith(got["opt"]), got

    # The function keeps working once the layer version is deleted, in a new environment too.
    lam.delete_layer_version(LayerName="shell-runtime", VersionNumber=runtime["Version"])
    lam.update_function_configuration(FunctionName="no-bootstrap", Description="after the delete")
    wait_updated(lam, "no-bootstrap")
    assert invoke_json(lam, "no-bootstrap")["data"] == "runtime layer"
    with urllib.request.urlopen(lam.get_function(FunctionName="no-bootstrap")["Code"]["Location"]) as r:
        assert r.read().startswith(b"PK")

    # Without the layer, neither bootstrap exists: Lambda's error.
    create(lam, "nothing", make_zip({"handler.txt": "x"}))
    out = lam.invoke(FunctionName="nothing", Payload=b"{}")
    assert out["FunctionError"] == "Unhandled"
    error = json.loads(out["Payload"].read())
    assert error["errorType"] == "Runtime.InvalidEntrypoint"
    assert error["errorMessage"].endswith(
        "Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"
    ), error


def test_unzipped_limit_counts_the_function_and_its_layers(lam):
    big_layer = publish(lam, "big", zeros_zip("zeros.bin", 140_000_000))
    big_code = zeros_zip("zeros.bin", 130_000_000, {"bootstrap": "#!/bin/sh\n"})
    message = "Unzipped size must be smaller than 262144000 bytes"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, "too-big", big_code, wait=False, Layers=[big_layer["LayerVersionArn"]])
    assert error_of(e) == ("InvalidParameterValueException", message)
    # Each alone is fine; together, through UpdateFunctionConfiguration or UpdateFunctionCode, they are not.
    create(lam, "big-code", big_code)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.update_function_configuration(FunctionName="big-code", Layers=[big_layer["LayerVersionArn"]])
    assert error_of(e) == ("InvalidParameterValueException", message)
    create(lam, "small-code", Layers=[big_layer["LayerVersionArn"]])
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.update_function_code(FunctionName="small-code", ZipFile=big_code)
    assert error_of(e) == ("InvalidParameterValueException", message)


@pytest.mark.needs_root("mounting a small tmpfs needs root")
def test_a_layer_that_cannot_be_unpacked_leaves_the_function_as_it_was(small_disk):
    """An UpdateFunctionConfiguration whose new layer cannot be unpacked (here: the disk is full) fails
    as Lambda's does, and the function keeps its previous layers, even one whose layer version was
    deleted meanwhile; once there is room, the next update works."""
    srv = Server(small_disk / "data", ["--isolation", "process"]).start()
    try:
        lam = srv.client()
        old = publish(lam, "old", make_zip({"data.txt": "from old"}))
        create(lam, "reader", make_zip({"bootstrap": READER}), Layers=[old["LayerVersionArn"]],
               Environment={"Variables": {"READ_FROM": "process"}})
        assert invoke_json(lam, "reader")["data"] == "from old"
        # Only the function holds the old layer's code now.
        lam.delete_layer_version(LayerName="old", VersionNumber=old["Version"])

        # Stored once it fits; unpacked beside it, it does not.
        big = publish(lam, "big", make_zip({"data.txt": "from big", "blob": os.urandom(5 * 1024 * 1024)}))
        lam.update_function_configuration(FunctionName="reader", Layers=[big["LayerVersionArn"]])
        with pytest.raises(botocore.exceptions.WaiterError):
            lam.get_waiter("function_updated_v2").wait(FunctionName="reader", WaiterConfig=WAIT)
        config = lam.get_function_configuration(FunctionName="reader")
        assert config["LastUpdateStatus"] == "Failed", config
        assert config["LastUpdateStatusReasonCode"] == "InternalError", config
        reason = config["LastUpdateStatusReason"]
        assert reason.startswith("lamina is out of disk space in "), reason
        assert reason.endswith("the function keeps running its previous code"), reason
        assert config["State"] == "Active", config
        assert [layer["Arn"] for layer in config["Layers"]] == [old["LayerVersionArn"]], config
        assert invoke_json(lam, "reader")["data"] == "from old", "the function lost its previous layer"

        # Room returns once the big layer version is deleted (nothing else holds its code).
        lam.delete_layer_version(LayerName="big", VersionNumber=big["Version"])
        new = publish(lam, "new", make_zip({"data.txt": "from new"}))
        lam.update_function_configuration(FunctionName="reader", Layers=[new["LayerVersionArn"]])
        wait_updated(lam, "reader")
        assert lam.get_function_configuration(FunctionName="reader")["LastUpdateStatus"] == "Successful"
        assert invoke_json(lam, "reader")["data"] == "from new"
    finally:
        srv.stop()
