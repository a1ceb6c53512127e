"""Take the screenshots of docs/images/ from a running Waymark with the demo data.

    scripts/dev.sh &                                  # or any server with seed_demo loaded
    DEBUG=1 .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000

It runs one report of each kind on the demo workspace (in this process, on the same
database as the server), then drives the system's Chromium with Playwright: the canvas
of a published map with its measured overlay, the canvas of a draft, each report kind's
chart on its admin page, and GraphiQL after a query.
"""

import os
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from playwright.sync_api import sync_playwright  # noqa: E402

from analytics.demo import demo_map, run_demo_reports  # noqa: E402
from analytics.models import ReportKind  # noqa: E402
from journeys.models import JourneyMap  # noqa: E402
from tests.browser.conftest import CHROMIUM, FLAGS  # noqa: E402  (the browser tests' launch)
from workspaces.models import Workspace  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def demo_reports() -> dict[str, int]:
    workspace = Workspace.objects.get(slug="demo")
    ids = {kind.value: report.pk for kind, report in run_demo_reports(workspace).items()}
    ids["published_map"] = demo_map(workspace).pk
    ids["draft_map"] = JourneyMap.objects.filter(workspace=workspace, status="draft").first().pk
    return ids


def main(base: str) -> None:
    ids = demo_reports()
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", "demo")
        page.fill("#id_password", "demo")
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")

        page.goto(f"{base}/admin/journeys/journeymap/{ids['published_map']}/canvas/")
        page.locator("#content").screenshot(path=IMAGES / "canvas-overlay.png")
        page.goto(f"{base}/admin/journeys/journeymap/{ids['draft_map']}/canvas/")
        page.locator("#content").screenshot(path=IMAGES / "canvas-draft.png")
        for kind in ReportKind:
            page.goto(f"{base}/admin/analytics/report/{ids[kind.value]}/change/")
            page.locator(".report-chart").screenshot(path=IMAGES / f"chart-{kind.value}.png")
        query = "{ journeyMaps(first: 3) { edges { node { name status stages { name } } } } }"
        page.goto(f"{base}/graphql/?q={quote(query)}")
        page.click(".graphiql-execute-button")
        page.locator(".result-window >> text=journeyMaps").wait_for()
        page.screenshot(path=IMAGES / "graphiql.png")
        browser.close()
    print(f"Screenshots written to {IMAGES}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
