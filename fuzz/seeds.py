#!/usr/bin/env python3
"""Writes the generated part of the seed corpora (fuzz/corpus/<target>/): small zips, requests signed with
SigV4 by the development key at 2024-01-01T00:00:00Z (the sigv4 target's clock), Lambda API and Runtime API
request sequences, and templates. Regression seeds (`crash-*`, minimised) are kept by hand beside them.
Run from the repository root: `python3 fuzz/seeds.py`."""
import warnings
import base64, hashlib, hmac, io, json, os, shutil, stat, subprocess, tempfile, urllib.parse, zipfile

warnings.simplefilter("ignore")  # the duplicate-name seed is meant
ROOT = os.path.dirname(os.path.abspath(__file__))
SEP = b"\n\x1e\n"


def out(target, name, data):
    d = os.path.join(ROOT, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def zip_of(entries, method=zipfile.ZIP_DEFLATED):
    """entries: (name, data, unix mode) ; a mode with S_IFLNK makes a symlink whose data is its target."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = mode << 16
            info.compress_type = method
            z.writestr(info, data)
    return buf.getvalue()


REG, DIR, LNK = stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK
HELLO = b'#!/bin/sh\nwhile true; do curl -s "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next"; done\n'
zips = {
    "hello": zip_of([("bootstrap", HELLO, REG | 0o755)]),
    "stored": zip_of([("bootstrap", HELLO, REG | 0o755), ("lib/data.txt", b"data\n", REG | 0o644)], zipfile.ZIP_STORED),
    "dirs-and-link": zip_of([
        ("bin/", b"", DIR | 0o755), ("bin/app", HELLO, REG | 0o755), ("bootstrap", b"bin/app", LNK | 0o777),
    ]),
    "zip-slip": zip_of([("bootstrap", HELLO, REG | 0o755), ("../evil", b"x", REG | 0o644)]),
    "absolute": zip_of([("/tmp/evil", b"x", REG | 0o644)]),
    "escaping-link": zip_of([("bootstrap", b"../../etc/passwd", LNK | 0o777)]),
    "link-loop": zip_of([("a", b"b", LNK | 0o777), ("b", b"a", LNK | 0o777)]),
    "under-link": zip_of([("d", b"/tmp", LNK | 0o777), ("d/x", b"x", REG | 0o644)]),
    "duplicate": zip_of([("bootstrap", HELLO, REG | 0o755), ("bootstrap", b"#!/bin/sh\n", REG | 0o755)]),
    "backslash": zip_of([("dir\\bootstrap", HELLO, REG | 0o755)]),
    "nested": zip_of([("app/bootstrap", HELLO, REG | 0o755)]),
    "not-executable": zip_of([("bootstrap", HELLO, REG | 0o644)]),
    "empty": zip_of([]),
}
with tempfile.TemporaryDirectory() as d:  # Info-ZIP, as AWS's guides use it, with a symlink kept (-y)
    with open(os.path.join(d, "bootstrap"), "wb") as f:
        f.write(HELLO)
    os.chmod(os.path.join(d, "bootstrap"), 0o755)
    os.symlink("bootstrap", os.path.join(d, "link"))
    subprocess.run(["zip", "-q", "-y", "-X", "info-zip.zip", "bootstrap", "link"], cwd=d, check=True)
    zips["info-zip"] = open(os.path.join(d, "info-zip.zip"), "rb").read()
for name, data in zips.items():
    out("package_inspect", name + ".zip", data)
    out("package_extract", name + ".zip", data)

# SigV4, as botocore signs (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
DATE, DAY = "20240101T000000Z", "20240101"


def key(service, region="us-east-1"):
    k = ("AWS4" + "test").encode()
    for part in (DAY, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def sign(service, method, path, query, headers, payload_hash, region="us-east-1"):
    names = sorted(h.lower() for h in headers)
    canon_headers = "".join(f"{n}:{headers[n].strip()}\n" for n in names)
    pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True)) if query else []
    canon_query = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in pairs)
    creq = "\n".join([method, path, canon_query, canon_headers, ";".join(names), payload_hash])
    scope = f"{DAY}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", DATE, scope, hashlib.sha256(creq.encode()).hexdigest()])
    return scope, ";".join(names), hmac.new(key(service, region), sts.encode(), hashlib.sha256).hexdigest()


def signed(service, method, path, body=b"", query="", extra=None, payload_hash=None):
    headers = {"host": "127.0.0.1:9001", "x-amz-date": DATE, **(extra or {})}
    payload_hash = payload_hash or hashlib.sha256(body).hexdigest()
    if service == "s3":
        headers["x-amz-content-sha256"] = payload_hash
    scope, names, sig = sign(service, method, path, query, headers, payload_hash)
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential=test/{scope}, SignedHeaders={names}, Signature={sig}"
    target = path + ("?" + query if query else "")
    head = f"{method} {target}\n" + "".join(f"{k}: {v}\n" for k, v in headers.items())
    return head.encode() + b"\n" + body, sig


out("sigv4", "list-functions", signed("lambda", "GET", "/2015-03-31/functions/", query="MaxItems=10")[0])
create = json.dumps({"FunctionName": "hello", "Runtime": "provided.al2023", "Role": "arn:aws:iam::000000000000:role/r",
                     "Handler": "bootstrap", "Code": {"ZipFile": base64.b64encode(zips["hello"]).decode()}}).encode()
out("sigv4", "create-function", signed("lambda", "POST", "/2015-03-31/functions", create, extra={"content-type": "application/json"})[0])
out("sigv4", "unsigned-payload", signed("s3", "PUT", "/bucket/key", b"hello", payload_hash="UNSIGNED-PAYLOAD")[0])
# Presigned: the signature covers the query without X-Amz-Signature, and the payload is UNSIGNED-PAYLOAD.
q = urllib.parse.urlencode({"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"test/{DAY}/us-east-1/lambda/aws4_request",
                            "X-Amz-Date": DATE, "X-Amz-Expires": "300", "X-Amz-SignedHeaders": "host"}, quote_via=urllib.parse.quote)
_, _, sig = sign("lambda", "GET", "/2015-03-31/functions/hello/code", q, {"host": "127.0.0.1:9001"}, "UNSIGNED-PAYLOAD")
out("sigv4", "presigned", f"GET /2015-03-31/functions/hello/code?{q}&X-Amz-Signature={sig}\nhost: 127.0.0.1:9001\n\n")
# aws-chunked (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html): chunks chained from the seed signature.
payload = b"a" * 100
extra = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(payload))}
headers = {"host": "127.0.0.1:9001", "x-amz-date": DATE, "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", **extra}
scope, names, seed = sign("s3", "PUT", "/bucket/key", "", headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
body, prev = b"", seed
for chunk in (payload[:64], payload[64:], b""):
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", DATE, scope, prev, hashlib.sha256(b"").hexdigest(), hashlib.sha256(chunk).hexdigest()])
    prev = hmac.new(key("s3"), sts.encode(), hashlib.sha256).hexdigest()
    body += f"{len(chunk):x};chunk-signature={prev}\r\n".encode() + chunk + b"\r\n"
headers["authorization"] = f"AWS4-HMAC-SHA256 Credential=test/{scope}, SignedHeaders={names}, Signature={seed}"
out("sigv4", "aws-chunked", ("PUT /bucket/key\n" + "".join(f"{k}: {v}\n" for k, v in headers.items())).encode() + b"\n" + body)
out("sigv4", "incomplete-header", "GET /2015-03-31/functions\nauthorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request\n\n")

# Lambda API sequences (bodies as the AWS CLI sends them).
def req(method, path, body=None, headers=None):
    head = f"{method} {path}\n" + "".join(f"{k}: {v}\n" for k, v in (headers or {}).items())
    if body is not None:
        head += "content-type: application/json\n"
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
    return head.encode() + b"\n" + (body or b"")


F = "/2015-03-31/functions"
layer_body = {"Content": {"ZipFile": base64.b64encode(zip_of([("bin/tool", b"#!/bin/sh\n", REG | 0o755)])).decode()},
              "CompatibleRuntimes": ["provided.al2023"], "CompatibleArchitectures": ["x86_64"]}
lambda_seeds = {
    "create-get-delete": [req("POST", F, create), req("GET", F + "/hello"), req("DELETE", F + "/hello")],
    "create-unsafe": [req("POST", F, json.loads(create) | {"Code": {"ZipFile": base64.b64encode(zips["zip-slip"]).decode()}})],
    "create-s3": [req("POST", F, json.loads(create) | {"Code": {"S3Bucket": "b", "S3Key": "k.zip"}})],
    "list": [req("GET", F + "?MaxItems=2&Marker=abc&FunctionVersion=ALL")],
    "configuration": [req("POST", F, create), req("PUT", F + "/hello/configuration",
        {"MemorySize": 256, "Timeout": 30, "Environment": {"Variables": {"A": "b"}}, "EphemeralStorage": {"Size": 1024},
         "DeadLetterConfig": {"TargetArn": 1}, "Layers": ["arn:aws:lambda:us-east-1:000000000000:layer:l:1"]}),
        req("GET", F + "/hello/configuration?Qualifier=$LATEST")],
    "update-code-publish": [req("POST", F, create), req("PUT", F + "/hello/code", {"ZipFile": json.loads(create)["Code"]["ZipFile"], "Publish": True}),
        req("POST", F + "/hello/versions", {"Description": "v"}), req("GET", F + "/hello/versions?MaxItems=1")],
    "concurrency-tags": [req("PUT", "/2017-10-31/functions/hello/concurrency", {"ReservedConcurrentExecutions": 5}),
        req("GET", "/2019-09-30/functions/hello/concurrency"),
        req("POST", "/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:hello", {"Tags": {"k": "v"}}),
        req("DELETE", "/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:hello?tagKeys=k")],
    "layers": [req("POST", "/2018-10-31/layers/tools/versions", layer_body), req("GET", "/2018-10-31/layers/tools/versions/1"),
        req("GET", "/2018-10-31/layers?find=LayerVersion&Arn=arn:aws:lambda:us-east-1:000000000000:layer:tools:1"),
        req("GET", "/2018-10-31/layers?CompatibleRuntime=provided.al2023"), req("DELETE", "/2018-10-31/layers/tools/versions/1")],
    "account": [req("GET", "/2016-08-19/account-settings")],
    "unsupported": [req("POST", F + "/hello/aliases", {"Name": "live", "FunctionVersion": "1"})],
    "bad-json": [req("POST", F, b'{"FunctionName": ')],
    "wrong-types": [req("POST", F, {"FunctionName": 7, "MemorySize": "big", "VpcConfig": [], "Code": "x"})],
}
for name, seq in lambda_seeds.items():
    out("lambda_api", name, SEP.join(seq))

R = "/2018-06-01/runtime"
runtime_seeds = {
    "response": [req("GET", R + "/invocation/next"), req("POST", R + "/invocation/req-1/response", {"ok": True})],
    "error": [req("GET", R + "/invocation/next"), req("POST", R + "/invocation/req-1/error",
        {"errorMessage": "boom", "errorType": "Handled", "stackTrace": []}, {"lambda-runtime-function-error-type": "Unhandled"})],
    "stale": [req("POST", R + "/invocation/req-0/response", b"{}"), req("POST", R + "/invocation/req-1/response", b"{}")],
    "repeated": [req("GET", R + "/invocation/next"), req("POST", R + "/invocation/req-1/response", b"1"),
        req("POST", R + "/invocation/req-1/response", b"2")],
    "trailers": [req("GET", R + "/invocation/next"), req("POST", R + "/invocation/req-1/response", b"partial",
        {"lambda-runtime-function-response-mode": "streaming", "trailer": "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"})],
    "init-error": [req("POST", R + "/init/error", {"errorMessage": "no", "errorType": "Runtime.Init"},
        {"lambda-runtime-function-error-type": "Runtime.Init"})],
    "ping": [req("GET", "/2018-06-01/ping")],
    "extension": [req("POST", "/2020-01-01/extension/register", {"events": ["INVOKE", "SHUTDOWN"]},
        {"lambda-extension-name": "go-sigterm", "lambda-extension-accept-feature": "accountId"}),
        req("GET", "/2020-01-01/extension/event/next", None, {"lambda-extension-identifier": "x"}),
        req("POST", "/2020-01-01/extension/exit/error", {"errorMessage": "bye"}, {"lambda-extension-function-error-type": "Extension.Exit"}),
        req("PUT", "/2022-07-01/telemetry", {"schemaVersion": "2022-12-13", "types": ["platform"]})],
}
for name, seq in runtime_seeds.items():
    out("runtime_api", name, SEP.join(seq))

repo = os.path.dirname(ROOT)
os.makedirs(os.path.join(ROOT, "corpus/template"), exist_ok=True)
shutil.copy(os.path.join(repo, "tests/fixtures/templates/sam-go/template.yaml"), os.path.join(ROOT, "corpus/template/sam-go.yaml"))
out("template", "cloudformation.json", json.dumps({
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Mem": {"Type": "Number", "Default": "128", "MinValue": 128, "MaxValue": 10240}},
    "Mappings": {"Stage": {"dev": {"Timeout": "3"}}},
    "Conditions": {"Big": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Mem"}, "128"]}]}},
    "Resources": {
        "Layer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"LayerName": "tools", "Content": {"S3Bucket": "b", "S3Key": "l.zip"}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Condition": "Big", "Properties": {
            "FunctionName": {"Fn::Sub": "${AWS::StackName}-fn"}, "Runtime": "provided.al2023", "Handler": "bootstrap",
            "MemorySize": {"Ref": "Mem"}, "Timeout": {"Fn::FindInMap": ["Stage", "dev", "Timeout"]},
            "Layers": [{"Ref": "Layer"}], "Code": {"ZipFile": "echo hi"},
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "Role": {"Type": "AWS::IAM::Role"}}}, indent=1))
out("template", "anchors.yaml", """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: &defaults
    Runtime: provided.al2023
    Handler: bootstrap
Resources:
  One:
    Type: AWS::Serverless::Function
    Properties:
      <<: *defaults
      CodeUri: s3://bucket/one.zip
      FunctionName: !Select [0, !Split [',', 'a,b']]
      Environment: {Variables: {B64: !Base64 hi, SUB: !Sub ['${X}-y', {X: !Ref AWS::Region}]}}
  Two:
    Type: AWS::Serverless::LayerVersion
    Condition: Never
    Properties: {ContentUri: ./layer, LayerName: !GetAtt One.Arn}
Conditions:
  Never: !And [!Equals [a, b], !Or [!Condition Never, !Not [!Equals [1, 1]]]]
""")
