"""Feedback ingestion against interaction ingestion, per event; persona assignment of
50,000 accounts.

    .venv/bin/python bench/feedback.py                              # SQLite
    scripts/with-postgres.sh .venv/bin/python bench/feedback.py     # PostgreSQL

In this process, on a throwaway database (a SQLite file in a temporary directory, or a
new database on the PostgreSQL server DATABASE_URL names, dropped afterwards), with
production settings (DEBUG=0; the django-q2 task each batch enqueues after commit is
queued, never run).

1. Ingestion: a warm-up of interactions creates 2,000 accounts with about two contacts
   each; then batches of 1,000 fresh interactions and 1,000 fresh feedback responses
   (NPS, CSAT, CES, ratings and comments, naming the same accounts and contacts the same
   ways) alternate through the services behind `interactionsIngest` and
   `feedbackRecord`, so both meet the same load. The figure is the median time per event
   of each kind's batches, and their ratio (target: feedback at most 2x).
2. Personas: 50,000 accounts with firmographics and one contact each (bulk-inserted),
   four personas with rules on industry, employee count, revenue, country, domain suffix
   and contact title and seniority; timed: the first assignment (every account gets its
   persona), a second run (nothing changes) and a run after one persona's rules changed.
   Target: at most 10 s on PostgreSQL.

Prints a markdown table and writes it to docs/benchmarks.md (section bench:feedback, block
of the database used) unless --no-doc. The CPUs' load by other processes just before the
run is part of the result: the machine may be shared.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common

SECTION = "feedback"
BATCH = 1000
SKELETON = """## Feedback ingestion and persona assignment (`bench/feedback.py`)

Feedback responses go through the same pipeline as interactions (validation, identity
resolution, exactly-once insert by client id); the target is at most 2x the time per
event of interactions. Persona assignment of 50,000 accounts by the personas' matching
rules must take at most 10 s on PostgreSQL. See bench/feedback.py for what is generated
and timed.

<!-- bench:feedback:sqlite -->
<!-- /bench:feedback:sqlite -->

