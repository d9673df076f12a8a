"""Malicious and broken packages (tests/e2e/hostile_packages.py), each sent three ways: CreateFunction
with an inline ZipFile, UpdateFunctionCode on a working function of its own, and PublishLayerVersion.
What lamina must refuse is refused at every use with 400 and Lambda's message; what Lambda accepts is
accepted; a working function keeps answering (with its old code when the new code was refused or failed
to unpack); a layer that was accepted is attached to the working function, which must still answer;
and nothing appears outside the data directory."""

import json
import os
import time

from botocore.exceptions import ClientError

from conftest import GO_FIXTURES, ROLE, make_zip
from hostile_packages import corpus
from reliability.harness import Section

# The shell custom runtime of tests/fixtures: answers each event with {"shell": true, "event": ...}.
SHELL_RUNTIME = (GO_FIXTURES.parent / "shell" / "bootstrap").read_text()


def answer(call):
    """(status, error code or None, message or None, the response) of a boto3 call."""
    try:
        out = call()
        return out["ResponseMetadata"]["HTTPStatusCode"], None, None, out
    except ClientError as error:
        response = error.response
        return (
            response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"].get("Code"),
            response["Error"].get("Message", ""),
            None,
        )


def settled(lam, name, key="State", waiting=("Pending",), seconds=120):
    """The function's configuration once `key` is no longer one of `waiting`."""
    deadline = time.monotonic() + seconds
    while True:
        config = lam.get_function_configuration(FunctionName=name)
        if config.get(key) not in waiting or time.monotonic() > deadline:
            return config
        time.sleep(0.02)


def first_words(message, count=10, longest=40):
    """The message's first `count` words, each cut at `longest` characters (names can be 4 KB)."""
    words = [w if len(w) <= longest else w[:longest] + "..." for w in message.split()]
    return " ".join(words[:count]) + (" ..." if len(words) > count else "")


# The words every refusal of a package that cannot be unpacked begins with (Lambda's), before lamina's
# reason.
UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."


def refusal(status, code, message, outside):
    """`400 Code: message`, with Lambda's fixed words shortened so that lamina's reason shows, and the
    harness's directory outside the data directory named `<outside>`."""
    message = message.replace(str(outside).lstrip("/"), "<outside>")
    if message.startswith(UNZIP_FAILED) and len(message) > len(UNZIP_FAILED):
        return f"{status} {code}: Could not unzip uploaded file. … {first_words(message[len(UNZIP_FAILED):])}"
    return f"{status} {code}: {first_words(message)}"


def works(lam, name, marker):
    """Whether the function answers as the shell runtime does: (True, "") or (False, what it said)."""
    out = lam.invoke(FunctionName=name, Payload=json.dumps({"case": marker}).encode())
    body = out["Payload"].read()
    if "FunctionError" not in out and json.loads(body) == {"shell": True, "event": {"case": marker}}:
        return True, ""
    try:
        return False, json.loads(body).get("errorType", body[:80])
    except ValueError:
        return False, body[:80]


def run(h):
    section = Section(
        "Malicious packages",
        ("package", "CreateFunction", "UpdateFunctionCode of a working function", "PublishLayerVersion",
         "the working function still answers"),
    )
    base = h.work / "packages"
    outside = base / "outside"
    outside.mkdir(parents=True)
    server = h.server("packages")
    lam = server.client(read_timeout=300)
    good = make_zip({"bootstrap": SHELL_RUNTIME})
    try:
        for i, case in enumerate(corpus(outside, bootstrap=SHELL_RUNTIME)):
            create, update, layer, still = one_case(h, lam, i, case, good, outside)
            # An answer the same as CreateFunction's is not written out again.
            section.add(case.name, create, *("the same" if cell == create else cell for cell in (update, layer)), still)
        stray = sorted(p.name for p in base.iterdir() if p.name not in {"data", "data-server.log", "outside"})
        h.check(not stray, f"packages wrote next to the data directory: {stray}")
        h.check(not any(outside.iterdir()), f"packages wrote outside the data directory: {os.listdir(outside)}")
    finally:
        server.stop()
    return section


