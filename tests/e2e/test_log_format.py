"""A function's LoggingConfig changes its logs as on Lambda: with LogFormat JSON the platform's lines are
Lambda's JSON events (`platform.start`, `platform.runtimeDone`, `platform.report`, ...), SystemLogLevel
filters them by the level Lambda gives each, ApplicationLogLevel filters what the function prints (by the
`level` of a JSON line; anything else is INFO), the runtime gets AWS_LAMBDA_LOG_FORMAT and
AWS_LAMBDA_LOG_LEVEL, and a custom LogGroup receives the function's streams. Read through the CloudWatch
Logs API with boto3, as a user reads them."""

import datetime
import json
import os
import subprocess

from conftest import create, lamina_binary, make_zip, wait_for

# Prints a debug JSON line, an error JSON line and a plain line for each event, then answers.
LEVELS = """#!/bin/sh
set -eu
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
headers=$(mktemp)
while true; do
    curl -sS -D "$headers" -o /dev/null "$api/invocation/next"
    request_id=$(sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p' "$headers" | tr -d '\\r')
    echo '{"level":"debug","msg":"debug detail"}'
    echo '{"level":"ERROR","msg":"broken thing"}'
    echo "plain text line"
    echo '"done"' | curl -sS -o /dev/null -X POST --data-binary @- "$api/invocation/$request_id/response"
done
"""


def platform_events(logs, group, count, what):
    """The platform events (parsed) of `group`, once there are `count` of them, oldest first."""

    def written():
        events = logs.filter_log_events(logGroupName=group, filterPattern="platform.")["events"]
        return events if len(events) >= count else None

    events = wait_for(written, 20, what)
    return [json.loads(e["message"]) for e in events]


def messages(logs, group):
    return [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]


def test_json_platform_lines_are_lambdas_events(server, go_zip):
    lam = server.client()
    logs = server.client(service="logs")
    create(lam, "jsonfmt", go_zip("echo"), LoggingConfig={"LogFormat": "JSON"})
    ids = []
    for i in range(2):
        out = lam.invoke(FunctionName="jsonfmt", Payload=json.dumps({"n": i}).encode())
        assert out["StatusCode"] == 200 and "FunctionError" not in out
        ids.append(out["ResponseMetadata"]["RequestId"])
    events = platform_events(logs, "/aws/lambda/jsonfmt", 5, "INIT_START and two START/REPORT pairs")
    # SystemLogLevel INFO (the default): a successful runtimeDone (DEBUG) is left out.
    assert [e["type"] for e in events] == [
        "platform.initStart", "platform.start", "platform.report", "platform.start", "platform.report",
    ]
    for event in events:
        assert set(event) == {"time", "type", "record"}
        datetime.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    init = events[0]["record"]
    assert init["initializationType"] == "on-demand" and init["phase"] == "init"
    assert init["functionName"] == "jsonfmt" and init["functionVersion"] == "$LATEST"
    assert init["runtimeVersion"] and init["runtimeVersionArn"].startswith("arn:aws:lambda:us-east-1::runtime:")
    for n, request_id in enumerate(ids):
        start, report = events[1 + 2 * n]["record"], events[2 + 2 * n]["record"]
        assert start == {"requestId": request_id, "version": "$LATEST"}
        assert report["requestId"] == request_id and report["status"] == "success"
        assert "errorType" not in report
        metrics = report["metrics"]
        assert metrics["memorySizeMB"] == 128
        assert metrics["durationMs"] > 0 and metrics["maxMemoryUsedMB"] >= 0
        assert isinstance(metrics["billedDurationMs"], int) and metrics["billedDurationMs"] >= 1
        # The init is reported with the environment's first invocation only.
        assert ("initDurationMs" in metrics) == (n == 0)
    # No text platform line is left.
    text = [m for m in messages(logs, "/aws/lambda/jsonfmt") if m.startswith(("START ", "END ", "REPORT ", "INIT_"))]
    assert text == []


