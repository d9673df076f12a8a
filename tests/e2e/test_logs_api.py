"""CloudWatch Logs on the endpoint: a function's streams are the group `/aws/lambda/<function>`, read with
the AWS CLI and boto3 as CloudWatch answers (groups, streams, events, filter patterns, paging tokens),
and groups can be created, given a retention and deleted. Another region sees none of them; `lamina logs`
reads them through the same API."""

import base64
import json
import os
import queue
import subprocess
import threading

import pytest

from conftest import ACCOUNT, create, lamina_binary, make_zip, run_aws, wait_for

# A shell runtime that prints a line of its own for each event, besides the platform's lines.
PRINTER = """#!/bin/sh
set -eu
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
headers=$(mktemp)
while true; do
    event=$(curl -sS -D "$headers" "$api/invocation/next")
    request_id=$(sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p' "$headers" | tr -d '\\r')
    echo "handling $event"
    echo '"done"' | curl -sS -o /dev/null -X POST --data-binary @- "$api/invocation/$request_id/response"
done
"""


@pytest.fixture
def printed(server):
    """A function invoked three times, and its log group once the three REPORT lines are in."""
    lam = server.client()
    create(lam, "printer", make_zip({"bootstrap": PRINTER}))
    for i in range(3):
        assert lam.invoke(FunctionName="printer", Payload=json.dumps({"n": i}, separators=(",", ":")).encode())["StatusCode"] == 200
    logs = server.client(service="logs")
    group = "/aws/lambda/printer"

    def written():
        events = logs.filter_log_events(logGroupName=group, filterPattern="?REPORT ?handling")["events"]
        return len(events) == 6

    wait_for(written, 20, "three REPORT lines and the function's three")
    return logs, group


def cli(server, *args):
    out = run_aws(["logs", *args], {"AWS_ENDPOINT_URL": server.endpoint})
    return json.loads(out.stdout) if out.stdout.strip() else {}


def test_the_cli_reads_a_functions_logs(server, printed):
    _, group = printed
    groups = cli(server, "describe-log-groups")["logGroups"]
    assert [g["logGroupName"] for g in groups] == [group]
    assert groups[0]["arn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:*"
    streams = cli(server, "describe-log-streams", "--log-group-name", group)["logStreams"]
    assert len(streams) == 1
    stream = streams[0]
    assert stream["logStreamName"].split("/")[3].startswith("[$LATEST]")
    assert stream["firstEventTimestamp"] <= stream["lastEventTimestamp"]
    events = cli(
        server, "get-log-events", "--log-group-name", group, "--log-stream-name", stream["logStreamName"],
        "--start-from-head",
    )["events"]
    messages = [e["message"] for e in events]
    assert messages[0].startswith("INIT_START Runtime Version: ")
    assert messages[1].startswith("START RequestId: ")
    assert [m for m in messages if m.startswith("handling ")] == [f'handling {{"n":{i}}}' for i in range(3)]
    assert sum(m.startswith("REPORT RequestId: ") for m in messages) == 3
    times = [e["timestamp"] for e in events]
    assert times == sorted(times) and all(t > 1_700_000_000_000 for t in times)
    filtered = cli(server, "filter-log-events", "--log-group-name", group, "--filter-pattern", '"handling {"')
    assert [e["message"] for e in filtered["events"]] == [f'handling {{"n":{i}}}' for i in range(3)]
    assert filtered["searchedLogStreams"] == [{"logStreamName": stream["logStreamName"], "searchedCompletely": True}]


def test_filter_patterns_and_paging(printed):
    logs, group = printed
    only = logs.filter_log_events(logGroupName=group, filterPattern='?START ?END -REPORT -INIT_START')["events"]
    assert len(only) == 6 and all(e["message"].startswith(("START", "END")) for e in only)
    page = logs.filter_log_events(logGroupName=group, filterPattern="handling", limit=2)
    assert len(page["events"]) == 2
    rest = logs.filter_log_events(logGroupName=group, filterPattern="handling", nextToken=page["nextToken"])
    assert len(rest["events"]) == 1 and "nextToken" not in rest
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    # From the tail by default; the backward token reaches the earlier events.
    whole = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    last = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=2)
    assert last["events"] == whole[-2:]
    earlier = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=2, nextToken=last["nextBackwardToken"])
    assert earlier["events"] == whole[-4:-2]
    # Forward from the head, page by page, to the end: the token stays put once there is nothing more.
    forward, token = [], None
    while True:
        kwargs = {"nextToken": token} if token else {"startFromHead": True}
        page = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3, **kwargs)
        forward.extend(page["events"])
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert forward == whole
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "ERROR" }')
    # A time window: from the first handling line on, and nothing after the last event or before the first.
    first = logs.filter_log_events(logGroupName=group, filterPattern="handling")["events"][0]["timestamp"]
    since = logs.filter_log_events(logGroupName=group, startTime=first)["events"]
    assert since and all(e["timestamp"] >= first for e in since)
    assert logs.filter_log_events(logGroupName=group, startTime=whole[-1]["timestamp"] + 1)["events"] == []
    assert logs.filter_log_events(logGroupName=group, endTime=whole[0]["timestamp"] - 1)["events"] == []


