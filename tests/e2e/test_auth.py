"""SigV4 on every request, accounts by access key, and presigned code locations, with real clients: boto3,
the AWS CLI, botocore's own signer (SigV4Auth) for requests tampered after signing, and unsigned urllib."""

import datetime
import io
import json
import urllib.error
import urllib.parse
import urllib.request
import zipfile

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import ROLE, Server, create, lamina_env, make_zip, run_aws

ALICE = ("AKIAALICE00000000001", "alice-secret-key", "111111111111")
BOB = ("AKIABOB000000000002", "bob/secret+key=", "222222222222")

# A shell runtime that answers every event with the value of WHO in its environment.
WHO = """#!/bin/sh
set -eu
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
headers=$(mktemp)
while true; do
    curl -sS -D "$headers" -o /dev/null "$api/invocation/next"
    request_id=$(sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p' "$headers" | tr -d '\\r')
    printf '"%s"' "$WHO" | curl -sS -o /dev/null -X POST --data-binary @- "$api/invocation/$request_id/response"
done
"""


@pytest.fixture
def accounts(tmp_path):
    """A server with a credentials file of two keys in two accounts (and no development key)."""
    creds = tmp_path / "credentials"
    creds.write_text(
        f"[alice]\naws_access_key_id = {ALICE[0]}\naws_secret_access_key = {ALICE[1]}\naws_account_id = {ALICE[2]}\n\n"
        f"[bob]\naws_access_key_id = {BOB[0]}\naws_secret_access_key = {BOB[1]}\naws_account_id = {BOB[2]}\n"
    )
    srv = Server(tmp_path / "accounts-data", ["--credentials", str(creds)]).start()
    yield srv
    srv.stop()


def signed(url, method="GET", body=b"", key=("test", "test"), service="lambda", region="us-east-1", headers=None):
    """A request signed by botocore's SigV4 signer, as the SDKs sign."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(Credentials(key[0], key[1]), service, region).add_auth(request)
    return request


def send(url, method="GET", body=None, headers=None):
    """Sends a request as is; returns (status, headers, body bytes) for any answer."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def send_signed(request, body=None):
    return send(request.url, request.method, request.body if body is None else body, dict(request.headers.items()))


def error_code(excinfo):
    err = excinfo.value.response["Error"]
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], err["Code"], err["Message"]


def test_the_development_key_and_its_errors(server):
    lam = server.client()
    assert lam.list_functions()["Functions"] == []
    assert "lamina serves" in server.log()
    assert "access_key_id=test account=000000000000" in server.log()

    with pytest.raises(ClientError) as e:
        server.client(key=("nobody", "x")).list_functions()
    assert error_code(e) == (403, "UnrecognizedClientException", "The security token included in the request is invalid.")

    with pytest.raises(ClientError) as e:
        server.client(key=("test", "wrong")).list_functions()
    status, code, message = error_code(e)
    assert (status, code) == (403, "InvalidSignatureException")
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details."
    )
    assert "The Canonical String for this request should have been\n'GET\n/2015-03-31/functions\n" in message

    status, headers, body = send(f"{server.endpoint}/2015-03-31/functions/")
    assert status == 403
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert json.loads(body) == {"message": "Missing Authentication Token"}


def test_the_aws_cli_signs_and_is_verified(server):
    out = run_aws(["lambda", "list-functions", "--endpoint-url", server.endpoint])
    assert json.loads(out.stdout) == {"Functions": []}
    bad = run_aws(
        ["lambda", "list-functions", "--endpoint-url", server.endpoint],
        env_extra={"AWS_SECRET_ACCESS_KEY": "nope"},
        check=False,
    )
    assert bad.returncode != 0
    assert "InvalidSignatureException" in bad.stderr


def test_paths_with_dollar_colon_and_percent_verify(server):
    lam = server.client()
    create(lam, "paths")
    arn = "arn:aws:lambda:us-east-1:000000000000:function:paths"
    assert lam.get_function(FunctionName="paths:$LATEST")["Configuration"]["FunctionArn"] == f"{arn}:$LATEST"
    assert lam.get_function(FunctionName=arn, Qualifier="$LATEST")["Configuration"]["FunctionName"] == "paths"
    assert lam.get_function_configuration(FunctionName=f"{arn}:$LATEST")["FunctionName"] == "paths"
    # A name lamina refuses still passes verification first: the answer is the name's error, not 403.
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName="100%-bad name")
    assert error_code(e)[1] == "ValidationException"
    # And botocore's signer, directly, on an encoded path.
    request = signed(f"{server.endpoint}/2015-03-31/functions/paths%3A%24LATEST/configuration")
    status, _, body = send_signed(request)
    assert status == 200, body
    assert json.loads(body)["FunctionName"] == "paths"


