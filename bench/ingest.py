"""Ingestion throughput: events per second through `interactionsIngest` over HTTP.

    .venv/bin/python bench/ingest.py                              # SQLite
    scripts/with-postgres.sh .venv/bin/python bench/ingest.py     # PostgreSQL

Needs gunicorn: `pip install -e '.[server]'`. On a throwaway database (a SQLite file in
a temporary directory, or a new database on the PostgreSQL server DATABASE_URL names,
dropped afterwards) it migrates, creates a workspace with 12 touchpoints and an
`accounts:write` API token, and starts gunicorn on 127.0.0.1 with production settings
(DEBUG=0; no TLS redirect, no rate limit). The django-q2 task each batch enqueues after
commit (one row in the ORM broker's queue) is queued and never run: no qcluster runs.

Generated traffic: 2,000 companies with about two people each, named the way
integrations name them (a CRM by its ids plus the domain, a website tracker by domain
and email, marketing automation by contact id and email), with properties, campaigns
and costs. A warm-up of single-client batches creates most accounts and contacts; then
each measured run posts fresh events in batches of 1,000 from C client threads
(http.client, keep-alive where the server allows it). About 1% of the items are replays
of events stored before (reported as duplicates) and 0.3% are invalid (rejected).

The floor: the same rows as the single-client run, with their ids already resolved,
written straight into accounts_interaction by one connection in transactions of 1,000
rows - COPY on PostgreSQL, executemany INSERT on SQLite.

Prints a markdown table and writes it to docs/benchmarks.md (section bench:ingest, block
of the database used) unless --no-doc. Bounded by --max-seconds; the server is stopped
and the database removed however the script ends.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import random
import shlex
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common

BATCH = 1000
_PLUS_TWO = timezone(timedelta(hours=2))
SECTION = "ingest"

QUERY = """
mutation Ingest($items: [InteractionInput!]!) {
  interactionsIngest(items: $items) {
    ... on IngestResult {
      accepted
      duplicates
      rejected
      items { index clientId status errors { field message code } }
    }
    ... on OperationInfo { messages { kind field message code } }
  }
}
"""
# --answer counts: what a client that needs no per-item lines would ask.
QUERY_COUNTS = QUERY.replace(
    "      items { index clientId status errors { field message code } }\n", ""
)

# key, channel, phase, weight in the traffic
TOUCHPOINTS = [
    ("pricing-page", "web", "purchase", 12),
    ("blog-post", "content", "pre_purchase", 18),
    ("product-tour", "web", "pre_purchase", 8),
    ("webinar", "webinar", "pre_purchase", 5),
    ("demo-request", "web", "purchase", 3),
    ("sales-call", "sales", "purchase", 4),
    ("nurture-email", "email", "pre_purchase", 20),
    ("paid-search", "paid_ads", "pre_purchase", 10),
    ("linkedin-ad", "social", "pre_purchase", 6),
    ("g2-review", "review_site", "pre_purchase", 3),
    ("onboarding-call", "sales", "post_purchase", 2),
    ("user-invited", "product", "post_purchase", 9),
]
WORDS = [
    "acme",
    "nimbus",
    "vertex",
    "quanta",
    "lumen",
    "orbit",
    "cobalt",
    "ember",
    "harbor",
    "summit",
    "pioneer",
    "atlas",
    "beacon",
    "cedar",
    "delta",
    "falcon",
    "granite",
    "helix",
    "ion",
    "juniper",
    "kestrel",
    "lattice",
    "meridian",
]
FIRST = [
    "anna",
    "ben",
    "carla",
    "dev",
    "eli",
    "fatima",
    "gus",
    "hana",
    "ivan",
    "jo",
    "kai",
    "lena",
    "marc",
    "nora",
    "omar",
    "pia",
]
LAST = [
    "smith",
    "garcia",
    "muller",
    "rossi",
    "kim",
    "novak",
    "silva",
    "dubois",
    "jensen",
    "okafor",
    "tanaka",
    "weber",
]
PAGES = ["/pricing", "/product", "/blog/attribution-101", "/customers", "/docs/api", "/"]
REFERRERS = [
    "https://www.google.com/",
    "https://www.linkedin.com/",
    "",
    "https://news.ycombinator.com/",
]


# The population and its traffic -----------------------------------------------------------


@dataclass
class Company:
    domain: str
    name: str
    crm_id: str
    people: list[Person] = field(default_factory=list)


@dataclass
class Person:
    company: Company
    email: str
    name: str
    crm_id: str
    automation_id: str


def population(rng: random.Random, accounts: int) -> list[Company]:
    companies = []
    for i in range(accounts):
        word = rng.choice(WORDS)
        company = Company(f"{word}{i}.example", f"{word.title()} {i} Inc", f"001{i:015d}")
        for n in range(rng.choice((1, 1, 2, 2, 2, 3, 4))):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company.people.append(
                Person(
                    company,
                    f"{first}.{last}{n}@{company.domain}",
                    f"{first.title()} {last.title()}",
                    f"003{i:010d}{n:05d}",
                    str(1_000_000 + i * 10 + n),
                )
            )
        companies.append(company)
    return companies


class Traffic:
    """Events as integrations send them; accounts' activity is skewed (a few are busy)."""

    def __init__(self, rng: random.Random, companies: list[Company], now: datetime):
        self.rng, self.companies, self.now = rng, companies, now
        ranks = range(len(companies))
        self.company_weights = list(itertools.accumulate(1 / (r + 1) ** 0.6 for r in ranks))
        self.keys = [key for key, *_ in TOUCHPOINTS]
        self.key_weights = list(itertools.accumulate(w for *_, w in TOUCHPOINTS))

    def event(self, client_id: str) -> dict:
        rng = self.rng
        company = rng.choices(self.companies, cum_weights=self.company_weights)[0]
        person = rng.choice(company.people)
        key = rng.choices(self.keys, cum_weights=self.key_weights)[0]
        event: dict = {"clientId": client_id, "touchpoint": key, "occurredAt": self._when()}
        sender = rng.random()
        if sender < 0.25:  # a CRM: its own ids, plus the domain and email it knows
            event["account"] = {
                "source": "salesforce",
                "externalId": company.crm_id,
                "domain": company.domain,
                "name": company.name,
            }
            if rng.random() < 0.7:
                event["contact"] = {
                    "source": "salesforce",
                    "externalId": person.crm_id,
                    "email": person.email,
                    "name": person.name,
                }
        elif sender < 0.70:  # a website tracker: the visitor's company, sometimes the person
            event["account"] = {"domain": f"https://www.{company.domain}/"}
            if rng.random() < 0.4:
                event["contact"] = {"email": person.email}
        else:  # marketing automation: the person only; the email domain names the account
            event["contact"] = {
                "source": "hubspot",
                "externalId": person.automation_id,
                "email": person.email,
                "name": person.name,
            }
        event.update(self._marketing(key))
        properties = self._properties(key)
        if properties:
            event["properties"] = properties
        return event

    def _when(self) -> str:
        moment = self.now - timedelta(seconds=self.rng.randrange(365 * 86400))
        if self.rng.random() < 0.1:
            return moment.astimezone(_PLUS_TWO).isoformat(timespec="seconds")
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _marketing(self, key: str) -> dict:
        rng = self.rng
        if key == "paid-search":
            return {
                "source": "google",
                "medium": "cpc",
                "campaign": rng.choice(["brand-search", "competitor-terms", "attribution-q2"]),
                "cost": f"{rng.uniform(0.4, 9):.2f}",
            }
        if key == "linkedin-ad":
            return {
                "source": "linkedin",
                "medium": "paid_social",
                "campaign": rng.choice(["cmo-awareness", "retargeting"]),
                "cost": round(rng.uniform(2, 14), 2),
            }
        if key == "nurture-email":
            return {
                "source": "hubspot",
                "medium": "email",
                "campaign": f"nurture-{rng.randint(1, 6)}",
            }
        if key == "webinar":
            return {
                "source": "zoom",
                "campaign": rng.choice(["webinar-2026-03", "webinar-2026-04"]),
            }
        if key == "blog-post" and rng.random() < 0.6:
            return {"source": "google", "medium": "organic"}
        return {}

    def _properties(self, key: str) -> dict | None:
        rng = self.rng
        if rng.random() < 0.25:
            return None
        if key in ("pricing-page", "product-tour", "demo-request", "blog-post"):
            props = {
                "path": rng.choice(PAGES),
                "referrer": rng.choice(REFERRERS),
                "session": rng.randbytes(8).hex(),
                "durationS": rng.randint(3, 900),
            }
            if rng.random() < 0.3:
                props["utm"] = {"content": rng.choice(["hero", "footer", "sidebar"]), "term": "b2b"}
            return props
        if key == "nurture-email":
            return {"emailId": f"em-{rng.randint(1, 40)}", "link": rng.choice(PAGES)}
        if key in ("paid-search", "linkedin-ad"):
            return {"adGroup": f"ag-{rng.randint(1, 12)}", "clickId": rng.randbytes(12).hex()}
        if key in ("sales-call", "onboarding-call"):
            return {
                "durationMin": rng.choice([15, 30, 45, 60]),
                "rep": rng.choice(FIRST).title(),
                "outcome": rng.choice(["next-step", "no-decision", "qualified"]),
            }
        if key == "user-invited":
            return {"role": rng.choice(["viewer", "editor", "admin"]), "seats": rng.randint(2, 80)}
        if key == "webinar":
            return {"attendedMin": rng.randint(0, 60), "questions": rng.randint(0, 3)}
        return {"rating": rng.randint(1, 5)}


