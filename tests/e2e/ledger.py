"""A ledger of acknowledged writes, for checking that a server killed with SIGKILL loses none of them.

Writer threads (boto3, one client each) create functions, change their description and environment,
tag them, publish versions and delete them, each on functions of its own, and record every write the
server acknowledged (a 2xx). A write in flight when the server dies may or may not have happened: it is
kept as the function's `pending` write. After a restart, `verify` reads everything back (ListFunctions
with every version, ListTags) and compares each function with what was acknowledged, with its pending
write applied or not; anything else is a lost write. Shared by tests/e2e/test_durability.py and the
reliability harness (`scripts/reliability`), which kills the server many times."""

import base64
import copy
from collections import Counter
import hashlib
import random
import re
import threading
import time

from botocore.exceptions import ClientError

from conftest import ROLE
from hostile_packages import with_bootstrap

# The names of the ledger's functions: writer number, serial number.
NAME = re.compile(r"w\d+-\d+")


def fresh_state(name, code_sha):
    return {
        "exists": True,
        "code": code_sha,
        "description": f"created {name}",
        "environment": {"VALUE": "0"},
        "tags": {"t0": "0"},
        "versions": {},
    }


GONE = {"exists": False}


class Ledger:
    """What the server acknowledged, function by function. Each function is written by one writer
    only, so at most one write per function is ever in flight."""

    def __init__(self, seed=None):
        self.lock = threading.Lock()
        self.states = {}  # name -> the state every acknowledged write so far leaves
        self.pending = {}  # name -> (operation, arguments) in flight when the server died
        self.acknowledged = 0
        self.by_operation = Counter()
        self.random = random.Random(seed)

    # Writing.

    def writer(self, client, worker, stop):
        """Writes on `client` until `stop` is set or a request fails without an answer (the server
        died under it: that write is left pending). Run one per thread, with a worker number of its own."""
        rng = random.Random(self.random.random())
        own = [n for n, s in self.states.items() if n.startswith(f"w{worker}-") and s["exists"]]
        serial = len([n for n in self.states if n.startswith(f"w{worker}-")])
        while not stop.is_set():
            if len(own) < 2 or (len(own) < 5 and rng.random() < 0.15):
                name = f"w{worker}-{serial}"
                serial += 1
                operation, args = "create", {}
            else:
                name = rng.choice(own)
                operation = rng.choices(["configure", "tag", "publish", "delete"], [4, 3, 2, 1])[0]
                value = str(rng.randrange(1_000_000))
                args = {}
                if operation == "configure" and rng.random() < 0.5:
                    args = {"description": f"d{value}"}
                elif operation == "configure":
                    args = {"environment": {"VALUE": value}}
                elif operation == "tag":
                    args = {"tag": (f"t{rng.randrange(4)}", value)}
            try:
                result = self.send(client, operation, name, args)
            except ClientError as error:
                if error.response["ResponseMetadata"]["HTTPStatusCode"] < 500:
                    continue  # refused (409 while an update settles...): not written
                self.leave_pending(name, operation, args)
                return
            except Exception:  # noqa: BLE001 - no answer: the server died under the request
                self.leave_pending(name, operation, args)
                return
            with self.lock:
                self.acknowledged += 1
                self.by_operation[operation] += 1
                self.states[name] = self.apply(self.states.get(name, GONE), name, operation, args, result)
            if operation == "create":
                own.append(name)
            elif operation == "delete":
                own.remove(name)

    def leave_pending(self, name, operation, args):
        with self.lock:
            self.pending[name] = (operation, args)

    @staticmethod
    def send(client, operation, name, args):
        if operation == "create":
            return client.create_function(
                FunctionName=name,
                Runtime="provided.al2023",
                Handler="bootstrap",
                Role=ROLE,
                Description=f"created {name}",
                Environment={"Variables": {"VALUE": "0"}},
                Tags={"t0": "0"},
                Code={"ZipFile": package(name)},
            )
        if operation == "configure":
            if "description" in args:
                return client.update_function_configuration(FunctionName=name, Description=args["description"])
            return client.update_function_configuration(
                FunctionName=name, Environment={"Variables": args["environment"]}
            )
        if operation == "tag":
            arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
            key, value = args["tag"]
            return client.tag_resource(Resource=arn, Tags={key: value})
        if operation == "publish":
            return client.publish_version(FunctionName=name)
        if operation == "delete":
            return client.delete_function(FunctionName=name)
        raise ValueError(operation)

    @staticmethod
    def apply(state, name, operation, args, result=None):
        """The state after `operation`; `result` is the server's answer (None for a pending write)."""
        if operation == "create":
            return fresh_state(name, package_sha(name))
        if operation == "delete":
            return GONE
        state = copy.deepcopy(state)
        if operation == "configure":
            if "description" in args:
                state["description"] = args["description"]
            else:
                state["environment"] = args["environment"]
        elif operation == "tag":
            key, value = args["tag"]
            state["tags"][key] = value
        elif operation == "publish" and result is not None:
            state["versions"][result["Version"]] = (result["CodeSha256"], result["Description"])
        return state

    # Checking.

    def verify(self, client):
        """Reads every function back and returns the lost writes (a list of what differs, empty when
        nothing was lost). Adopts what the server shows for pending writes, so the ledger is exact for
        the next round."""
        actual = read_back(client)
        lost = []
        for name, state in sorted(self.states.items()) + [
            (n, GONE) for n in sorted(set(self.pending) - set(self.states))
        ]:
            seen = actual.pop(name, GONE)
            allowed = [state]
            if name in self.pending:
                operation, args = self.pending[name]
                allowed.append(self.apply(state, name, operation, args))
                if operation == "publish" and seen.get("versions"):
                    # A version published without an answer: any one new version of the current code.
                    extra = set(seen["versions"]) - set(state["versions"])
                    if len(extra) == 1:
                        with_it = copy.deepcopy(state)
                        with_it["versions"].update({v: seen["versions"][v] for v in extra})
                        allowed.append(with_it)
            if seen in allowed:
                if name in self.pending:
                    self.states[name] = seen
                continue
            lost.extend(differences(name, state, seen))
        # Functions nobody acknowledged nor had in flight must not exist either.
        for name in actual:
            if NAME.fullmatch(name):
                lost.append(f"{name}: exists, but no write created it")
        self.pending.clear()
        return lost


