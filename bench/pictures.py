"""Rendering times of report charts and map pictures on the demo data.

    .venv/bin/python bench/pictures.py                              # SQLite
    scripts/with-postgres.sh .venv/bin/python bench/pictures.py     # PostgreSQL

On a throwaway database: seed_demo (200 accounts), one report of each kind, then each
chart and the Head of RevOps map picture (with its measured overlay) rendered
`--repeat` times in this process, as the admin pages and downloads render them. The
first render of a process also starts vl-convert's engine; it is reported apart.
"""

import argparse
import io
import statistics
import time

import _common

SECTION = "pictures"
SKELETON = """## Charts and map pictures: `bench/pictures.py`

Seconds to render on the demo data (seed_demo: 200 accounts, 18 months), in one process,
median of the repeats; the first render of a process starts vl-convert's JavaScript
engine and is shown apart. Rendering is CPU work in vl-convert, outside the database.

```console
$ .venv/bin/python bench/pictures.py
```

<!-- bench:pictures:sqlite -->
<!-- /bench:pictures:sqlite -->
"""


def timed(render, repeat: int) -> float:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        render()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    with _common.workdir() as work, _common.throwaway_database(work) as url:
        _common.setup_django(_common.server_environment(url, work))
        from django.core.management import call_command

        from analytics.charts import report_chart
        from analytics.demo import demo_map, run_demo_reports
        from analytics.models import ReportKind
        from journeys.pictures import PictureFormat, map_picture
        from workspaces.models import Workspace

        info = _common.machine(_common.database_version())
        call_command("seed_demo", stdout=io.StringIO())
        workspace = Workspace.objects.get(slug="demo")
        revops = demo_map(workspace)
        reports = run_demo_reports(workspace)

        started = time.perf_counter()
        report_chart(reports[ReportKind.FUNNEL])
        first = time.perf_counter() - started
        rows = []
        for kind, report in reports.items():
            cells = [
                f"{timed(lambda r=report, f=fmt: report_chart(r, f), args.repeat):.3f}"
                for fmt in PictureFormat
            ]
            rows.append([f"chart: {kind.label}", *cells])
        cells = [
            f"{timed(lambda f=fmt: map_picture(revops, f, overlay=True), args.repeat):.3f}"
            for fmt in PictureFormat
        ]
        rows.append([f"map picture with overlay ({revops.stages.count()} stages)", *cells])
        markdown = "\n\n".join(
            [
                _common.machine_line(info),
                _common.table(["what", "SVG s", "PNG s", "PDF s"], rows),
                f"First render of the process (engine start included): {first:.2f} s.",
            ]
        )
        print(markdown)
        if not args.no_doc:
            path = _common.write_section(SECTION, SKELETON, _common.database_vendor(), markdown)
            print(f"\nWritten to {path.relative_to(_common.REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