def test_system_log_level_filters_platform_events(server, go_zip):
    lam = server.client()
    logs = server.client(service="logs")
    create(lam, "warned", go_zip("fail"), LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "WARN"})
    create(lam, "detailed", go_zip("echo"), LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "DEBUG"})
    failed = lam.invoke(FunctionName="warned", Payload=b"{}")
    assert failed["FunctionError"] == "Unhandled"
    request_id = failed["ResponseMetadata"]["RequestId"]
    assert lam.invoke(FunctionName="detailed", Payload=b"{}")["StatusCode"] == 200

    # WARN: only what did not succeed, with its status and error type.
    events = platform_events(logs, "/aws/lambda/warned", 2, "the failed invocation's runtimeDone and report")
    assert [e["type"] for e in events] == ["platform.runtimeDone", "platform.report"]
    for event in events:
        assert event["record"]["requestId"] == request_id
        assert event["record"]["status"] == "error"
        assert event["record"]["errorType"] == "errorString"

    # DEBUG: the successful runtimeDone too, between start and report.
    events = platform_events(logs, "/aws/lambda/detailed", 4, "initStart, start, runtimeDone and report")
    assert [e["type"] for e in events] == [
        "platform.initStart", "platform.start", "platform.runtimeDone", "platform.report",
    ]
    done = events[2]["record"]
    assert done["status"] == "success" and done["metrics"]["durationMs"] >= 0
    assert done["metrics"]["producedBytes"] == 2  # the echoed `{}`


def test_application_log_level_filters_what_the_function_prints(server, go_zip):
    lam = server.client()
    logs = server.client(service="logs")
    create(lam, "levels", make_zip({"bootstrap": LEVELS}),
           LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"})
    create(lam, "chatty", make_zip({"bootstrap": LEVELS}),
           LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "TRACE"})
    create(lam, "texty", make_zip({"bootstrap": LEVELS}))
    for name in ("levels", "chatty", "texty"):
        assert lam.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200
    for name, count in (("levels", 2), ("chatty", 4), ("texty", 3)):
        wait_for(lambda: len(messages(logs, f"/aws/lambda/{name}")) > count, 20, f"{name}'s lines")

    def printed(name):
        return [m for m in messages(logs, f"/aws/lambda/{name}") if "platform." not in m and not m.startswith(
            ("START ", "END ", "REPORT ", "INIT_START "))]

    # WARN keeps the ERROR line; the debug line and the plain line (INFO, having no level) are left out.
    assert printed("levels") == ['{"level":"ERROR","msg":"broken thing"}']
    assert printed("chatty") == [
        '{"level":"debug","msg":"debug detail"}', '{"level":"ERROR","msg":"broken thing"}', "plain text line",
    ]
    # Text: nothing is filtered, and the platform's lines stay text.
    assert printed("texty") == printed("chatty")
    assert any(m.startswith("REPORT RequestId: ") for m in messages(logs, "/aws/lambda/texty"))


def test_the_runtime_is_told_the_format_and_level(server, go_zip):
    lam = server.client()
    create(lam, "envjson", go_zip("env"), LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"})
    create(lam, "envtext", go_zip("env"))
    env = json.loads(lam.invoke(FunctionName="envjson", Payload=b"{}")["Payload"].read())
    assert env["AWS_LAMBDA_LOG_FORMAT"] == "JSON"
    assert env["AWS_LAMBDA_LOG_LEVEL"] == "DEBUG"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/envjson"
    env = json.loads(lam.invoke(FunctionName="envtext", Payload=b"{}")["Payload"].read())
    assert "AWS_LAMBDA_LOG_FORMAT" not in env and "AWS_LAMBDA_LOG_LEVEL" not in env


def test_a_custom_log_group_receives_the_streams(server, go_zip, tmp_path):
    lam = server.client()
    logs = server.client(service="logs")
    group = "/custom/shared-app"
    for name in ("one", "two"):
        create(lam, name, go_zip("env"), LoggingConfig={"LogFormat": "Text", "LogGroup": group})
    env = json.loads(lam.invoke(FunctionName="one", Payload=b"{}")["Payload"].read())
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == group
    assert lam.invoke(FunctionName="two", Payload=b"{}")["StatusCode"] == 200

    def reports():
        found = [m for m in messages(logs, group) if m.startswith("REPORT RequestId: ")]
        return found if len(found) == 2 else None

    wait_for(reports, 20, "both functions' REPORT lines in the shared group")
    names = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    assert names == [group], "the functions' default groups get nothing"
    assert len(logs.describe_log_streams(logGroupName=group)["logStreams"]) == 2
    described = logs.describe_log_groups(logGroupNamePrefix="/custom/")["logGroups"]
    assert described[0]["arn"].endswith(f":log-group:{group}:*")

    # `lamina logs NAME` reads the function's group, wherever its LoggingConfig puts it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=server.endpoint, AWS_REGION="us-east-1", HOME=str(tmp_path))
    out = subprocess.run([str(lamina_binary()), "logs", "one"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert sum(" REPORT RequestId: " in line for line in out.stdout.splitlines()) == 2

    # Deleting the group removes its streams; the next environment starts a new one.
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups()["logGroups"] == []