def differences(name, expected, seen):
    if expected["exists"] != seen["exists"]:
        return [f"{name}: exists is {seen['exists']}, acknowledged {expected['exists']}"]
    return [
        f"{name}: {key} is {seen[key]!r}, acknowledged {expected[key]!r}"
        for key in expected
        if expected[key] != seen[key]
    ]


def read_back(client):
    """Every function as the server shows it: the ledger's fields of $LATEST, its versions, its tags."""
    functions, versions = {}, {}
    for page in client.get_paginator("list_functions").paginate(FunctionVersion="ALL"):
        for f in page["Functions"]:
            if f["Version"] == "$LATEST":
                functions[f["FunctionName"]] = f
            else:
                versions.setdefault(f["FunctionName"], {})[f["Version"]] = (f["CodeSha256"], f.get("Description", ""))
    out = {}
    for name, f in functions.items():
        out[name] = {
            "exists": True,
            "code": f["CodeSha256"],
            "description": f.get("Description", ""),
            "environment": f.get("Environment", {}).get("Variables", {}),
            "tags": client.list_tags(Resource=f["FunctionArn"])["Tags"],
            "versions": versions.get(name, {}),
        }
    return out


def package(name) -> bytes:
    """A function's package: a bootstrap that names it, so every function's CodeSha256 differs."""
    return with_bootstrap(("name.txt", name, 0o100644))


def package_sha(name) -> str:
    return base64.b64encode(hashlib.sha256(package(name)).digest()).decode()


def run_writers(ledger, client_factory, workers, stop):
    """Starts `workers` writer threads, each with a client of its own from `client_factory()`."""
    threads = [
        threading.Thread(target=ledger.writer, args=(client_factory(), w, stop), daemon=True)
        for w in range(workers)
    ]
    for t in threads:
        t.start()
    return threads


def wait_for_writes(ledger, count, seconds):
    """Waits until the ledger holds `count` more acknowledged writes than now (or `seconds` pass)."""
    target = ledger.acknowledged + count
    deadline = time.monotonic() + seconds
    while ledger.acknowledged < target and time.monotonic() < deadline:
        time.sleep(0.01)
    return ledger.acknowledged >= target
