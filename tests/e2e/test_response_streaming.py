"""Response streaming end to end: aws-lambda-go's `LambdaFunctionURLStreamingResponse` (the `stream`
fixture writes a first piece, pauses, then writes a second piece or fails) reaches boto3's
`invoke_with_response_stream` as PayloadChunk events and a RESPONSE_STREAM function URL as a chunked
body, each piece as the function writes it; a failure mid-stream ends in InvokeComplete's ErrorCode
and ErrorDetails (on a URL, the body ends with what was written). A buffered caller still gets the whole result.

Whether the first piece came early is told by time: the function pauses PAUSE_S between its pieces, so
a body passed on in one piece would bring the first piece with the second, and the tests fail."""

import base64
import http.client
import json
import time
import urllib.parse

import pytest

from conftest import create, make_zip, rust_fixture

PAUSE_S = 3
PRELUDE = {"statusCode": 201, "headers": {"Content-Type": "text/plain", "X-Streamed": "yes"},
           "cookies": ["flavour=stream; Path=/"]}


@pytest.fixture
def streamer(server, go_zip):
    lam = server.client()
    create(lam, "streamer", zip_bytes=go_zip("stream"), Timeout=30)
    return lam


def events_with_times(out):
    """The events of an InvokeWithResponseStream answer, each with the moment it arrived."""
    return [(time.monotonic(), event) for event in out["EventStream"]]


def split_prelude(payload: bytes):
    prelude, _, body = payload.partition(b"\0" * 8)
    return json.loads(prelude), body


