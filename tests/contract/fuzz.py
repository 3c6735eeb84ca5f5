#!/usr/bin/env python3
"""Fuzzes the JSON API against its own OpenAPI document with schemathesis.

For each role (the admin and a practice manager by default) it starts `pcmh serve --demo` on a
fresh SQLite database in a temporary folder and a free port, reads the demo token of that role
from what the server prints, and runs schemathesis against the server's /openapi.json with every
check and the examples, coverage, fuzzing and stateful phases, for a bounded time and a fixed
seed (tests/contract/schemathesis.toml holds the settings). It prints how many requests were
sent and which checks ran, and exits non-zero when schemathesis reports any failure.

Run it with the Python of the contract venv (see tests/contract/README.md):

    target/contract-venv/bin/python tests/contract/fuzz.py

Environment:
    PCMH_BIN                 the pcmh binary (default target/debug/pcmh)
    PCMH_FUZZ_SEED           the seed (default 20261128); "random" picks one and prints it
    PCMH_FUZZ_SECONDS        the time budget of each role's run, in seconds (default 90)
    PCMH_FUZZ_MAX_EXAMPLES   instead of a time budget, this many test cases per operation and
                             phase: slower to finish, but the same seed then sends the same requests
    PCMH_FUZZ_ROLES          comma-separated demo roles (default admin,practice_manager)
    PCMH_FUZZ_REPORT_DIR     where the reports and logs go (default target/contract-reports)
"""

from __future__ import annotations

import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

sys.dont_write_bytecode = True  # no __pycache__ in the work tree for the module below
from demo_server import ROLES, Server, ServerError, pcmh_binary, token_id  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CONFIG = HERE / "schemathesis.toml"
HOOKS = HERE / "hooks.py"

DEFAULT_SEED = 20261128
DEFAULT_SECONDS = 90
DEFAULT_ROLES = "admin,practice_manager"
# Past a time budget, schemathesis finishes the request in flight and writes its reports; a run
# still going long after that hangs, and is stopped.
GRACE_SECONDS = 300
# A run by number of examples has no budget of its own; past this it hangs.
EXAMPLES_DEADLINE_SECONDS = 3 * 3600


def say(text: str = "") -> None:
    print(text, flush=True)


def fail(text: str) -> NoReturn:
    print(f"fuzz.py: {text}", file=sys.stderr, flush=True)
    sys.exit(2)


