"""Function URLs served: an HTTP request to the `FunctionUrl` the API returned reaches the function as a
payload format 2.0 event (decoded here by aws-lambda-go's own `events.LambdaFunctionURLRequest`), and
its `events.LambdaFunctionURLResponse` is the HTTP response. AWS_IAM URLs take SigV4 requests only;
CORS settings are applied by the URL."""

import base64
import json
import shutil
import subprocess
import urllib.parse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import create, send_to_function_url as send


@pytest.fixture
def furl(server, go_zip):
    """A function URL (AuthType NONE unless the test asks otherwise) of the `furl` Go fixture."""
    lam = server.client()
    create(lam, "furl", zip_bytes=go_zip("furl"))

    def make(auth_type="NONE", **extra):
        return lam.create_function_url_config(FunctionName="furl", AuthType=auth_type, **extra)["FunctionUrl"]

    return lam, make


def test_a_request_reaches_the_function_as_aws_lambda_go_decodes_it(furl):
    lam, make = furl
    url = make()
    status, headers, body = send(
        url, "GET", "items/7?a=1&a=2&q=x%20y", {"Cookie": "c1=v1; c2=v2", "User-Agent": "tester/1", "X-Two": "b"}
    )
    assert status == 200, body
    assert headers["Content-Type"] == "application/json"
    assert headers["x-amzn-RequestId"]
    seen = json.loads(body)
    url_id = urllib.parse.urlsplit(url).hostname.split(".")[0]
    assert seen["rawPath"] == "/items/7"
    assert seen["rawQueryString"] == "a=1&a=2&q=x%20y"
    assert seen["queryStringParameters"] == {"a": "1,2", "q": "x y"}
    assert seen["cookies"] == ["c1=v1", "c2=v2"]
    assert seen["headers"]["x-two"] == "b"
    assert "cookie" not in seen["headers"]
    assert seen["isBase64Encoded"] is False
    context = seen["requestContext"]
    assert context["apiId"] == url_id
    assert context["domainPrefix"] == url_id
    assert context["domainName"] == urllib.parse.urlsplit(url).hostname
    assert context["accountId"] == "anonymous"
    assert context["requestId"] == headers["x-amzn-RequestId"]
    assert context["http"] == {
        "method": "GET", "path": "/items/7", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "tester/1",
    }


def test_bodies_text_or_base64(furl):
    _, make = furl
    url = make()
    status, _, body = send(url, "POST", "", {"Content-Type": "application/json"}, b'{"k": "v"}')
    seen = json.loads(body)
    assert (status, seen["body"], seen["isBase64Encoded"]) == (200, '{"k": "v"}', False)
    raw = bytes([0, 159, 255])
    status, _, body = send(url, "PUT", "", {"Content-Type": "application/octet-stream"}, raw)
    seen = json.loads(body)
    assert (status, seen["isBase64Encoded"]) == (200, True)
    assert base64.b64decode(seen["body"]) == raw


def test_the_functions_response_is_the_http_response(furl):
    _, make = furl
    url = make()
    status, headers, body = send(url, "GET", "?status=201&header=X-Made:yes&cookie=session%3D42%3B%20Path%3D%2F")
    assert status == 201, body
    assert headers["X-Made"] == "yes"
    assert headers.get_all("Set-Cookie") == ["session=42; Path=/"]
    status, headers, body = send(url, "GET", "?binary=1")
    assert (status, headers["Content-Type"], body) == (200, "application/octet-stream", bytes([0, 1, 2, 255]))
    # A function error is a 502.
    status, _, body = send(url, "GET", "?fail=1")
    assert (status, body) == (502, b"Internal Server Error")


def test_curl_reaches_the_url_as_returned(furl):
    """The `FunctionUrl` works as it is, with a client that resolves `*.localhost` (curl, browsers)."""
    _, make = furl
    url = make()
    if shutil.which("curl") is None:
        pytest.fail("curl is needed")
    out = subprocess.run(["curl", "-sS", "--max-time", "60", url + "hello?x=1"], capture_output=True, check=True)
    assert json.loads(out.stdout)["rawPath"] == "/hello"


def test_an_unknown_url_is_forbidden(server):
    url = f"http://{'0' * 32}.lambda-url.us-east-1.localhost:{server.port}/"
    status, headers, body = send(url)
    assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})
    # The API on the same port is unaffected.
    assert server.client().list_functions()["Functions"] == []


def test_aws_iam_urls_take_signed_requests_only(furl):
    _, make = furl
    url = make("AWS_IAM")
    status, _, body = send(url)
    assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})
    host = urllib.parse.urlsplit(url).netloc
    request = AWSRequest(method="POST", url=f"http://{host}/signed?x=1", data=b"{}",
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("test", "test"), "lambda", "us-east-1").add_auth(request)
    prepared = request.prepare()
    status, _, body = send(url, "POST", "signed?x=1", dict(prepared.headers), b"{}")
    assert status == 200, body
    iam = json.loads(body)["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == "test"
    # A signature for other bytes is refused.
    status, _, _ = send(url, "POST", "signed?x=1", dict(prepared.headers), b'{"tampered": 1}')
    assert status == 403


def test_cors_preflight_and_response_headers(furl):
    _, make = furl
    url = make(Cors={
        "AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["x-custom"],
        "ExposeHeaders": ["x-made"], "MaxAge": 600, "AllowCredentials": True,
    })
    status, headers, body = send(url, "OPTIONS", "", {
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
    })
    assert (status, body) == (200, b"")
    assert headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert headers["Access-Control-Allow-Headers"] == "x-custom"
    assert headers["Access-Control-Max-Age"] == "600"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    status, headers, _ = send(url, "GET", "", {"Origin": "https://app.example"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert headers["Access-Control-Expose-Headers"] == "x-made"
    _, headers, _ = send(url, "GET", "", {"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in headers


def test_an_alias_url_invokes_the_alias(furl, go_zip):
    lam, _ = furl
    version = lam.publish_version(FunctionName="furl")["Version"]
    lam.create_alias(FunctionName="furl", Name="live", FunctionVersion=version)
    url = lam.create_function_url_config(FunctionName="furl", Qualifier="live", AuthType="NONE")["FunctionUrl"]
    # $LATEST changes; the alias still runs the published version.
    lam.update_function_code(FunctionName="furl", ZipFile=go_zip("echo"))
    lam.get_waiter("function_updated_v2").wait(FunctionName="furl", WaiterConfig={"Delay": 0.05, "MaxAttempts": 600})
    # furl honours ?status; echo (now $LATEST) would answer its event with a 200.
    status, _, body = send(url, "GET", "via-alias?status=203")
    assert status == 203, body
    assert json.loads(body)["rawPath"] == "/via-alias"
    latest = lam.create_function_url_config(FunctionName="furl", AuthType="NONE")["FunctionUrl"]
    status, _, body = send(latest, "GET", "via-latest?status=203")
    assert status == 200, body
    assert json.loads(body)["rawPath"] == "/via-latest"