def test_invoke_with_response_stream_sends_each_piece_as_the_function_writes_it(streamer):
    started = time.monotonic()
    out = streamer.invoke_with_response_stream(
        FunctionName="streamer", Payload=json.dumps({"pauseMs": str(PAUSE_S * 1000)}), LogType="Tail"
    )
    assert out["StatusCode"] == 200
    assert out["ExecutedVersion"] == "$LATEST"
    assert out["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    events = events_with_times(out)
    kinds = [next(iter(event)) for _, event in events]
    assert kinds[-1] == "InvokeComplete" and set(kinds[:-1]) == {"PayloadChunk"}, kinds
    payload = b""
    first_at = None
    for at, event in events[:-1]:
        payload += event["PayloadChunk"]["Payload"]
        if first_at is None and b"first piece" in payload:
            first_at = at
    prelude, body = split_prelude(payload)
    assert prelude == PRELUDE
    assert body == b"first piece\nsecond piece\n"
    complete_at, complete = events[-1]
    assert complete_at - first_at >= PAUSE_S * 0.6, (first_at - started, complete_at - started)
    complete = complete["InvokeComplete"]
    assert "ErrorCode" not in complete and "ErrorDetails" not in complete, complete
    log = base64.b64decode(complete["LogResult"]).decode()
    assert "END RequestId: " + out["ResponseMetadata"]["RequestId"] in log
    assert "REPORT RequestId:" in log


def test_a_failure_mid_stream_ends_with_invoke_complete_errors(streamer):
    out = streamer.invoke_with_response_stream(FunctionName="streamer", Payload=b'{"pauseMs": "0", "fail": "1"}')
    events = [event for _, event in events_with_times(out)]
    payload = b"".join(e["PayloadChunk"]["Payload"] for e in events[:-1])
    assert split_prelude(payload)[1] == b"first piece\n"
    complete = events[-1]["InvokeComplete"]
    # aws-lambda-go reports the error in its trailers: the Go type and the error JSON.
    assert complete["ErrorCode"] == "errorString"
    details = json.loads(complete["ErrorDetails"])
    assert details["errorMessage"] == "the stream broke"
    assert details["errorType"] == "errorString"
    # The environment is reusable afterwards.
    again = streamer.invoke_with_response_stream(FunctionName="streamer", Payload=b'{"pauseMs": "0"}')
    assert "ErrorCode" not in [e for _, e in events_with_times(again)][-1]["InvokeComplete"]


def test_errors_before_the_stream_are_lambdas_and_buffered_callers_get_the_whole_result(streamer):
    with pytest.raises(streamer.exceptions.ResourceNotFoundException):
        streamer.invoke_with_response_stream(FunctionName="nobody", Payload=b"{}")
    with pytest.raises(streamer.exceptions.ClientError) as refused:
        streamer.invoke_with_response_stream(FunctionName="streamer", InvocationType="Event", Payload=b"{}")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    dry = streamer.invoke_with_response_stream(FunctionName="streamer", InvocationType="DryRun", Payload=b"{}")
    assert dry["StatusCode"] == 204
    out = streamer.invoke(FunctionName="streamer", Payload=b'{"pauseMs": "0"}')
    assert "FunctionError" not in out
    assert split_prelude(out["Payload"].read()) == (PRELUDE, b"first piece\nsecond piece\n")
    failed = streamer.invoke(FunctionName="streamer", Payload=b'{"pauseMs": "0", "fail": "1"}')
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorMessage"] == "the stream broke"
    streamer.put_function_concurrency(FunctionName="streamer", ReservedConcurrentExecutions=0)
    with pytest.raises(streamer.exceptions.TooManyRequestsException):
        streamer.invoke_with_response_stream(FunctionName="streamer", Payload=b"{}")


def open_url(url, query):
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection("127.0.0.1", parsed.port, timeout=60)
    connection.request("GET", "/?" + query, headers={"Host": parsed.netloc})
    return connection, connection.getresponse()


def test_a_response_stream_url_passes_the_body_on_as_it_is_written(streamer):
    url = streamer.create_function_url_config(
        FunctionName="streamer", AuthType="NONE", InvokeMode="RESPONSE_STREAM"
    )["FunctionUrl"]
    connection, response = open_url(url, f"pauseMs={PAUSE_S * 1000}")
    try:
        assert response.status == 201
        assert response.headers["Content-Type"] == "text/plain"
        assert response.headers["X-Streamed"] == "yes"
        assert response.headers.get_all("Set-Cookie") == ["flavour=stream; Path=/"]
        assert response.headers["x-amzn-RequestId"]
        assert response.readline() == b"first piece\n"
        first_at = time.monotonic()
        assert response.read() == b"second piece\n"
        assert time.monotonic() - first_at >= PAUSE_S * 0.6
    finally:
        connection.close()

    connection, response = open_url(url, "pauseMs=0&fail=1")
    try:
        assert response.status == 201
        # The status is sent already: the body ends with what the function wrote before it failed.
        assert response.readline() == b"first piece\n"
        assert response.read() == b""
    finally:
        connection.close()


def test_a_buffered_url_of_a_json_answer_is_unchanged_when_streamed(server, go_zip):
    lam = server.client()
    create(lam, "furl", zip_bytes=go_zip("furl"))
    url = lam.create_function_url_config(FunctionName="furl", AuthType="NONE", InvokeMode="RESPONSE_STREAM")[
        "FunctionUrl"
    ]
    # furl returns an events.LambdaFunctionURLResponse value (JSON): mapped as a BUFFERED URL maps it.
    connection, response = open_url(url, "status=202&header=X-Two:2")
    try:
        assert response.status == 202
        assert response.headers["X-Two"] == "2"
        assert json.loads(response.read())["rawQueryString"] == "status=202&header=X-Two:2"
    finally:
        connection.close()


@pytest.fixture
def rust_streamer(server):
    """The Rust fixture's `stream` binary (`lambda_runtime`'s streaming response), built with its echo."""
    lam = server.client()
    create(lam, "rust-streamer", make_zip({"bootstrap": rust_fixture("stream").read_bytes()}), Timeout=30)
    return lam


def test_rust_lambda_runtime_streams_too(rust_streamer):
    out = rust_streamer.invoke_with_response_stream(
        FunctionName="rust-streamer", Payload=json.dumps({"pauseMs": PAUSE_S * 1000})
    )
    events = events_with_times(out)
    payload = b""
    first_at = None
    for at, event in events[:-1]:
        payload += event["PayloadChunk"]["Payload"]
        if first_at is None and b"first piece" in payload:
            first_at = at
    # lambda_runtime writes the HTTP integration prelude first (JSON, 8 NULs), as URLs read it.
    prelude, body = split_prelude(payload)
    assert prelude["statusCode"] == 200
    assert body == b"first piece\nsecond piece\n"
    complete_at, complete = events[-1]
    assert complete_at - first_at >= PAUSE_S * 0.6
    assert "ErrorCode" not in complete["InvokeComplete"], complete
    # lambda_runtime writes its error as a last data chunk: it ends the stream as an error, unshown.
    out = rust_streamer.invoke_with_response_stream(FunctionName="rust-streamer", Payload=b'{"fail": true}')
    events = [event for _, event in events_with_times(out)]
    assert split_prelude(b"".join(e["PayloadChunk"]["Payload"] for e in events[:-1]))[1] == b"first piece\n"
    complete = events[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Runtime.StreamError", complete
