"""Paths as a report kind: the most common state sequences before conversion, and the
transitions between states, ready for a Sankey diagram.

The result (JSON, stored on the Report) reads:

    {
      "totals": {"conversions": int, "untouched_conversions": int,
                 "converting_journeys": int, "non_converting_journeys": int,
                 "distinct_paths": int},
      "paths": [
        {"path": ["ad", "blog", "demo"], "labels": ["Ad", "Blog", "Demo"], "length": 3,
         "conversions": int, "non_converting": int, "journeys": int,
         "conversion_rate": float, "value": float}, ...
      ],
      "transitions": [{"from": "(start)", "to": "ad", "count": int}, ...,
                      {"from": "demo", "to": "(conversion)", "count": int}, ...],
      "nodes": [{"key": "(start)", "label": "Start"}, {"key": "ad", "label": "Ad"}, ...,
                {"key": "(conversion)", "label": "Conversion"}],
      "notes": [str, ...]
    }

States are touchpoint keys or channel values (parameter `state`). `paths` holds the top
N paths of converting journeys, most conversions first (then higher rate, then the path);
`conversion_rate` = conversions / journeys, where journeys counts converting and
non-converting journeys with that same path. `converting_journeys` and
`non_converting_journeys` count the journeys with a path that pass the start and end
filters. `transitions` counts every step of every converting journey's path (not only
the top N), from "(start)" to its first state and from its last state to
"(conversion)"; "(start)" and "(conversion)" cannot clash with a key or a channel.
docs/analytics/paths.md defines everything.
"""

from analytics.models import ReportKind
from analytics.paths.chart import chart
from analytics.paths.compute import compute_paths
from analytics.paths.parameters import parse_parameters
from analytics.registry import KindSpec

COLUMNS = [
    "path",
    "labels",
    "length",
    "conversions",
    "non_converting",
    "journeys",
    "conversion_rate",
    "value",
]


def table(result: dict) -> tuple[list[str], list[list]]:
    """One row per top path; the states joined by " > "."""
    return COLUMNS, [
        [
            " > ".join(row["path"]),
            " > ".join(row["labels"]),
            *(row[column] for column in COLUMNS[2:]),
        ]
        for row in result["paths"]
    ]


SPEC = KindSpec(
    kind=ReportKind.PATHS,
    version="paths-1",
    parse=parse_parameters,
    compute=compute_paths,
    chart=chart,
    table=table,
)