@dataclass
class Phase:
    name: str
    clients: int
    events: list[dict]
    replays: int = 0
    invalid: int = 0

    def bodies(self, query: str = QUERY) -> list[bytes]:
        return [
            json.dumps(
                {"query": query, "variables": {"items": self.events[i : i + BATCH]}}
            ).encode()
            for i in range(0, len(self.events), BATCH)
        ]


def make_phases(args, traffic: Traffic, rng: random.Random) -> list[Phase]:
    counter = iter(range(10**9))

    def fresh(n: int, prefix: str) -> list[dict]:
        return [traffic.event(f"{prefix}-{next(counter)}") for _ in range(n)]

    warmup = Phase("warm-up (creates accounts and contacts)", 1, fresh(args.warmup, "w"))
    replayable = list(warmup.events)
    rng.shuffle(replayable)
    phases = [warmup]
    for clients in args.clients:
        phase = Phase(f"{clients} client{'s' if clients > 1 else ''}", clients, [])
        phase.events = fresh(args.events, f"c{clients}")
        for position in rng.sample(range(len(phase.events)), k=len(phase.events) // 100):
            phase.events[position] = replayable.pop()  # a retried delivery: a duplicate
            phase.replays += 1
        for position in rng.sample(range(len(phase.events)), k=len(phase.events) * 3 // 1000):
            if phase.events[position]["clientId"].startswith("w-"):
                continue  # keep replays valid
            if position % 2:
                phase.events[position] = {**phase.events[position], "touchpoint": "retired-page"}
            else:
                naive = phase.events[position]["occurredAt"][:19]
                phase.events[position] = {**phase.events[position], "occurredAt": naive}
            phase.invalid += 1
        phases.append(phase)
    return phases


# The workspace ----------------------------------------------------------------------------


def create_workspace() -> tuple[object, str]:
    from journeys.services import touchpoint_create
    from workspaces.access import Scope
    from workspaces.services import workspace_create
    from workspaces.token_services import api_token_create

    workspace = workspace_create(slug="bench", name="Benchmark Inc")
    for key, channel, phase, _weight in TOUCHPOINTS:
        touchpoint_create(
            workspace=workspace,
            key=key,
            name=key.replace("-", " ").title(),
            channel=channel,
            phase=phase,
        )
    issued = api_token_create(
        workspace=workspace,
        created_by=None,
        name="bench integration",
        scopes=[Scope.ACCOUNTS_WRITE],
    )
    return workspace, issued.plaintext


# The HTTP clients -------------------------------------------------------------------------


@dataclass
class Measured:
    name: str
    clients: int
    events: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    counts: collections.Counter = field(default_factory=collections.Counter)
    cpu: dict[str, float] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def post_batches(port: int, token: str, phase: Phase, deadline: float, query: str) -> Measured:
    bodies = phase.bodies(query)
    latencies: list[float] = [0.0] * len(bodies)
    counts: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def on_answer(index: int, status: int, data: bytes, seconds: float) -> None:
        latencies[index] = seconds
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {data[:500]!r}")
        payload = json.loads(data)
        result = (payload.get("data") or {}).get("interactionsIngest") or {}
        if payload.get("errors") or "accepted" not in result:
            raise RuntimeError(f"GraphQL refused the batch: {data[:500]!r}")
        with lock:
            for name in ("accepted", "duplicates", "rejected"):
                counts[name] += result[name]

    seconds = _common.post_graphql(port, token, bodies, phase.clients, deadline, on_answer)
    return Measured(phase.name, phase.clients, len(phase.events), seconds, latencies, counts)


def check_counts(phase: Phase, measured: Measured) -> None:
    expected = {
        "duplicates": phase.replays,
        "rejected": phase.invalid,
        "accepted": len(phase.events) - phase.replays - phase.invalid,
    }
    if phase.replays == 0 and phase.invalid == 0:
        expected = {"accepted": len(phase.events), "duplicates": 0, "rejected": 0}
    got = {status: measured.counts[status] for status in expected}
    if got != expected:
        raise RuntimeError(f"{phase.name}: the server answered {got}, expected {expected}")


# The floor --------------------------------------------------------------------------------


def floor_rows(workspace, events: list[dict]) -> list[dict]:
    """The rows the API stored for `events`, ids resolved, under new client ids."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from accounts.identity import normalize_domain
    from accounts.models import Account, AccountExternalId, Contact, ContactExternalId
    from journeys.models import Touchpoint

    touchpoints = dict(Touchpoint.objects.filter(workspace=workspace).values_list("key", "id"))
    by_domain = dict(Account.objects.filter(workspace=workspace).values_list("domain", "id"))
    by_account_key = {
        (s, e): a
        for s, e, a in AccountExternalId.objects.filter(workspace=workspace).values_list(
            "source", "external_id", "account_id"
        )
    }
    contacts = {
        email: (pk, account)
        for email, pk, account in Contact.objects.filter(workspace=workspace).values_list(
            "email", "id", "account_id"
        )
    }
    by_contact_key = {
        (s, e): c
        for s, e, c in ContactExternalId.objects.filter(workspace=workspace).values_list(
            "source", "external_id", "contact_id"
        )
    }
    account_of_contact = dict(contacts.values())
    now = timezone.now()
    rows = []
    for event in events:
        if event["clientId"].startswith("w-") or event["touchpoint"] not in touchpoints:
            continue  # replays and invalid items were not stored by this run
        occurred_at = parse_datetime(event["occurredAt"])
        if occurred_at is None or occurred_at.tzinfo is None:
            continue
        account, contact = event.get("account"), event.get("contact")
        contact_id = None
        if contact:
            key = (contact.get("source"), contact.get("externalId"))
            contact_id = by_contact_key.get(key) or contacts[contact["email"]][0]
        if account and account.get("externalId"):
            account_id = by_account_key[(account["source"], account["externalId"])]
        elif account:
            account_id = by_domain[normalize_domain(account["domain"])]
        else:
            account_id = account_of_contact[contact_id]
        cost = event.get("cost")
        rows.append(
            {
                "workspace_id": workspace.pk,
                "account_id": account_id,
                "contact_id": contact_id,
                "occurred_at": occurred_at,
                "received_at": now,
                "client_id": f"floor-{event['clientId']}",
                "properties": event.get("properties") or {},
                "touchpoint_id": touchpoints[event["touchpoint"]],
                "source": event.get("source", ""),
                "medium": event.get("medium", ""),
                "campaign": event.get("campaign", ""),
                "cost": None if cost is None else Decimal(str(cost)).quantize(Decimal("0.01")),
            }
        )
    return rows


def raw_insert(rows: list[dict]) -> float:
    """Seconds to write `rows` into accounts_interaction in transactions of BATCH rows."""
    from django.db import connection, transaction

    columns = list(rows[0])
    table = "accounts_interaction"
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        batches = [
            [
                [Jsonb(v) if c == "properties" else v for c, v in row.items()]
                for row in rows[i : i + BATCH]
            ]
            for i in range(0, len(rows), BATCH)
        ]
        started = time.perf_counter()
        for batch in batches:
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.cursor.copy(copy_sql) as copy,
            ):
                for values in batch:
                    copy.write_row(values)
        return time.perf_counter() - started

    def sqlite_value(column, value):
        if column == "properties":
            return json.dumps(value)
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(value, Decimal):
            return str(value)
        return value

    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    batches = [
        [tuple(sqlite_value(c, v) for c, v in row.items()) for row in rows[i : i + BATCH]]
        for i in range(0, len(rows), BATCH)
    ]
    connection.ensure_connection()
    raw = connection.connection  # the sqlite3 connection: no Django in the loop
    started = time.perf_counter()
    for batch in batches:
        with transaction.atomic():
            raw.executemany(sql, batch)
    return time.perf_counter() - started


# The report -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu(run: Measured) -> str:
    """CPU milliseconds per 1,000 events: server / database server / this process."""
    per_batch = 1000 * BATCH / run.events
    parts = [
        run.cpu.get(name, float("nan")) * per_batch for name in ("server", "database", "client")
    ]
    return " / ".join("-" if part != part else f"{part:.0f}" for part in parts)  # nan: "-"


def report(args, info, runs: list[Measured], floor: Measured, rss, checks, server) -> str:
    vendor = info["vendor"]
    rows = []
    for run in [*runs, floor]:
        latency = (
            f"{statistics.median(run.latencies) * 1000:.0f} / "
            f"{percentile(run.latencies, 0.95) * 1000:.0f}"
            if run.latencies
            else "-"
        )
        rows.append(
            [
                run.name,
                str(run.clients),
                f"{run.events:,}",
                f"**{run.rate:,.0f}**",
                latency,
                _cpu(run),
                f"{run.cpu['busy'] * 100:.0f}%"
                if run.cpu.get("busy") == run.cpu.get("busy")
                else "-",
                f"{floor.rate / run.rate:.1f}x" if run is not floor else "-",
            ]
        )
    measured = [run for run in runs if not run.name.startswith("warm-up")]
    best = max(measured, key=lambda run: run.rate)
    command = " ".join(shlex.quote(arg) for arg in [".venv/bin/python", *sys.argv])
    if vendor == "postgresql":
        command = f"scripts/with-postgres.sh {command}"
    title = "PostgreSQL" if vendor == "postgresql" else "SQLite"
    worker_peak = max(rss["workers"], default=0)
    created = collections.Counter()
    for run in measured:
        created.update(run.created)
    batches = sum(run.events for run in measured) / BATCH
    lines = [
        f"### {title}",
        "",
        f"`{command}`",
        "",
        f"Measured {_common.machine_line(info)} Other load just before the run: "
        f"{info['background']:.0%} of the CPUs.",
        f"Server: {server}.",
        f"Data: {args.accounts:,} companies with {info['people']:,} people; 12 touchpoints; "
        f"warm-up {args.warmup:,} events, then {args.events:,} fresh events per run "
        "(1% replays of stored events, 0.3% invalid), in batches of 1,000; the answer "
        + ("with one line per item. " if args.answer == "items" else "with counts only. ")
        + "A measured "
        f"batch created {created['accounts'] / batches:.1f} accounts, "
        f"{created['contacts'] / batches:.1f} contacts and "
        f"{created['links'] / batches:.1f} external-id links on average.",
        "",
        _common.table(
            [
                "Run",
                "Clients",
                "Events",
                "Events/s",
                "Batch ms p50 / p95",
                "CPU ms per 1,000: server / DB / client",
                "CPUs busy",
                "Slower than floor",
            ],
            rows,
        ),
        "",
        f"Best API figure: {best.rate:,.0f} events/s with {best.clients} client(s), "
        f"{floor.rate / best.rate:.1f}x the time of the raw insert "
        f"({floor.rate:,.0f} rows/s). Single client: {measured[0].rate:,.0f} events/s.",
        f"Peak RSS (VmHWM): {worker_peak:,.0f} MiB per gunicorn worker at most, "
        f"{rss['master']:,.0f} MiB for the master.",
        f"Checks: {checks}.",
    ]
    return "\n".join(lines)


SKELETON = """\
## Ingestion: `bench/ingest.py`

Events per second through `interactionsIngest` over real HTTP, in batches of 1,000, beside
the floor: the same rows written straight into `accounts_interaction` (COPY on PostgreSQL,
`executemany` on SQLite). Target (issue): on PostgreSQL on 2 CPUs, at least 10,000
events/s and at most 3x the floor's time.

```sh
.venv/bin/python bench/ingest.py                              # SQLite
scripts/with-postgres.sh .venv/bin/python bench/ingest.py     # PostgreSQL
```

<!-- bench:ingest:sqlite -->
Not measured yet: `.venv/bin/python bench/ingest.py`.
<!-- /bench:ingest:sqlite -->

<!-- bench:ingest:postgresql -->
Not measured yet: `scripts/with-postgres.sh .venv/bin/python bench/ingest.py`.
<!-- /bench:ingest:postgresql -->
"""


# Main -------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=40_000, help="events per measured run")
    parser.add_argument("--warmup", type=int, default=20_000, help="events of the warm-up")
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument(
        "--clients",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2, 4],
        help="client threads of each measured run, e.g. 1,2,4",
    )
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: CPUs)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument(
        "--gunicorn-args", default="", help="more gunicorn options, e.g. '-c gunicorn.conf.py'"
    )
    parser.add_argument(
        "--answer",
        choices=["items", "counts"],
        default="items",
        help="ask for the per-item lines (items, as integrations do) or the counts only",
    )
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--max-seconds", type=float, default=420, help="give up after this")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    return parser.parse_args(argv)


def identity_counts(workspace) -> dict[str, int]:
    from accounts.models import Account, AccountExternalId, Contact, ContactExternalId

    return {
        "accounts": Account.objects.filter(workspace=workspace).count(),
        "contacts": Contact.objects.filter(workspace=workspace).count(),
        "links": AccountExternalId.objects.filter(workspace=workspace).count()
        + ContactExternalId.objects.filter(workspace=workspace).count(),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    deadline = time.monotonic() + args.max_seconds
    workers = args.workers or os.cpu_count() or 2
    with (
        _common.terminate_on_signals(),
        _common.workdir(keep=args.keep) as work,
        _common.throwaway_database(work) as database_url,
    ):
        env = _common.server_environment(database_url, work)
        _common.setup_django(env)
        from django.db import connections

        from accounts.models import Interaction
        from workspaces.models import AuditEvent

        _common.gunicorn_argv(0, workers)  # fails early when gunicorn is missing
        workspace, token = create_workspace()
        rng = random.Random(args.seed)
        companies = population(rng, args.accounts)
        traffic = Traffic(rng, companies, datetime.now(UTC))
        phases = make_phases(args, traffic, rng)
        info = _common.machine(_common.database_version())
        info["vendor"] = _common.database_vendor()
        info["people"] = sum(len(company.people) for company in companies)
        database_pids = _common.database_server_pids()
        connections.close_all()
        info["background"] = _common.background_load()
        if info["background"] > 0.1:
            print(
                f"Warning: the CPUs are already {info['background']:.0%} busy with other "
                "work; the figures will be lower than on a quiet machine.",
                flush=True,
            )

        port = _common.free_port()
        argv_server = _common.gunicorn_argv(port, workers, args.threads)
        argv_server += shlex.split(args.gunicorn_args)
        runs: list[Measured] = []
        query = QUERY if args.answer == "items" else QUERY_COUNTS
        server_log = work / "server.log"
        print(f"Server: {' '.join(argv_server)} (log: {server_log})", flush=True)
        with _common.Server(argv_server, env, server_log, port) as server:
            meter = _common.CpuMeter(server, database_pids)
            for phase in phases:
                before = identity_counts(workspace)
                connections.close_all()  # no open read transaction beside the server
                with meter.measure() as cpu:
                    measured = post_batches(port, token, phase, deadline, query)
                measured.cpu = cpu
                after = identity_counts(workspace)
                measured.created = {key: after[key] - before[key] for key in after}
                check_counts(phase, measured)
                runs.append(measured)
                print(
                    f"{phase.name:<42} {measured.events:>7,} events in {measured.seconds:6.1f} s"
                    f" = {measured.rate:8,.0f} events/s",
                    flush=True,
                )
            peaks = server.peak_rss_mib()
            master = server.process.pid
            rss = {"master": peaks.pop(master, 0.0), "workers": list(peaks.values())}
        import gunicorn

        server_desc = (
            f"gunicorn {gunicorn.__version__}, {workers} sync worker(s)"
            + (f" x {args.threads} threads" if args.threads > 1 else "")
            + (f" ({args.gunicorn_args})" if args.gunicorn_args else "")
            + "; DEBUG=0, RATE_LIMIT_PER_MINUTE=0, TASKS_SYNC=0 and no qcluster (each "
            "batch's task is queued, not run)"
        )

        stored = Interaction.objects.filter(workspace=workspace).count()
        expected = sum(len(p.events) - p.replays - p.invalid for p in phases)
        audits = AuditEvent.objects.filter(operation="interactionsIngest").count()
        batches = sum(-(-len(p.events) // BATCH) for p in phases)
        from django_q.models import OrmQ

        queued = OrmQ.objects.count()
        if stored != expected or audits != batches:
            raise RuntimeError(
                f"stored {stored} interactions (expected {expected}), {audits} audit "
                f"records (expected {batches})"
            )
        checks = (
            f"{stored:,} interactions stored = the distinct valid events sent; {audits} audit "
            f"records = batches; {queued} tasks queued, none run"
        )

        rows = floor_rows(workspace, phases[1].events)
        meter = _common.CpuMeter(_common.Server([], {}, work / "none.log", 0), database_pids)
        with meter.measure() as cpu:
            seconds = raw_insert(rows)
        cpu["server"] = float("nan")  # no server in the loop
        floor_name = (
            "floor: COPY, 1,000 rows a transaction"
            if info["vendor"] == "postgresql"
            else "floor: executemany INSERT, 1,000 rows a transaction"
        )
        floor = Measured(floor_name, 1, len(rows), seconds, cpu=cpu)
        print(
            f"{floor.name:<42} {floor.events:>7,} rows   in {seconds:6.1f} s"
            f" = {floor.rate:8,.0f} rows/s"
        )
        connections.close_all()

        markdown = report(args, info, runs, floor, rss, checks, server_desc)
        print()
        print(markdown)
        if not args.no_doc:
            path = _common.write_section(SECTION, SKELETON, info["vendor"], markdown)
            print(f"\nWritten to {path.relative_to(_common.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
