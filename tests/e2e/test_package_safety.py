"""Packages lamina will never unpack are refused at the request, in every mode and for every use (a new
function, new code for a working one, a layer), with Lambda's InvalidParameterValueException and the
entry named; a working function keeps running its code."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import GO_FIXTURES, create, make_zip, run_aws
from hostile_packages import BOOTSTRAP, build, with_bootstrap

UNSAFE = {
    "zip slip": (with_bootstrap(("../evil", "x", 0o100644)), "../evil"),
    "absolute path": (with_bootstrap(("/etc/evil", "x", 0o100644)), "/etc/evil"),
    "escaping symlink": (with_bootstrap(("link", "../../../etc/shadow", 0o120777)), "link"),
    "symlink loop": (with_bootstrap(("a", "b", 0o120777), ("b", "a", 0o120777)), "a"),
    "file below a symlink": (
        with_bootstrap(("sub/", "", 0o040755), ("dir", "sub", 0o120777), ("dir/x", "x", 0o100644)),
        "dir/x",
    ),
    # No Linux file system stores a name of more than 255 bytes: such a package could never be unpacked.
    "name longer than 255 bytes": (with_bootstrap(("lib/" + "n" * 256, "x", 0o100644)), "lib/" + "n" * 256),
    # A path that no process could open under /var/task or /opt (PATH_MAX), however short its names.
    "path longer than 3,584 bytes": (with_bootstrap(("d/" * 1800 + "deep.txt", "x", 0o100644)), "d/d/d/"),
    # The zip reader keeps one entry per name, so the duplicate itself cannot be named.
    "duplicate names": (with_bootstrap(("lib.so", "1", 0o100644), ("lib.so", "2", 0o100644)), "same name"),
}

UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."


def refused(call, entry):
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "InvalidParameterValueException", error
    assert error["Message"].startswith(UNZIP_FAILED), error
    assert entry in error["Message"], error
    return error["Message"]


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_packages_are_refused_for_functions_updates_and_layers(server, case):
    package, entry = UNSAFE[case]
    lam = server.client()
    refused(
        lambda: create(lam, "refused", zip_bytes=package, wait=False),
        entry,
    )
    with pytest.raises(ClientError) as missing:
        lam.get_function(FunctionName="refused")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # A working function keeps its code when new code is refused.
    shell = (GO_FIXTURES.parent / "shell" / "bootstrap").read_text()
    create(lam, "working", zip_bytes=make_zip({"bootstrap": shell}))
    before = lam.get_function_configuration(FunctionName="working")
    refused(lambda: lam.update_function_code(FunctionName="working", ZipFile=package), entry)
    after = lam.get_function_configuration(FunctionName="working")
    assert (after["CodeSha256"], after["RevisionId"]) == (before["CodeSha256"], before["RevisionId"])
    out = lam.invoke(FunctionName="working", Payload=b'{"still":"working"}')
    assert json.loads(out["Payload"].read()) == {"shell": True, "event": {"still": "working"}}

    refused(lambda: lam.publish_layer_version(LayerName="refused", Content={"ZipFile": package}), entry)
    assert lam.list_layer_versions(LayerName="refused")["LayerVersions"] == []


def test_strict_mode_refuses_them_the_same_way(strict_server):
    package, entry = UNSAFE["zip slip"]
    refused(lambda: create(strict_server.client(), "refused", zip_bytes=package, wait=False), entry)


def test_too_many_entries_are_refused(server):
    entries = [("bootstrap", BOOTSTRAP, 0o100755)] + [(f"f/{i}", "", 0o100644) for i in range(100_001)]
    message = refused(lambda: create(server.client(), "many", zip_bytes=build(entries), wait=False), "")
    assert "100000" in message.replace(",", ""), message


def test_an_empty_zip_is_refused_as_lambda_refuses_it(server, tmp_path):
    empty = tmp_path / "empty.zip"
    empty.write_bytes(build([]))
    result = run_aws(
        [
            "lambda",
            "create-function",
            "--function-name",
            "empty",
            "--runtime",
            "provided.al2023",
            "--handler",
            "bootstrap",
            "--role",
            "arn:aws:iam::000000000000:role/lambda-ex",
            "--zip-file",
            f"fileb://{empty}",
            "--endpoint-url",
            server.endpoint,
        ],
        check=False,
    )
    assert result.returncode != 0
    assert (
        "An error occurred (InvalidParameterValueException) when calling the CreateFunction operation: "
        "Uploaded file must be a non-empty zip" in result.stderr
    ), result.stderr
    with pytest.raises(ClientError) as info:
        server.client().publish_layer_version(LayerName="empty", Content={"ZipFile": empty.read_bytes()})
    assert info.value.response["Error"]["Message"] == "Uploaded file must be a non-empty zip"