<!-- bench:feedback:postgresql -->
<!-- /bench:feedback:postgresql -->
"""
TOUCHPOINTS = [f"touchpoint-{n}" for n in range(12)]
INDUSTRIES = ["Software", "Retail", "Education", "Finance", "Health", "Logistics"]
COUNTRIES = ["US", "DE", "GB", "FR", "NL", "SE", "JP", "BR"]
SUFFIXES = ["com", "io", "edu", "co.uk", "de"]
TITLES = ["Head of RevOps", "VP Sales", "IT manager", "CTO", "Marketing lead", "Engineer"]
SENIORITIES = ["individual", "manager", "director", "vp", "executive"]
START = datetime(2025, 1, 1, tzinfo=UTC)


class Traffic:
    """Fresh events naming 2,000 companies and their people the ways integrations do."""

    def __init__(self, seed: int, companies: int = 2000):
        self.random = random.Random(seed)
        self.companies = companies
        self.n = 0

    def _refs(self):
        from accounts.identity import AccountRef, ContactRef

        company = self.random.randrange(self.companies)
        person = self.random.randrange(2)
        domain = f"company{company}.example.com"
        if self.random.random() < 0.5:
            return AccountRef(source="crm", external_id=f"c{company}", domain=domain), None
        email = f"person{person}@{domain}"
        return AccountRef(domain=domain), ContactRef(email=email)

    def _common(self, prefix: str) -> dict:
        self.n += 1
        account, contact = self._refs()
        moment = START + timedelta(minutes=self.random.randrange(500_000))
        return {
            "client_id": f"{prefix}-{self.n}",
            "occurred_at": moment.isoformat(),
            "account": account,
            "contact": contact,
            "properties": {"batch": self.n // BATCH, "channel": "bench"},
        }

    def interactions(self, count: int) -> list:
        from accounts.ingestion import InteractionItem

        return [
            InteractionItem(
                **self._common("i"),
                touchpoint=self.random.choice(TOUCHPOINTS),
                source="bench",
                medium="cpc",
                campaign="spring",
                cost="1.25",
            )
            for _ in range(count)
        ]

    def feedback(self, count: int) -> list:
        from accounts.ingestion import FeedbackItem

        items = []
        for _ in range(count):
            instrument, score = self.random.choice(
                [("nps", self.random.randint(0, 10)), ("csat", self.random.randint(1, 5)),
                 ("ces", self.random.randint(1, 7)), ("rating", "4.5"), ("text", None)]
            )  # fmt: skip
            items.append(
                FeedbackItem(
                    **self._common("f"),
                    instrument=instrument,
                    score=score,
                    comment="Setup took a while" if instrument in ("text", "csat") else "",
                    source="survey",
                    touchpoint=self.random.choice(TOUCHPOINTS),
                )
            )
        return items


def ingestion(workspace, args) -> dict:
    from accounts.ingestion import feedback_record, interactions_ingest

    traffic = Traffic(args.seed)
    for _ in range(args.warmup // BATCH):
        report = interactions_ingest(workspace=workspace, items=traffic.interactions(BATCH))
        problems = [(r.status.value, r.errors) for r in report.items if r.errors]
        assert not problems, problems[:3]
    times = {"interactions": [], "feedback": []}
    for _ in range(args.events // BATCH):
        for kind, make, store in (
            ("interactions", traffic.interactions, interactions_ingest),
            ("feedback", traffic.feedback, feedback_record),
        ):
            items = make(BATCH)
            began = time.perf_counter()
            report = store(workspace=workspace, items=items)
            times[kind].append(time.perf_counter() - began)
            rejected = [r for r in report.items if r.status.value != "accepted"]
            assert not rejected, rejected[:3]
    per_event = {kind: statistics.median(t) / BATCH for kind, t in times.items()}
    return {"batches": len(times["feedback"]), "per_event": per_event}


def personas(workspace, args) -> dict:
    from decimal import Decimal

    from accounts.models import Account, Contact
    from accounts.personas import match_personas
    from journeys.models import Persona

    rng = random.Random(args.seed + 1)
    began = time.perf_counter()
    Account.objects.bulk_create(
        [
            Account(
                workspace=workspace,
                name=f"Account {n}",
                domain=f"a{n}.{rng.choice(SUFFIXES)}",
                industry=rng.choice(INDUSTRIES),
                employee_count=rng.choice([None, rng.randint(1, 20_000)]),
                annual_revenue=Decimal(rng.randint(0, 10**8)),
                country=rng.choice(COUNTRIES),
            )
            for n in range(args.accounts)
        ],
        batch_size=5000,
    )
    ids = list(
        Account.objects.filter(workspace=workspace, name__startswith="Account ").values_list(
            "pk", flat=True
        )
    )
    Contact.objects.bulk_create(
        [
            Contact(
                workspace=workspace,
                account_id=pk,
                email=f"p{pk}@persona.example.com",
                title=rng.choice(TITLES),
                seniority=rng.choice(SENIORITIES),
                department=rng.choice(["Sales", "IT", "Marketing"]),
            )
            for pk in ids
        ],
        batch_size=5000,
    )
    loaded = time.perf_counter() - began

    def leaf(field, op, value):
        return {"field": field, "op": op, "value": value}

    made = [
        ("enterprise", 10, {"all": [leaf("employee_count", "between", {"min": 5000}),
                                    leaf("annual_revenue", "between", {"min": 10_000_000})]}),
        ("revops", 20, {"all": [leaf("industry", "in", ["software", "finance"]),
                                {"contact": {"any": [leaf("title", "contains", ["revops", "vp"]),
                                                     leaf("seniority", "in", ["executive"])]}}]}),
        ("education", 30, leaf("domain", "suffix", ["edu", "ac.uk"])),
        ("europe", 40, {"any": [leaf("country", "in", ["DE", "FR", "NL", "SE"]),
                                leaf("domain", "suffix", "de")]}),
    ]  # fmt: skip
    rows = {
        key: Persona.objects.create(
            workspace=workspace,
            key=key,
            name=key.title(),
            matching_rules={"priority": priority, "match": match},
        )
        for key, priority, match in made
    }
    if _common.database_vendor() == "postgresql":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_account; ANALYZE accounts_contact")
    timings = {}
    for label in ("first assignment", "second run (no change)"):
        began = time.perf_counter()
        changed = match_personas(workspace=workspace)
        timings[label] = (time.perf_counter() - began, len(changed))
    rows["europe"].matching_rules = {"priority": 5, "match": made[3][2]}
    rows["europe"].save()
    began = time.perf_counter()
    changed = match_personas(workspace=workspace)
    timings["after a priority change"] = (time.perf_counter() - began, len(changed))
    assigned = Account.objects.filter(pk__in=ids, persona__isnull=False).count()
    return {"loaded": loaded, "timings": timings, "assigned": assigned, "accounts": len(ids)}


def report(args, info, ingest, assign) -> str:
    postgres = info["vendor"] == "postgresql"
    command = ".venv/bin/python bench/feedback.py"
    if postgres:
        command = f"scripts/with-postgres.sh {command}"
    lines = [f"### {'PostgreSQL' if postgres else 'SQLite'}", "", f"`{command}`", ""]
    lines.append(
        f"Measured {_common.machine_line(info)} Other load just before the run: "
        f"{info['load']:.0%} of the CPUs (the machine is shared; figures move with it)."
    )
    lines.append("")
    per = ingest["per_event"]
    ratio = per["feedback"] / per["interactions"]
    lines.append(
        _common.table(
            ["Ingestion (service, batches of 1,000)", "µs per event (median batch)", "Events/s"],
            [
                [kind, f"{seconds * 1e6:.0f}", f"{1 / seconds:,.0f}"]
                for kind, seconds in per.items()
            ],
        )
    )
    lines.append("")
    lines.append(
        f"Feedback / interactions: **{ratio:.2f}x** per event (target at most 2x: "
        f"{'met' if ratio <= 2 else '**not met**'}), over {ingest['batches']} batches of "
        f"each kind after a warm-up of {args.warmup:,} interactions."
    )
    lines.append("")
    rows = []
    for label, (seconds, changed) in assign["timings"].items():
        met = "yes" if seconds <= 10 else "**no**"
        rows.append([label, f"**{seconds:.2f}**", f"{changed:,}", "10 s", met])
    lines.append(
        _common.table(["Persona assignment", "Seconds", "Accounts changed", "Target", "Met?"], rows)
    )
    lines.append("")
    lines.append(
        f"{assign['accounts']:,} accounts with one contact each (bulk-inserted in "
        f"{assign['loaded']:.0f} s), four personas with rules; {assign['assigned']:,} "
        "accounts have a persona at the end."
        + ("" if postgres else " The 10 s target is for PostgreSQL.")
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="of each kind")
    parser.add_argument("--warmup", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    with (
        _common.terminate_on_signals(),
        _common.workdir() as work,
        _common.throwaway_database(work) as url,
    ):
        _common.setup_django(_common.server_environment(url, work))
        from journeys.models import Touchpoint
        from workspaces.models import Workspace

        info = _common.machine(_common.database_version())
        info["vendor"] = _common.database_vendor()
        info["load"] = _common.background_load()
        workspace = Workspace.objects.create(name="Bench", slug="bench")
        for key in TOUCHPOINTS:
            Touchpoint.objects.create(
                workspace=workspace, key=key, name=key, channel="web", phase="pre_purchase"
            )
        ingest = ingestion(workspace, args)
        print(f"ingestion per event: {ingest['per_event']}", flush=True)
        assign = personas(workspace, args)
        print(f"persona assignment: {assign['timings']}", flush=True)
        markdown = report(args, info, ingest, assign)
        _common.publish(SECTION, SKELETON, info["vendor"], markdown, write=not args.no_doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
