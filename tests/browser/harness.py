"""The browser tests' machinery: the real `pcmh serve --demo`, and helpers that drive a page.

Every page a test visits goes through `visit` (or `check_page` after a click): its full-page
screenshot is saved under target/browser-screenshots/<backend>/ and axe checks it, failing on any
violation of impact "serious" or "critical".
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

# What the server prints before it listens (see `pcmh serve --demo`).
LISTENING = "listening on http://"
ACCOUNTS_HEADING = "demo accounts"
TOKENS_HEADING = "demo tokens"
ROLES = ("admin", "po_manager", "practice_manager", "auditor")
DEMO_PRACTICE = "Maple Street Family Medicine"  # the demo practice manager's practice


def practice_today() -> datetime.date:
    """The demo practices' today: the day it is in their time zone (America/Detroit, the
    default), which the pages and the rules use; the machine's own date differs from it for
    hours each night."""
    return datetime.datetime.now(ZoneInfo("America/Detroit")).date()

BLOCKING_IMPACTS = ("serious", "critical")
START_TIMEOUT = 90.0  # seconds for the server to say it listens (a debug build on PostgreSQL is slow)


def repo_root() -> Path:
    return Path(os.environ.get("PCMH_REPO") or Path(__file__).resolve().parents[2]).resolve()


def backend() -> str:
    name = os.environ.get("PCMH_BROWSER_BACKEND", "sqlite") or "sqlite"
    if name not in ("sqlite", "postgres"):
        raise RuntimeError(f"PCMH_BROWSER_BACKEND={name}: expected sqlite or postgres")
    return name


def pcmh_binary() -> str:
    binary = os.environ.get("PCMH_BIN")
    if not binary:
        raise RuntimeError("set PCMH_BIN to the pcmh binary (e.g. target/debug/pcmh)")
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"PCMH_BIN={binary} is not an executable file")
    return binary


def screenshot_dir() -> Path:
    return Path(os.environ.get("PCMH_SCREENSHOT_DIR") or repo_root() / "target" / "browser-screenshots" / backend())


# ---------------------------------------------------------------------------------------------
# PostgreSQL databases for the servers


_database_numbers = itertools.count(1)


def _psql(admin_url: str, sql: str) -> None:
    result = subprocess.run(
        ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql {sql!r} failed ({result.returncode}): {result.stderr.strip()}")


def create_postgres_database() -> tuple[str, str]:
    """Makes a fresh database on $PCMH_TEST_POSTGRES_URL's server; returns (its URL, its name)."""
    admin = os.environ.get("PCMH_TEST_POSTGRES_URL")
    if not admin:
        raise RuntimeError("PCMH_BROWSER_BACKEND=postgres needs PCMH_TEST_POSTGRES_URL (an admin URL)")
    name = f"pcmh_test_browser_{os.getpid()}_{next(_database_numbers)}"
    _psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _psql(admin, f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(admin)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name)), name


def drop_postgres_database(name: str) -> None:
    admin = os.environ.get("PCMH_TEST_POSTGRES_URL")
    if admin and name.startswith("pcmh_test_browser_"):
        try:
            _psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except (RuntimeError, subprocess.TimeoutExpired) as e:  # a leftover is only clutter
            print(f"note: could not drop {name}: {e}")


# ---------------------------------------------------------------------------------------------
# The server


