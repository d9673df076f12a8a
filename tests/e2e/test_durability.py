"""Durability: everything lamina acknowledged survives a clean restart and a `kill -9`, a crash during
an upload leaves no partial function or blob, and concurrent requests never lose an update."""

import base64
import hashlib
import os
import threading
import time
import urllib.request

from conftest import ROLE, WAIT, Server, create, make_zip, wait_updated
from ledger import Ledger, run_writers, wait_for_writes


def sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def snapshot(lam):
    """Every function's configuration (minus nothing) and its downloaded code's digest."""
    out = {}
    for page in lam.get_paginator("list_functions").paginate(FunctionVersion="ALL"):
        for f in page["Functions"]:
            out[(f["FunctionName"], f["Version"])] = f
    return out


def download_sha(lam, name, qualifier=None):
    kwargs = {"FunctionName": name}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    location = lam.get_function(**kwargs)["Code"]["Location"]
    with urllib.request.urlopen(location) as r:
        return sha(r.read())


def assert_blobs_are_whole(data_dir):
    """Every committed blob's content hashes to its name; no staging file is served."""
    blobs = data_dir / "code" / "blobs"
    for path in blobs.iterdir():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"partial blob {path}"


def test_restart_keeps_everything(tmp_path):
    srv = Server(tmp_path / "data").start()
    try:
        lam = srv.client()
        zips = {f"fn{i}": make_zip({"bootstrap": f"#!/bin/sh\necho {i}\n"}) for i in range(4)}
        for name, z in zips.items():
            create(lam, name, zip_bytes=z, MemorySize=256, Environment={"Variables": {"NAME": name}}, Tags={"n": name})
        lam.publish_version(FunctionName="fn0")
        lam.update_function_configuration(FunctionName="fn1", Timeout=60)
        wait_updated(lam, "fn1")
        lam.put_function_concurrency(FunctionName="fn2", ReservedConcurrentExecutions=5)
        before = snapshot(lam)
        tags_before = lam.list_tags(Resource=before[("fn0", "$LATEST")]["FunctionArn"])["Tags"]
        srv.restart()
        lam = srv.client()
        after = snapshot(lam)
        assert after == before
        assert lam.list_tags(Resource=before[("fn0", "$LATEST")]["FunctionArn"])["Tags"] == tags_before
        assert lam.get_function_concurrency(FunctionName="fn2")["ReservedConcurrentExecutions"] == 5
        for name, z in zips.items():
            assert download_sha(lam, name) == sha(z)
        assert download_sha(lam, "fn0", "1") == sha(zips["fn0"])
        assert_blobs_are_whole(srv.data_dir)
    finally:
        srv.stop()


def sub_resources(lam, name):
    """What belongs to function `name` besides its configuration, as the API shows it."""
    def without_metadata(out):
        return {k: v for k, v in out.items() if k != "ResponseMetadata"}

    return {
        "aliases": lam.list_aliases(FunctionName=name)["Aliases"],
        "policy": without_metadata(lam.get_policy(FunctionName=name, Qualifier="live")),
        "async": lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"],
        # The URL is on the server's endpoint, whose port a restart changes: its id is what is kept.
        "urls": [
            {**c, "FunctionUrl": c["FunctionUrl"].split(".lambda-url.")[0]}
            for c in lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
        ],
        "recursion": lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"],
        "signing": without_metadata(lam.get_function_code_signing_config(FunctionName=name)),
    }


def test_sub_resources_survive_kill_9(tmp_path):
    srv = Server(tmp_path / "data").start()
    try:
        lam = srv.client()
        create(lam, "kept")
        lam.publish_version(FunctionName="kept")
        lam.create_alias(FunctionName="kept", Name="live", FunctionVersion="1", Description="the live one")
        lam.add_permission(
            FunctionName="kept", Qualifier="live", StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com"
        )
        lam.put_function_event_invoke_config(FunctionName="kept", Qualifier="1", MaximumRetryAttempts=0)
        lam.create_function_url_config(FunctionName="kept", Qualifier="live", AuthType="NONE")
        lam.put_function_recursion_config(FunctionName="kept", RecursiveLoop="Allow")
        csc = lam.create_code_signing_config(
            AllowedPublishers={"SigningProfileVersionArns": ["arn:aws:signer:us-east-1:123456789012:/signing-profiles/p/1"]}
        )["CodeSigningConfig"]["CodeSigningConfigArn"]
        lam.put_function_code_signing_config(FunctionName="kept", CodeSigningConfigArn=csc)
        before = sub_resources(lam, "kept")
        srv.kill9()
        srv.start()
        lam = srv.client()
        assert sub_resources(lam, "kept") == before
        assert lam.invoke(FunctionName="kept", Qualifier="live")["ExecutedVersion"] == "1"
    finally:
        srv.stop()


