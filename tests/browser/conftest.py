"""Browser tests: Playwright for Python driving the system's Chromium (browser downloads
are not available; .ci/run installs Debian's chromium). Every page is watched: a
Content-Security-Policy violation, a console error or a request to another host fails
the test."""

import os
import shutil
from dataclasses import dataclass, field

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Reports every CSP violation to the console, where the page watcher sees it.
REPORT_CSP = """document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
});"""


def pytest_collection_modifyitems(config, items):
    missing = shutil.which(CHROMIUM) is None
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)
            if missing and not os.environ.get("CI"):
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))


@dataclass
class Watcher:
    origin: str
    problems: list[str] = field(default_factory=list)

    def console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text} ({message.location.get('url')})")

    def response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def request(self, request) -> None:
        if not request.url.startswith((self.origin, "data:", "blob:")):
            self.problems.append(f"external request: {request.url}")


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module; Playwright's event loop ends with it, before the
    rest of the suite runs.

    While the loop runs in this thread, Django takes the tests' own (synchronous) ORM
    calls for calls from async code; they are safe, so the check is off for the module,
    and back on after it (a deploy check in a later test refuses the variable)."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _chromium(sync_playwright)
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _chromium(sync_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(REPORT_CSP)
    page = context.new_page()
    watcher = Watcher(origin=live_server.url)
    page.on("console", watcher.console)
    page.on("request", watcher.request)
    page.on("response", watcher.response)
    page.watcher = watcher
    page.base = live_server.url
    yield page
    context.close()
    assert watcher.problems == [], watcher.problems


def log_in(page, username: str, password: str = "secret-pass") -> None:
    page.goto(f"{page.base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{page.base}/admin/")