class Server:
    """`pcmh serve --demo` on a fresh database in a temp folder; `stop()` ends it."""

    running: list["Server"] = []  # started and not stopped, to show their logs when a test fails

    def __init__(self, extra_args: list[str] | tuple[str, ...] = ()):
        self.extra_args = list(extra_args)
        self.backend = backend()
        self.tmp = Path(tempfile.mkdtemp(prefix="pcmh-browser-"))
        self.log_path = self.tmp / "server.log"  # the server's stderr
        self.database_name: str | None = None
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []  # every stdout line, as read
        self.base = ""
        self.accounts: dict[str, tuple[str, str]] = {}  # role -> (email, password)
        self.tokens: dict[str, str] = {}  # role -> bearer token
        self._lines: queue.Queue = queue.Queue()

    # -- life

    def start(self) -> "Server":
        if self.backend == "postgres":
            database_url, self.database_name = create_postgres_database()
        else:
            database_url = f"sqlite://{self.tmp / 'pcmh.sqlite3'}"
        command = [
            pcmh_binary(),
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            database_url,
            "--data-dir",
            str(self.tmp),
            "--catalog-dir",
            str(repo_root() / "policy-catalog"),
            *self.extra_args,
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PCMH_") or k == "PCMH_LOG"}
        log = open(self.log_path, "wb")
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                text=True,
                bufsize=1,
            )
        finally:
            log.close()
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        seen: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                story = self._story(seen)
                self.stop()
                raise RuntimeError(f"the server did not listen within {START_TIMEOUT:.0f} s: {story}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.process.wait()
                story = self._story(seen)
                self.stop()
                raise RuntimeError(f"the server exited ({code}) before listening: {story}")
            if LISTENING in line:
                self.base = "http://" + line.split(LISTENING, 1)[1].strip().rstrip("/")
                break
            seen.append(line)
        self._parse_demo(seen)
        Server.running.append(self)
        return self

    def _drain(self) -> None:
        # Reads stdout to its end so the server never blocks on a full pipe.
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            line = line.rstrip("\n")
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _story(self, seen: list[str]) -> str:
        return "\nstdout:\n" + "\n".join(seen) + "\nstderr:\n" + self.log_text()

    def _parse_demo(self, lines: list[str]) -> None:
        block = None
        for line in lines:
            if line.startswith(ACCOUNTS_HEADING):
                block = "accounts"
            elif line.startswith(TOKENS_HEADING):
                block = "tokens"
            elif block and line.startswith(" ") and line.strip():
                fields = re.split(r"\s+", line.strip(), maxsplit=2)
                if block == "accounts" and len(fields) == 3:
                    self.accounts[fields[0]] = (fields[1], fields[2])
                elif block == "tokens" and len(fields) >= 2:
                    self.tokens[fields[0]] = fields[1]
            else:
                block = None

    def stop(self) -> None:
        if self in Server.running:
            Server.running.remove(self)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.database_name:
            drop_postgres_database(self.database_name)
            self.database_name = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- what the demo printed

    def account(self, role: str) -> tuple[str, str]:
        """(email, password) of the demo account of `role`."""
        if role not in self.accounts:
            raise AssertionError(
                f"the server printed no demo account for {role!r} (a '{ACCOUNTS_HEADING} ...' block of "
                f"'  role  email  password' lines); it printed:\n" + "\n".join(self.output)
            )
        return self.accounts[role]

    def token(self, role: str) -> str:
        if role not in self.tokens:
            raise AssertionError(f"the server printed no demo token for {role!r}:\n" + "\n".join(self.output))
        return self.tokens[role]

    # -- the JSON API, to check what the pages did

    def api(self, path: str, role: str = "admin", method: str = "GET", body: object = None) -> tuple[int, object]:
        """Calls /api/v1{path} with `role`'s demo token; returns (status, parsed JSON or text)."""
        data = None
        headers = {"Authorization": f"Bearer {self.token(role)}", "Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + "/api/v1" + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def demo_practices(self) -> list[dict]:
        """The demo PO's practices, as the API lists them (the first is the practice manager's)."""
        status, organizations = self.api("/organizations")
        assert status == 200, organizations
        demo = [o for o in organizations["items"] if "(demo)" in o["name"]] or organizations["items"]
        status, practices = self.api(f"/organizations/{demo[0]['id']}/practices")
        assert status == 200, practices
        return practices["items"]


# ---------------------------------------------------------------------------------------------
# Pages: screenshots and axe


class _Shots:
    """Which test is running and how many pages it has saved (set by conftest for each test)."""

    test = "test"
    count = 0


_axe = Axe()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "page"


def begin_test(name: str) -> None:
    _Shots.test = slug(name)
    _Shots.count = 0


def clear_screenshots() -> None:
    folder = screenshot_dir()
    if folder.is_dir():
        for png in folder.glob("*.png"):
            png.unlink()


def screenshot(page, name: str) -> Path:
    _Shots.count += 1
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_Shots.test}-{_Shots.count:02d}-{slug(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v.get('help')}  <{v.get('helpUrl')}>")
        for node in v.get("nodes", [])[:10]:
            target = ", ".join(str(t) for t in node.get("target", []))
            html = re.sub(r"\s+", " ", node.get("html", ""))[:200]
            lines.append(f"    at {target}: {html}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend("      " + s.strip() for s in summary.splitlines() if s.strip())
        if len(v.get("nodes", [])) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more elements")
    return "\n".join(lines)


def check_axe(page, name: str) -> list[dict]:
    """Runs axe on the page; fails on violations of impact serious or critical, prints the rest."""
    results = _axe.run(page)
    violations = results.response.get("violations", [])
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    minor = [v for v in violations if v.get("impact") not in BLOCKING_IMPACTS]
    if minor:
        print(f"axe on {name} ({page.url}): {len(minor)} minor or moderate finding(s):\n{axe_report(minor)}")
    if blocking:
        raise AssertionError(
            f"axe found {len(blocking)} serious or critical violation(s) on {name} ({page.url}):\n"
            + axe_report(blocking)
        )
    return violations


def check_page(page, name: str) -> None:
    """Saves the current page's screenshot, then runs axe on it (so a failing page is still seen)."""
    page.wait_for_load_state("load")
    screenshot(page, name)
    check_axe(page, name)


def visit(page, url: str, name: str):
    """Goes to `url`, saves its screenshot and runs axe on it; returns the main response."""
    response = page.goto(url)
    check_page(page, name)
    return response


def sign_in(page, base: str, email: str, password: str, check: bool = True):
    """Opens /sign-in, fills the form and submits it; returns the response of the page it lands on.

    The form is a plain HTML form: a success answers 303 to the home page (the response returned
    is then the home page's, and `.request.redirected_from` is the POST), a failure answers the
    sign-in page again with 422. With `check`, the page landed on is screenshot and axe-checked.
    """
    visit(page, base + "/sign-in", "sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation() as landed:
        page.get_by_role("button", name="Sign in").click()
    if check:
        check_page(page, "after-sign-in")
    return landed.value


def expect_alert(page, text: str) -> None:
    """An element with role="alert" shows `text` (others may exist, empty or not)."""
    expect(page.get_by_role("alert").filter(has_text=text).first).to_be_visible()


def path_of(page) -> str:
    return urllib.parse.urlsplit(page.url).path