def one_case(h, lam, i, case, good, outside):
    """The four cells of a case's row; records what fails."""
    name, working = f"p{i}", f"working{i}"

    # CreateFunction.
    status, code, message, _ = answer(
        lambda: lam.create_function(
            FunctionName=name, Runtime="provided.al2023", Handler="bootstrap", Role=ROLE,
            Code={"ZipFile": case.package},
        )
    )
    if code:
        create_cell = refusal(status, code, message, outside)
    else:
        config = settled(lam, name)
        create_cell = f"{status}, then {config['State']}" + (
            f" ({config.get('StateReasonCode')})" if config["State"] != "Active" else ""
        )
        if config["State"] == "Active":
            ok, said = works(lam, name, i)
            create_cell += ", invoke " + ("answers" if ok else f"fails: {said}")
            if case.refused is None:
                h.check(ok == case.runs, f"{case.name}: the new function {'fails' if case.runs else 'runs'}")
    expect_refusal(h, case, "CreateFunction", status, code, message)

    # UpdateFunctionCode on a working function.
    lam.create_function(
        FunctionName=working, Runtime="provided.al2023", Handler="bootstrap", Role=ROLE, Code={"ZipFile": good}
    )
    settled(lam, working)
    before = lam.get_function_configuration(FunctionName=working)["CodeSha256"]
    status, code, message, _ = answer(lambda: lam.update_function_code(FunctionName=working, ZipFile=case.package))
    replaced = False
    if code:
        update_cell = refusal(status, code, message, outside)
    else:
        config = settled(lam, working, "LastUpdateStatus", ("InProgress",))
        update_cell = f"{status}, then {config['LastUpdateStatus']}" + (
            f" ({config.get('LastUpdateStatusReasonCode')})" if config["LastUpdateStatus"] != "Successful" else ""
        )
        replaced = config["LastUpdateStatus"] == "Successful"
        if not replaced:
            h.check(config["CodeSha256"] == before, f"{case.name}: a failed update changed the function's code")
    expect_refusal(h, case, "UpdateFunctionCode", status, code, message)
    ok, said = works(lam, working, i)
    if replaced and not case.runs:
        still = f"runs the new code: {said}" if not ok else "yes"
        h.check(not ok and said == "Runtime.InvalidEntrypoint", f"{case.name}: new code without a bootstrap: {said}")
    else:
        still = "yes" if ok else f"NO: {said}"
        h.check(ok, f"{case.name}: the working function broke after UpdateFunctionCode ({said})")

    # PublishLayerVersion; an accepted layer is attached to the working function.
    status, code, message, out = answer(
        lambda: lam.publish_layer_version(LayerName=f"layer{i}", Content={"ZipFile": case.package})
    )
    if code:
        layer_cell = refusal(status, code, message, outside)
    else:
        layer_cell = f"{status}"
        lam.update_function_configuration(FunctionName=working, Layers=[out["LayerVersionArn"]])
        config = settled(lam, working, "LastUpdateStatus", ("InProgress",))
        ok, said = works(lam, working, i)
        layer_cell += f", attached: update {config['LastUpdateStatus']}"
        if case.runs or not replaced:
            still += "; with the layer: " + ("yes" if ok else f"NO: {said}")
            h.check(ok, f"{case.name}: the working function broke with the layer attached ({said})")
    expect_refusal(h, case, "PublishLayerVersion", status, code, message)

    for path in case.aims_at:
        h.check(not os.path.lexists(path), f"{case.name}: {path} was written")
    return create_cell, update_cell, layer_cell, still


def expect_refusal(h, case, operation, status, code, message):
    if case.refused is None:
        h.check(code is None, f"{case.name}: {operation} refused a package Lambda accepts: {status} {code} {message}")
    else:
        h.check(
            (status, code) == (400, "InvalidParameterValueException") and message.startswith(case.refused),
            f"{case.name}: {operation} answered {status} {code} {message!r}, not 400 {case.refused!r}",
        )