def test_a_body_changed_after_signing_is_refused(server):
    url = f"{server.endpoint}/2015-03-31/functions"
    body = json.dumps({"FunctionName": "x"}).encode()
    request = signed(url, "POST", body, headers={"Content-Type": "application/json"})
    status, headers, answer = send_signed(request, body=json.dumps({"FunctionName": "y"}).encode())
    assert status == 403
    assert headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert json.loads(answer)["message"].startswith("The request signature we calculated does not match")
    # The same request, untouched, gets past verification (to the operation's own validation).
    status, headers, _ = send_signed(request)
    assert status == 400, headers


def test_a_signature_for_another_service_goes_to_that_service(server):
    """One endpoint: the credential scope picks the service (as AWS's host name does), so a Lambda path
    signed for a service lamina does not serve is answered as that service's request."""
    request = signed(f"{server.endpoint}/2015-03-31/functions/", service="sqs")
    status, headers, body = send_signed(request)
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "InvalidAction"
    assert b"lamina does not serve the 'sqs' service on this endpoint" in body


@pytest.mark.parametrize(("offset", "prefix"), [(-16, "Signature expired: "), (16, "Signature not yet current: ")])
def test_a_skewed_clock_is_refused(server, monkeypatch, offset, prefix):
    then = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(minutes=offset)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: then)
    request = signed(f"{server.endpoint}/2015-03-31/functions/")
    status, headers, body = send_signed(request)
    assert status == 403
    assert headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    message = json.loads(body)["message"]
    assert message.startswith(prefix + then.strftime("%Y%m%dT%H%M%SZ")), message
    assert message.endswith(" 15 min.)"), message


def test_auth_none_accepts_unsigned_requests_and_says_so(tmp_path):
    srv = Server(tmp_path / "open-data", ["--auth", "none"]).start()
    try:
        status, _, body = send(f"{srv.endpoint}/2015-03-31/functions/")
        assert status == 200
        assert json.loads(body) == {"Functions": []}
        assert "authentication: NONE" in srv.log()
    finally:
        srv.stop()


def alter_query(url, **changes):
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, changes.get(k, v)) for k, v in query]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, quote_via=urllib.parse.quote)))


def test_code_locations_are_presigned_and_checked(server):
    lam = server.client()
    zip_bytes = make_zip()
    create(lam, "located", zip_bytes=zip_bytes)
    location = lam.get_function(FunctionName="located")["Code"]["Location"]
    parts = urllib.parse.urlsplit(location)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}" == server.endpoint
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == "600"
    assert query["X-Amz-SignedHeaders"] == "host"
    status, _, body = send(location)
    assert (status, body) == (200, zip_bytes)

    old = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=11)).strftime("%Y%m%dT%H%M%SZ")
    for altered in [
        alter_query(location, **{"X-Amz-Date": old}),
        alter_query(location, **{"X-Amz-Expires": "6000"}),
        location + "&extra=1",
        location.replace("/_lamina/code/", "/_lamina/code/0"),
        f"{server.endpoint}{parts.path}",
    ]:
        status, headers, body = send(altered)
        assert status == 403, altered
        assert headers["Content-Type"] == "application/xml"
        assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'), body
        assert b"<Code>AccessDenied</Code>" in body or b"<Code>SignatureDoesNotMatch</Code>" in body, body


def test_code_locations_use_the_public_endpoint_not_the_host_header(tmp_path):
    srv = Server(tmp_path / "public-data", ["--public-endpoint", "https://lambda.example.test:8443/"]).start()
    try:
        lam = srv.client()
        create(lam, "public", wait=False)
        assert lam.get_function(FunctionName="public")["Code"]["Location"].startswith(
            "https://lambda.example.test:8443/_lamina/code/"
        )
        request = signed(f"{srv.endpoint}/2015-03-31/functions/public", headers={"Host": "evil.example:80"})
        status, _, body = send_signed(request)
        assert status == 200, body
        assert json.loads(body)["Code"]["Location"].startswith("https://lambda.example.test:8443/")
    finally:
        srv.stop()


