"""`pcmh serve --demo` on a fresh SQLite database in a temporary folder and a free port, for the
contract checks (fuzz.py and test_generated_client.py).

The server prints its demo tokens (api/src/demo.rs) and then the address it listens on
(api/src/http/mod.rs); both are read from its standard output. The token secrets are kept in
`tokens` and never echoed.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

LISTENING = "listening on http://"
TOKENS_HEADING = "demo tokens"
ROLES = ("admin", "po_manager", "practice_manager", "auditor")
START_TIMEOUT = 120.0  # seconds for the server to listen (a debug build loading the demo)


class ServerError(RuntimeError):
    """The server did not start, or did not print what the demo prints."""


def pcmh_binary() -> Path:
    """The binary named by PCMH_BIN (default target/debug/pcmh)."""
    binary = Path(os.environ.get("PCMH_BIN", "").strip() or REPO / "target" / "debug" / "pcmh")
    if not binary.is_absolute():
        binary = REPO / binary
    if not os.access(binary, os.X_OK):
        raise ServerError(f"{binary} is not an executable file: build it (cargo build --locked) or set PCMH_BIN")
    return binary


class Server:
    """A running `pcmh serve --demo`; `stop()` ends it and removes its folder."""

    def __init__(self, binary: Path, log_path: Path | None = None):
        self.tmp = Path(tempfile.mkdtemp(prefix="pcmh-contract-"))
        self.log_path = log_path or self.tmp / "server.log"  # the server's stderr
        self.base = ""
        self.tokens: dict[str, str] = {}  # role -> bearer token
        self.output: list[str] = []  # stdout before listening, secrets left out
        self._lines: queue.Queue = queue.Queue()
        # The server reads PCMH_* settings from the environment: give it none but its log level.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PCMH_") or k == "PCMH_LOG"}
        command = [
            str(binary),
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            str(self.tmp),
            "--catalog-dir",
            str(REPO / "policy-catalog"),
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                text=True,
                bufsize=1,
            )
        threading.Thread(target=self._drain, daemon=True).start()
        try:
            self._wait_until_listening()
        except ServerError:
            self.stop()
            raise

    def _drain(self) -> None:
        # Reads stdout to its end so that the server never blocks on a full pipe.
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _story(self) -> str:
        stderr = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\nstdout:\n" + "\n".join(self.output) + "\nstderr:\n" + stderr

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        in_tokens = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerError(f"the server did not listen within {START_TIMEOUT:.0f} s:{self._story()}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.process.wait()
                raise ServerError(f"the server exited ({code}) before listening:{self._story()}")
            if LISTENING in line:
                self.base = "http://" + line.split(LISTENING, 1)[1].strip().rstrip("/")
                return
            if line.startswith(TOKENS_HEADING):
                in_tokens = True
                self.output.append(line)
            elif in_tokens and line.startswith(" ") and line.strip():
                fields = line.split()
                if len(fields) >= 2:
                    self.tokens[fields[0]] = fields[1]
                    self.output.append(f"  {fields[0]} <token>")
            else:
                in_tokens = False
                self.output.append(line)

    def token(self, role: str) -> str:
        if role not in self.tokens:
            raise ServerError(f"the server printed no demo token for {role!r}:\n" + "\n".join(self.output))
        return self.tokens[role]

    def status_of(self, path: str, token: str) -> int:
        """The status of `GET path` with `token`."""
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as e:
            return e.code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def token_id(token: str) -> str:
    """The id in a token `pcmh_<id>_<secret>`, or "" when it has none."""
    parts = token.split("_")
    return parts[1] if len(parts) >= 3 and parts[1].isdigit() else ""