def setting(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def positive_int(name: str, default: int | None) -> int | None:
    text = setting(name, "" if default is None else str(default))
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        fail(f"{name}={text!r}: expected a whole number of at least 1")
    return int(text)


def pick_seed() -> int:
    text = setting("PCMH_FUZZ_SEED", str(DEFAULT_SEED))
    if text == "random":
        return random.SystemRandom().randrange(1, 2**31)
    if not text.isdigit():
        fail(f"PCMH_FUZZ_SEED={text!r}: expected a whole number, or 'random'")
    return int(text)


@dataclass
class Budget:
    """How long each role's run goes on: a time budget, or a number of examples."""

    seconds: int | None
    examples: int | None

    def arguments(self) -> list[str]:
        if self.examples is not None:
            return ["--max-examples", str(self.examples)]
        return ["--max-time", str(self.seconds)]

    def deadline(self) -> int:
        return EXAMPLES_DEADLINE_SECONDS if self.examples is not None else self.seconds + GRACE_SECONDS

    def describe(self) -> str:
        return f"{self.examples} examples per operation" if self.examples is not None else f"{self.seconds} s"

    def variables(self) -> str:
        if self.examples is not None:
            return f"PCMH_FUZZ_MAX_EXAMPLES={self.examples}"
        return f"PCMH_FUZZ_SECONDS={self.seconds}"


def schemathesis_command() -> Path:
    beside = Path(sys.executable).parent / "schemathesis"
    if beside.exists():
        return beside
    found = shutil.which("schemathesis")
    if not found:
        fail("schemathesis is not installed beside this Python: use target/contract-venv/bin/python")
    return Path(found)


def run_schemathesis(server: Server, role: str, seed: int, budget: Budget, report_dir: Path) -> int:
    token = server.token(role)
    env = dict(os.environ)
    env.update(
        PCMH_FUZZ_TOKEN=token,
        PCMH_FUZZ_TOKEN_ID=token_id(token),
        SCHEMATHESIS_HOOKS=str(HOOKS),
        PYTHONDONTWRITEBYTECODE="1",
    )
    command = [
        str(schemathesis_command()),
        "--config-file",
        str(CONFIG),
        "run",
        f"{server.base}/openapi.json",
        "--seed",
        str(seed),
        *budget.arguments(),
        "--report",
        "ndjson,json",
        "--report-dir",
        str(report_dir),
        "--no-color",
    ]
    say(f"+ PCMH_FUZZ_TOKEN=<{role} token> schemathesis {' '.join(command[1:])}")
    with open(report_dir / "schemathesis.log", "w") as log:
        process = subprocess.Popen(
            command,
            cwd=report_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        # Not the normal end of a run: schemathesis stops itself at its budget.
        timer = threading.Timer(budget.deadline(), lambda: os.killpg(process.pid, signal.SIGKILL))
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(line)
            code = process.wait()
        finally:
            timer.cancel()
    if code < 0:
        say(f"schemathesis ran past {budget.deadline()} s and was stopped")
    return code


def newest(report_dir: Path, pattern: str) -> Path | None:
    found = sorted(report_dir.glob(pattern))
    return found[-1] if found else None


def tally(report_dir: Path) -> dict:
    """Requests, checks and failures of one run, from its NDJSON and JSON reports."""
    requests = 0
    checks: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    ndjson = newest(report_dir, "ndjson-*.ndjson")
    if ndjson is not None:
        with open(ndjson) as events:
            for line in events:
                finished = json.loads(line).get("ScenarioFinished")
                if not finished:
                    continue
                recorder = finished.get("recorder") or {}
                requests += len(recorder.get("interactions") or {})
                for results in (recorder.get("checks") or {}).values():
                    for result in results:
                        checks[result["name"]][result["status"]] += 1
    summary = {"requests": requests, "checks": checks, "failures": [], "test_cases": None, "dropped": 0}
    report = newest(report_dir, "json-*.json")
    if report is not None:
        data = json.loads(report.read_text())
        summary["failures"] = data.get("failures") or []
        summary["test_cases"] = (data.get("test_cases") or {}).get("generated")
        summary["dropped"] = data.get("filtered") or 0
    return summary


def fuzz_role(binary: Path, role: str, seed: int, budget: Budget, reports: Path) -> dict:
    report_dir = reports / role
    shutil.rmtree(report_dir, ignore_errors=True)
    report_dir.mkdir(parents=True)
    say(f"\n== schemathesis as the demo {role}: seed {seed}, {budget.describe()}")
    try:
        server = Server(binary, report_dir / "server.log")
    except ServerError as e:
        fail(str(e))
    token_status = None
    try:
        say(f"server {server.base} (data in {server.tmp})")
        code = run_schemathesis(server, role, seed, budget, report_dir)
        # A run that lost its token tested nothing after that point: say so, and count it failed.
        token_status = server.status_of("/api/v1/catalogs", server.token(role))
    finally:
        server.stop()
    summary = tally(report_dir)
    if token_status == 401:
        say(f"the {role} token no longer works after the run (401): what followed its loss tested nothing")
        code = code or 1
    summary["code"] = code
    return summary


def main() -> int:
    try:
        binary = pcmh_binary()
    except ServerError as e:
        fail(str(e))
    seed = pick_seed()
    examples = positive_int("PCMH_FUZZ_MAX_EXAMPLES", None)
    budget = Budget(seconds=None if examples else positive_int("PCMH_FUZZ_SECONDS", DEFAULT_SECONDS), examples=examples)
    roles = [r.strip() for r in setting("PCMH_FUZZ_ROLES", DEFAULT_ROLES).split(",") if r.strip()]
    for role in roles:
        if role not in ROLES:
            fail(f"PCMH_FUZZ_ROLES: {role!r} is not a demo role ({', '.join(ROLES)})")
    reports = Path(setting("PCMH_FUZZ_REPORT_DIR", str(REPO / "target" / "contract-reports"))).resolve()
    say(f"contract fuzzing of {binary}: seed {seed}, {budget.describe()} per role, roles {', '.join(roles)}")
    started = time.monotonic()
    results = {role: fuzz_role(binary, role, seed, budget, reports) for role in roles}

    say("\n== contract fuzzing: summary")
    failed = False
    for role, summary in results.items():
        checks = summary["checks"]
        say(
            f"{role}: {summary['requests']} requests sent ({summary['test_cases']} test cases), "
            f"{len(checks)} checks ran, schemathesis exit code {summary['code']}"
        )
        for name in sorted(checks):
            counts = checks[name]
            say(f"  {name:30} {counts['success']:>7} passed {counts['failure']:>6} failed")
        if summary["dropped"]:
            say(
                f"  {summary['dropped']} refusals (422) accepted as rules the operation's description "
                "declares beyond its schemas (hooks.py)"
            )
        for failure in summary["failures"]:
            say(
                f"  FAILURE {failure['code']} {failure['title']}: {failure['count']} "
                f"on {len(failure['operations'])} operation(s)"
            )
        failed = failed or summary["code"] != 0
    total = sum(summary["requests"] for summary in results.values())
    say(f"{total} requests in {time.monotonic() - started:.0f} s; reports in {reports}")
    say(
        f"replay with: PCMH_FUZZ_SEED={seed} {budget.variables()} PCMH_FUZZ_ROLES={','.join(roles)} "
        "target/contract-venv/bin/python tests/contract/fuzz.py"
    )
    if failed:
        say("contract fuzzing FAILED: schemathesis reported failures (see above, and the reports)")
        return 1
    say("contract fuzzing passed: no failure on any check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
