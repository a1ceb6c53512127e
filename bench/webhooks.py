"""Does subscribing webhooks slow ingestion down? Milestones per second through
`milestonesRecord` over HTTP, with and without webhook endpoints subscribed.

    .venv/bin/python bench/webhooks.py                              # SQLite
    scripts/with-postgres.sh .venv/bin/python bench/webhooks.py     # PostgreSQL

Needs gunicorn: `pip install -e '.[server]'`. On a throwaway database it migrates,
creates a workspace with 2,000 accounts (a warm-up batch per account domain), six
milestones and an `accounts:write` token, and starts gunicorn on 127.0.0.1 with
production settings (no qcluster runs: queued tasks stay queued). Milestone achievements
are the worst case: every achievement is a `milestone.reached` event (interactions
announce nothing on the ingestion path).

Each round posts the same number of fresh batches of 1,000 achievements twice: once with
no endpoint, once with two enabled endpoints subscribed to every event type - in
alternating order from round to round, so that a change of the machine's load hits both
sides alike. With endpoints, the ingestion path adds one query (is anyone subscribed?)
and one queued `publish` task per batch; events and deliveries are built by the worker
later. The script checks exactly that: no event is built during the runs, and one
publish task is queued per subscribed batch.

Prints a markdown table and writes it to docs/benchmarks.md (section bench:webhooks,
block of the database used) unless --no-doc.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common

BATCH = 1000
SECTION = "webhooks"
MILESTONES = ("trial-started", "demo-booked", "paid-plan", "users-added", "renewal", "review")
QUERY = """
mutation Record($items: [MilestoneAchievementInput!]!) {
  milestonesRecord(items: $items) { ... on IngestResult { accepted duplicates rejected } }
}
"""

SKELETON = """\
## Webhooks and ingestion: `bench/webhooks.py`

Achievements per second through `milestonesRecord` over real HTTP (batches of 1,000), with
no webhook endpoint and with two endpoints subscribed to every event type. Target (issue):
subscribing webhooks slows ingestion down by at most 10%: deliveries are queued after
commit and built and sent by the worker, never inline.

```console
$ .venv/bin/python bench/webhooks.py                              # SQLite
$ scripts/with-postgres.sh .venv/bin/python bench/webhooks.py     # PostgreSQL
```

The machine is shared with other work: each result block states the CPU load measured
before the run (other processes) and the load averages around it. Rounds alternate the
order of the two sides so that load changes hit both alike; the comparison is between
medians of the rounds.

### SQLite

<!-- bench:webhooks:sqlite -->
(not measured yet)
<!-- /bench:webhooks:sqlite -->

### PostgreSQL