def test_groups_are_created_kept_and_deleted(server, printed):
    logs, group = printed
    logs.create_log_group(logGroupName="/app/audit")
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName="/app/audit")
    logs.put_retention_policy(logGroupName="/app/audit", retentionInDays=14)
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_retention_policy(logGroupName="/app/audit", retentionInDays=8)
    found = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
    assert set(found) == {"/app/audit", group}
    assert found["/app/audit"]["retentionInDays"] == 14
    assert logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"][0]["logGroupName"] == "/app/audit"
    assert logs.describe_log_streams(logGroupName="/app/audit")["logStreams"] == []
    # Survives a restart.
    server.stop()
    server.start()
    logs = server.client(service="logs")
    assert logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"][0]["retentionInDays"] == 14
    logs.delete_log_group(logGroupName="/app/audit")
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups()["logGroups"] == []
    for call in (
        lambda: logs.delete_log_group(logGroupName=group),
        lambda: logs.describe_log_streams(logGroupName="/aws/lambda/none"),
        lambda: logs.get_log_events(logGroupName="/app/audit", logStreamName="x"),
    ):
        with pytest.raises(logs.exceptions.ResourceNotFoundException) as excinfo:
            call()
        assert excinfo.value.response["Error"]["Message"] == "The specified log group does not exist."


def test_another_region_sees_nothing(printed, server):
    _, group = printed
    other = server.client(service="logs", region="eu-west-1")
    assert other.describe_log_groups()["logGroups"] == []
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.describe_log_streams(logGroupName=group)


def test_lamina_logs_follows_a_server_it_shares_no_files_with(server, tmp_path):
    """`lamina logs --follow` is a client of the Logs API: run from another directory, with nothing of the
    server's data directory, it prints the events as they come, functions created after it started
    included."""
    lam = server.client()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=server.endpoint, AWS_REGION="us-east-1", HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path))
    follower = subprocess.Popen(
        [str(lamina_binary()), "logs", "late", "--follow"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in follower.stdout], daemon=True).start()
    try:
        create(lam, "late", make_zip({"bootstrap": PRINTER}))
        for i in range(2):
            lam.invoke(FunctionName="late", Payload=json.dumps({"n": i}, separators=(",", ":")).encode())
        seen = []
        while sum("REPORT RequestId:" in line for line in seen) < 2 or sum(" handling " in line for line in seen) < 2:
            seen.append(lines.get(timeout=30))
        handled = [line.split(" ", 2)[2].strip() for line in seen if " handling " in line]
        assert handled == ['handling {"n":0}', 'handling {"n":1}'], seen
        assert len(seen) == len(set(seen)), "an event printed twice"
    finally:
        follower.kill()
        follower.wait()
    once = subprocess.run([str(lamina_binary()), "logs", "nothing-here"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert once.returncode != 0
    assert "no logs for 'nothing-here'" in once.stderr


# Prints 1,000 lines (about 50 KB, most of a pipe's buffer) just before each response.
BURST = PRINTER.replace('    echo "handling $event"\n', '    seq -f "burst line %04g of the function\'s output" 1 1000\n')


@pytest.mark.parametrize("isolation", ["server", "process_server"])
def test_what_a_function_prints_comes_before_its_end(request, isolation):
    """Output printed before the response is in the stream ahead of END and REPORT, every time, even a
    burst that fills the pipe."""
    srv = request.getfixturevalue(isolation)
    lam = srv.client()
    create(lam, "burst", make_zip({"bootstrap": BURST}))
    for _ in range(5):
        assert lam.invoke(FunctionName="burst", Payload=b"{}")["StatusCode"] == 200
    logs = srv.client(service="logs")
    stream = logs.describe_log_streams(logGroupName="/aws/lambda/burst")["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/lambda/burst", logStreamName=stream, startFromHead=True)
    messages = [e["message"] for e in events["events"]]
    ends = [n for n, m in enumerate(messages) if m.startswith("END RequestId: ")]
    assert len(ends) == 5
    starts = [n for n, m in enumerate(messages) if m.startswith("START RequestId: ")]
    for start, end in zip(starts, ends):
        between = messages[start + 1:end]
        assert len(between) == 1000 and between[-1] == "burst line 1000 of the function's output", (
            f"{len(between)} lines between START and END; after END: {messages[end + 1:end + 3]}"
        )
