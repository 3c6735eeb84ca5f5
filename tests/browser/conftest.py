"""Fixtures: Debian's Chromium through Playwright, and the real `pcmh serve --demo`.

Environment:
  PCMH_BIN                the pcmh binary (required)
  PCMH_REPO               the repository root (its policy-catalog/ is served); default: two folders up
  PCMH_BROWSER_BACKEND    sqlite (default) or postgres
  PCMH_TEST_POSTGRES_URL  for postgres: an admin URL; each server gets a fresh database on it
  PCMH_CHROMIUM           the browser (default /usr/bin/chromium; never `playwright install`)
  PCMH_SCREENSHOT_DIR     where screenshots go (default target/browser-screenshots/<backend>/)
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import sync_playwright

import harness

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_sessionstart(session):
    harness.clear_screenshots()


def pytest_report_header(config):
    return [
        f"pcmh: {os.environ.get('PCMH_BIN', '(PCMH_BIN unset)')} on {harness.backend()}",
        f"screenshots: {harness.screenshot_dir()}",
    ]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.pcmh_failed = report.failed


@pytest.fixture(autouse=True)
def _per_test(request):
    harness.begin_test(request.node.name)
    yield
    if getattr(request.node, "pcmh_failed", False):
        # Shown with the failure: what each running server wrote to stderr.
        for server in harness.Server.running:
            print(f"--- server {server.base} stderr (last 60 lines):")
            print("\n".join(server.log_text().splitlines()[-60:]))


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("PCMH_CHROMIUM", "/usr/bin/chromium")
    if not os.access(executable, os.X_OK):
        pytest.fail(f"no browser at {executable}: install Debian's chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(20_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A fresh page in a fresh browser context (no cookies)."""
    return context.new_page()


@pytest.fixture
def new_page(browser):
    """Makes more pages, each in its own fresh context (another person at another browser)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _started(extra_args=()):
    server = harness.Server(extra_args)
    server.start()
    return server


@pytest.fixture(scope="module")
def server():
    """One `pcmh serve --demo` for the test module (on a fresh database)."""
    server = _started()
    yield server
    server.stop()


@pytest.fixture
def start_server():
    """`start_server(*extra_args)` starts a server of the test's own (e.g. "--session-idle-timeout", "3")."""
    servers = []

    def start(*extra_args):
        server = _started(extra_args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