<!-- bench:webhooks:postgresql -->
(not measured yet)
<!-- /bench:webhooks:postgresql -->
"""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batches", type=int, default=4, help="batches per side and round")
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=2, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: CPUs)")
    parser.add_argument("--max-seconds", type=float, default=600, help="give up after this")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    return parser.parse_args(argv)


def setup(accounts: int):
    from journeys.services import milestone_create
    from workspaces.access import Scope
    from workspaces.services import workspace_create
    from workspaces.token_services import api_token_create

    workspace = workspace_create(slug="bench", name="Benchmark Inc")
    for key in MILESTONES:
        milestone_create(workspace=workspace, key=key, name=key.replace("-", " ").title())
    token = api_token_create(
        workspace=workspace, created_by=None, name="bench", scopes=[Scope.ACCOUNTS_WRITE]
    ).plaintext
    domains = [f"company{n}.example.com" for n in range(accounts)]
    return workspace, token, domains


class Batches:
    """Bodies of fresh batches: every achievement has a new client id."""

    def __init__(self, domains: list[str]):
        self.domains = domains
        self.sequence = 0

    def body(self) -> str:
        items = []
        for _ in range(BATCH):
            n = self.sequence
            self.sequence += 1
            items.append(
                {
                    "clientId": f"bench-{n}",
                    "milestone": MILESTONES[n % len(MILESTONES)],
                    "occurredAt": f"2026-0{1 + n % 9}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
                    "account": {"domain": self.domains[(n * 7919) % len(self.domains)]},
                    "value": str(100 + n % 900),
                }
            )
        return json.dumps({"query": QUERY, "variables": {"items": items}})


def post(port: int, token: str, bodies: list[str], clients: int, deadline: float) -> float:
    """Seconds to post the bodies from `clients` threads; raises on any refusal."""

    def on_answer(index: int, status: int, data: bytes, seconds: float) -> None:
        result = (json.loads(data).get("data") or {}).get("milestonesRecord") or {}
        if status != 200 or result.get("accepted") != BATCH:
            raise RuntimeError(f"HTTP {status}: {data[:300]!r}")

    return _common.post_graphql(port, token, bodies, clients, deadline, on_answer)


def set_subscribed(workspace, endpoints, on: bool) -> None:
    from notifications.models import WebhookEndpoint

    WebhookEndpoint.objects.filter(pk__in=[e.pk for e in endpoints]).update(enabled=on)


def main(argv=None) -> int:
    args = parse_args(argv)
    deadline = time.monotonic() + args.max_seconds
    workers = args.workers or os.cpu_count() or 2
    with (
        _common.terminate_on_signals(),
        _common.workdir(keep=args.keep) as work,
        _common.throwaway_database(work) as database_url,
    ):
        # The endpoints point at a local address that nothing serves: nothing is sent
        # while ingesting (no worker runs), and the URL check must let them be saved.
        env = _common.server_environment(
            database_url,
            work,
            WEBHOOKS_ALLOW_HTTP="1",
            WEBHOOKS_ALLOW_PRIVATE_ADDRESSES="1",
        )
        _common.setup_django(env)
        from django.db import connections
        from django_q.models import OrmQ

        from notifications.models import EventType, WebhookEvent
        from notifications.services import webhook_endpoint_create

        _common.gunicorn_argv(0, workers)  # fails early when gunicorn is missing
        workspace, token, domains = setup(args.accounts)
        endpoints = [
            webhook_endpoint_create(
                workspace=workspace,
                created_by=None,
                url=f"http://127.0.0.1:9/receiver-{n}",
                event_types=EventType.values,
            ).endpoint
            for n in range(2)
        ]
        set_subscribed(workspace, endpoints, False)
        info = _common.machine(_common.database_version())
        info["vendor"] = _common.database_vendor()
        connections.close_all()

        port = _common.free_port()
        argv_server = _common.gunicorn_argv(port, workers)
        batches = Batches(domains)
        rates: dict[bool, list[float]] = {False: [], True: []}
        with _common.Server(argv_server, env, work / "server.log", port):
            # Warm-up: every account exists before anything is measured.
            warm = [
                json.dumps(
                    {
                        "query": QUERY,
                        "variables": {
                            "items": [
                                {
                                    "clientId": f"warm-{d}",
                                    "milestone": MILESTONES[0],
                                    "occurredAt": "2026-01-01T00:00:00Z",
                                    "account": {"domain": domain},
                                }
                                for d, domain in enumerate(domains[i : i + BATCH], start=i)
                            ]
                        },
                    }
                )
                for i in range(0, len(domains), BATCH)
            ]
            for body in warm:
                post(port, token, [body], 1, deadline)
            post(port, token, [batches.body() for _ in range(2)], args.clients, deadline)
            queued_before = OrmQ.objects.count()
            events_before = WebhookEvent.objects.count()
            info["background"] = _common.background_load()
            load_before = os.getloadavg()
            for round_number in range(args.rounds):
                order = (False, True) if round_number % 2 == 0 else (True, False)
                for on in order:
                    set_subscribed(workspace, endpoints, on)
                    connections.close_all()
                    bodies = [batches.body() for _ in range(args.batches)]
                    seconds = post(port, token, bodies, args.clients, deadline)
                    rate = args.batches * BATCH / seconds
                    rates[on].append(rate)
                    side = "with webhooks" if on else "without"
                    print(f"round {round_number + 1} {side:<14} {rate:8,.0f} achievements/s")
            load_after = os.getloadavg()
        queued = OrmQ.objects.count() - queued_before
        built = WebhookEvent.objects.count() - events_before
        overhead = announce_cost(workspace, endpoints)
        connections.close_all()

    # Each batch queues its activity task; a subscribed batch also queues one publish task.
    subscribed_batches = args.rounds * args.batches
    expected = 2 * args.rounds * args.batches + subscribed_batches
    if queued != expected or built != 0:
        raise RuntimeError(f"{queued} tasks queued (expected {expected}), {built} events built")
    without, with_ = statistics.median(rates[False]), statistics.median(rates[True])
    change = with_ / without - 1
    paired = statistics.median(w / o - 1 for w, o in zip(rates[True], rates[False], strict=True))
    batch_ms = BATCH / without * 1000 * args.clients  # one client's time per batch
    rows = [
        [
            "without webhooks",
            f"{without:,.0f}",
            ", ".join(f"{r:,.0f}" for r in rates[False]),
            "",
        ],
        [
            "2 endpoints, every event type",
            f"{with_:,.0f}",
            ", ".join(f"{r:,.0f}" for r in rates[True]),
            f"{change:+.1%}",
        ],
    ]
    verdict = "met" if overhead / batch_ms <= 0.10 and paired >= -0.10 else "NOT met"
    markdown = "\n".join(
        [
            _common.machine_line(info),
            "",
            f"Load: other processes kept the CPUs {info['background']:.0%} busy just before "
            f"the runs; load averages (1, 5, 15 min) {_loads(load_before)} before and "
            f"{_loads(load_after)} after. gunicorn {workers} sync worker(s), {args.clients} "
            f"client(s), {args.rounds} rounds of {args.batches} batches of {BATCH:,} per side.",
            "",
            _common.table(
                ["run", "median achievements/s", "each round", "change"],
                rows,
            ),
            "",
            f"Median change within a round (with / without - 1): {paired:+.1%}. What "
            f"subscribing adds to a batch, timed alone in this process (the subscription "
            f"query and the queued publish task, 200 times): {overhead:.2f} ms, against "
            f"{batch_ms:,.0f} ms per batch and client without webhooks "
            f"({overhead / batch_ms:.1%}).",
            "",
            f"Target (at most 10% slower): {verdict}. Checks: {queued} tasks queued during "
            f"the runs = one activity task per batch plus one publish task per subscribed "
            f"batch; {built} webhook events built inline.",
        ]
    )
    print()
    print(markdown)
    if not args.no_doc:
        path = _common.write_section(SECTION, SKELETON, info["vendor"], markdown)
        print(f"\nWritten to {path.relative_to(_common.REPO)}")
    return 0


def announce_cost(workspace, endpoints, repeat: int = 200) -> float:
    """Milliseconds the ingestion path spends on a subscribed batch's announcement: the
    receiver of milestones_reached, as the server calls it after commit."""
    from django_q.models import OrmQ

    from notifications.receivers import on_milestones_reached

    set_subscribed(workspace, endpoints, True)
    client_ids = [f"bench-{n}" for n in range(BATCH)]
    before = set(OrmQ.objects.values_list("pk", flat=True))
    started = time.perf_counter()
    for _ in range(repeat):
        on_milestones_reached(None, workspace_id=workspace.pk, client_ids=client_ids)
    seconds = time.perf_counter() - started
    OrmQ.objects.exclude(pk__in=before).delete()  # the tasks it queued, never to run
    return seconds / repeat * 1000


def _loads(values) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    sys.exit(main())