def test_kill_9_loses_no_acknowledged_write(tmp_path):
    """Writers create, configure, tag, publish and delete (tests/e2e/ledger.py) while a 30 MB upload is
    on its way; the server is killed with SIGKILL. After a restart every acknowledged write is there."""
    srv = Server(tmp_path / "data").start()
    ledger = Ledger()
    stop = threading.Event()
    big = {}

    def big_uploader():
        lam = srv.client(read_timeout=120)
        payload = os.urandom(30 * 1024 * 1024)
        z = make_zip({"bootstrap": "#!/bin/sh\n", "payload.bin": payload})
        try:
            out = lam.create_function(
                FunctionName="big", Runtime="provided.al2023", Handler="bootstrap", Role=ROLE, Code={"ZipFile": z}
            )
            big["CodeSha256"] = out["CodeSha256"]
        except Exception:  # noqa: BLE001 - the server died under the upload: not acknowledged
            pass

    uploader = threading.Thread(target=big_uploader)
    uploader.start()
    writers = run_writers(ledger, srv.client, 3, stop)
    assert wait_for_writes(ledger, 30, 60), "the writers should have been acknowledged a few times before the kill"
    srv.kill9()
    stop.set()
    for t in writers + [uploader]:
        t.join(timeout=120)

    srv.start()
    try:
        lam = srv.client()
        assert ledger.verify(lam) == []
        present = {}
        for page in lam.get_paginator("list_functions").paginate():
            for f in page["Functions"]:
                present[f["FunctionName"]] = f
        if big:
            assert present["big"]["CodeSha256"] == big["CodeSha256"], "the acknowledged upload was lost"
        # Whatever exists, acknowledged or not, is complete: its code downloads and matches.
        for name, f in present.items():
            assert download_sha(lam, name) == f["CodeSha256"], f"{name} references missing or partial code"
            lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)
        assert_blobs_are_whole(srv.data_dir)
        assert not any((srv.data_dir / "code" / "tmp").iterdir()), "staging files survived the restart"
    finally:
        srv.stop()


def test_concurrent_requests_lose_no_update(server, lam):
    create(lam, "contended")
    arn = lam.get_function_configuration(FunctionName="contended")["FunctionArn"]
    errors = []

    def tagger(i):
        try:
            server.client().tag_resource(Resource=arn, Tags={f"k{i}": str(i)})
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=tagger, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert lam.list_tags(Resource=arn)["Tags"] == {f"k{i}": str(i) for i in range(16)}

    # Racing configuration updates: each one either wins or gets 409; the winner's value sticks.
    results = {}

    def updater(i):
        try:
            server.client().update_function_configuration(FunctionName="contended", Description=f"d{i}")
            results[i] = "ok"
        except server.client().exceptions.ResourceConflictException:
            results[i] = "conflict"

    threads = [threading.Thread(target=updater, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, r in results.items() if r == "ok"]
    assert len(results) == 8
    assert winners, "at least one update must win"
    wait_updated(lam, "contended")
    final = lam.get_function_configuration(FunctionName="contended")["Description"]
    assert final in {f"d{i}" for i in winners}
    assert lam.list_tags(Resource=arn)["Tags"] == {f"k{i}": str(i) for i in range(16)}


def test_crash_mid_upload_leaves_no_function(tmp_path):
    """Half a CreateFunction body is on the wire when the server is killed: after a restart the
    function does not exist, and nothing half-written is left in the store."""
    import http.client
    import json

    srv = Server(tmp_path / "data").start()
    z = make_zip({"bootstrap": "#!/bin/sh\n", "payload.bin": os.urandom(8 * 1024 * 1024)})
    body = json.dumps(
        {
            "FunctionName": "half",
            "Runtime": "provided.al2023",
            "Handler": "bootstrap",
            "Role": ROLE,
            "Code": {"ZipFile": base64.b64encode(z).decode()},
        }
    ).encode()
    # Signed over the whole body, as an SDK signs, so the server accepts the headers and reads on.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed = AWSRequest(
        method="POST", url=f"{srv.endpoint}/2015-03-31/functions", data=body,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(Credentials("test", "test"), "lambda", "us-east-1").add_auth(signed)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.putrequest("POST", "/2015-03-31/functions", skip_host=True)
    for name, value in signed.headers.items():
        conn.putheader(name, value)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    conn.send(body[: len(body) // 2])
    time.sleep(0.5)
    srv.kill9()
    conn.close()
    srv.start()
    try:
        lam = srv.client()
        assert lam.list_functions()["Functions"] == []
        assert not any((srv.data_dir / "code" / "tmp").iterdir())
        assert not any((srv.data_dir / "code" / "blobs").iterdir())
    finally:
        srv.stop()