def test_two_accounts_never_see_each_other(accounts):
    alice = accounts.client(key=ALICE[:2])
    bob = accounts.client(key=BOB[:2])
    log = accounts.log()
    assert f"access_key_id={ALICE[0]} account={ALICE[2]}" in log
    assert ALICE[1] not in log and BOB[1] not in log

    with pytest.raises(ClientError) as e:
        accounts.client().list_functions()
    assert error_code(e)[1] == "UnrecognizedClientException", "a credentials file replaces test/test"

    zips = {}
    for who, lam, account in [("alice", alice, ALICE[2]), ("bob", bob, BOB[2])]:
        zips[who] = make_zip({"bootstrap": WHO})
        layer = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": make_zip({"f.txt": who})})
        assert layer["LayerVersionArn"] == f"arn:aws:lambda:us-east-1:{account}:layer:shared:1"
        out = create(lam, "same", zip_bytes=zips[who], Environment={"Variables": {"WHO": who}})
        assert out["FunctionArn"] == f"arn:aws:lambda:us-east-1:{account}:function:same"

    assert [f["FunctionArn"] for f in alice.list_functions()["Functions"]] == [
        f"arn:aws:lambda:us-east-1:{ALICE[2]}:function:same"
    ]
    assert [l["LatestMatchingVersion"]["LayerVersionArn"] for l in bob.list_layers()["Layers"]] == [
        f"arn:aws:lambda:us-east-1:{BOB[2]}:layer:shared:1"
    ]
    assert json.loads(alice.invoke(FunctionName="same")["Payload"].read()) == "alice"
    assert json.loads(bob.invoke(FunctionName="same")["Payload"].read()) == "bob"

    bob_arn = f"arn:aws:lambda:us-east-1:{BOB[2]}:function:same"
    for call in [
        lambda: alice.get_function(FunctionName=bob_arn),
        lambda: alice.invoke(FunctionName=bob_arn),
        lambda: alice.delete_function(FunctionName=bob_arn),
        lambda: alice.tag_resource(Resource=bob_arn, Tags={"by": "alice"}),
        lambda: alice.get_layer_version_by_arn(Arn=f"arn:aws:lambda:us-east-1:{BOB[2]}:layer:shared:1"),
    ]:
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e)[0] in (403, 404), e.value.response
    assert bob.list_tags(Resource=bob_arn)["Tags"] == {}

    # Each location downloads its own account's package; a location moved to the other account is refused.
    alice_location = alice.get_function(FunctionName="same")["Code"]["Location"]
    bob_location = bob.get_function(FunctionName="same")["Code"]["Location"]
    assert send(alice_location)[2] == zips["alice"]
    assert send(bob_location)[2] == zips["bob"]
    assert send(alter_query(alice_location, **{"x-lamina-account": BOB[2]}))[0] == 403
    layer_location = bob.get_layer_version(LayerName="shared", VersionNumber=1)["Content"]["Location"]
    layer_zip = zipfile.ZipFile(io.BytesIO(send(layer_location)[2]))
    assert layer_zip.read("f.txt") == b"bob"

    alice.delete_function(FunctionName="same")
    alice.delete_layer_version(LayerName="shared", VersionNumber=1)
    assert bob.get_function(FunctionName="same")["Configuration"]["FunctionArn"] == bob_arn
    assert bob.get_layer_version(LayerName="shared", VersionNumber=1)["Version"] == 1
    assert json.loads(bob.invoke(FunctionName="same")["Payload"].read()) == "bob"
    assert alice.list_functions()["Functions"] == []


def test_the_aws_cli_acts_in_its_keys_account(accounts, tmp_path):
    out = run_aws(
        ["lambda", "create-function", "--function-name", "cli", "--runtime", "provided.al2023", "--handler", "x",
         "--role", ROLE, "--zip-file", f"fileb://{_zip_file(tmp_path)}", "--endpoint-url", accounts.endpoint],
        env_extra={"AWS_ACCESS_KEY_ID": BOB[0], "AWS_SECRET_ACCESS_KEY": BOB[1]},
    )
    assert json.loads(out.stdout)["FunctionArn"] == f"arn:aws:lambda:us-east-1:{BOB[2]}:function:cli"


def test_a_key_from_the_environment(tmp_path):
    env = lamina_env(
        {"LAMINA_ACCESS_KEY_ID": "AKIAENV", "LAMINA_SECRET_ACCESS_KEY": "env-secret", "LAMINA_ACCOUNT_ID": "333333333333"}
    )
    srv = Server(tmp_path / "env-data", env=env).start()
    try:
        lam = srv.client(key=("AKIAENV", "env-secret"))
        out = create(lam, "from-env", wait=False)
        assert out["FunctionArn"] == "arn:aws:lambda:us-east-1:333333333333:function:from-env"
        with pytest.raises(ClientError) as e:
            srv.client().list_functions()
        assert error_code(e)[1] == "UnrecognizedClientException"
    finally:
        srv.stop()


def _zip_file(tmp_path):
    path = tmp_path / "f.zip"
    path.write_bytes(make_zip())
    return path
