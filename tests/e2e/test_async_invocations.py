"""Asynchronous (`Event`) invocations: durable from the 202 on, retried per the event invoke config,
their records sent to OnSuccess/OnFailure destinations, none lost to `kill -9`.

The servers here run functions as plain processes (`--isolation process`), so the `record` fixture can
append what it receives to a file of the test's, and retry delays are scaled down
(`--async-retry-delay-scale`: a minute becomes 60 ms)."""

import json
import random
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from conftest import Server, create, wait_for

SCALE = "0.001"


@pytest.fixture
def async_server(tmp_path):
    srv = Server(tmp_path / "async-data", ["--isolation", "process", "--async-retry-delay-scale", SCALE]).start()
    yield srv
    srv.stop()


def recorded(path):
    """The events the `record` function appended to `path`, in order."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def starts(server, function, request_id):
    """How many times `function` started the invocation `request_id` (the START lines of its logs)."""
    logs = server.data_dir / "logs" / "000000000000" / "us-east-1" / function
    needle = f"START RequestId: {request_id} "
    return sum(p.read_text().count(needle) for p in logs.glob("*.log")) if logs.exists() else 0


def invoke_event(lam, name, payload, **kwargs):
    out = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload).encode(), **kwargs)
    assert out["StatusCode"] == 202
    return out["ResponseMetadata"]["RequestId"]


def record_function(lam, go_zip, path, name="recorder"):
    create(lam, name, go_zip("record"), Environment={"Variables": {"RECORD_FILE": str(path)}})
    return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def test_retries_and_destinations(async_server, go_zip, tmp_path):
    lam = async_server.client()
    records = tmp_path / "records.jsonl"
    recorder = record_function(lam, go_zip, records)
    create(lam, "fails", go_zip("fail"))
    create(lam, "fails-by-default", go_zip("fail"))
    create(lam, "succeeds", go_zip("echo"))
    lam.put_function_event_invoke_config(
        FunctionName="fails",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": recorder}},
    )
    lam.put_function_event_invoke_config(
        FunctionName="succeeds",
        DestinationConfig={"OnSuccess": {"Destination": recorder + ":$LATEST"}},
    )

    failed = invoke_event(lam, "fails", {"order": 1})
    succeeded = invoke_event(lam, "succeeds", {"order": 2})
    by_default = invoke_event(lam, "fails-by-default", {"order": 3})

    def record_of(request_id):
        return next((r for r in recorded(records) if r["requestContext"]["requestId"] == request_id), None)

    on_failure = wait_for(lambda: record_of(failed), 30, "the OnFailure record arrived")
    assert on_failure["version"] == "1.0"
    assert on_failure["timestamp"].endswith("Z")
    assert on_failure["requestContext"] == {
        "requestId": failed,
        "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:fails:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 2,
    }
    assert on_failure["requestPayload"] == {"order": 1}
    assert on_failure["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert on_failure["responsePayload"]["errorMessage"] == "boom"
    assert starts(async_server, "fails", failed) == 2, "1 + MaximumRetryAttempts runs"

    on_success = wait_for(lambda: record_of(succeeded), 30, "the OnSuccess record arrived")
    assert on_success["requestContext"]["condition"] == "Success"
    assert on_success["requestContext"]["approximateInvokeCount"] == 1
    assert on_success["requestPayload"] == {"order": 2}
    assert on_success["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert on_success["responsePayload"] == {"order": 2}

    # Without an event invoke config: Lambda's default of two retries, then dropped (logged).
    wait_for(lambda: starts(async_server, "fails-by-default", by_default) == 3, 30, "three runs by default")
    wait_for(lambda: f"request_id={by_default}" in async_server.log(), 10, "the dropped event was logged")
    assert "it failed on every attempt" in async_server.log()
    assert record_of(by_default) is None, "no destination configured"
    assert starts(async_server, "fails-by-default", by_default) == 3, "no fourth run"


def test_unavailable_destinations_are_logged(async_server, go_zip):
    lam = async_server.client()
    create(lam, "fails", go_zip("fail"), DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"})
    lam.put_function_event_invoke_config(
        FunctionName="fails",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:failures"}},
    )
    request_id = invoke_event(lam, "fails", {})
    wait_for(
        lambda: "dead-letter queue is not available" in async_server.log(), 30, "the dead-letter queue was logged"
    )
    log = async_server.log()
    assert "destination of this asynchronous invocation is not available on this server" in log
    assert f"request_id={request_id}" in log
    assert starts(async_server, "fails", request_id) == 1, "MaximumRetryAttempts 0: one run"


def test_event_payload_limit(async_server, go_zip):
    lam = async_server.client()
    create(lam, "succeeds", go_zip("echo"))
    fits = b'"' + b"x" * (1_048_576 - 2) + b'"'
    assert lam.invoke(FunctionName="succeeds", InvocationType="Event", Payload=fits)["StatusCode"] == 202
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="succeeds", InvocationType="Event", Payload=fits + b" ")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert err.value.response["Error"]["Message"] == (
        "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    )


def test_acknowledged_events_survive_kill_9(async_server, go_zip, tmp_path):
    """Events sent by 8 clients at once while the server is killed with SIGKILL at a random moment, four
    times over: after the restarts every acknowledged (202) event ran at least once. Duplicates (events
    that ran but whose completion the kill kept from committing) are allowed and reported; requests the
    kill cut off were not acknowledged and may or may not run."""
    lam = async_server.client()
    records = tmp_path / "records.jsonl"
    record_function(lam, go_zip, records)
    # Two at a time: the queue backs up, so the kills find events accepted but not yet run.
    lam.put_function_concurrency(FunctionName="recorder", ReservedConcurrentExecutions=2)
    acknowledged = set()
    lock = threading.Lock()
    per_round = 100
    for round_ in range(4):
        client = async_server.client()

        def send(n):
            try:
                invoke_event(client, "recorder", {"n": n})
            except (ClientError, BotoCoreError):
                return
            with lock:
                acknowledged.add(n)

        killer = threading.Timer(random.uniform(0.05, 0.5), async_server.kill9)
        killer.start()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(send, range(round_ * per_round, (round_ + 1) * per_round)))
        killer.join()
        async_server.start()

    def all_ran():
        return {r["n"] for r in recorded(records)} >= acknowledged

    wait_for(all_ran, 120, "every acknowledged event ran after the restarts")
    backlog = re.findall(r"accepted by the last run are queued count=(\d+)", async_server.log())
    runs = [r["n"] for r in recorded(records)]
    duplicates = len(runs) - len(set(runs))
    print(
        f"{len(acknowledged)} acknowledged of {4 * per_round} sent, queued at the restarts {backlog}, "
        f"{len(set(runs) & acknowledged)} acknowledged ran, 0 lost, {duplicates} duplicate runs"
    )
    assert acknowledged, "some events were acknowledged"
    assert backlog, "the kills found queued events"
