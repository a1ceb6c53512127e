"""Attribution engine at scale: seconds and peak memory of `compute_attribution` per model.

    .venv/bin/python bench/attribution.py                              # SQLite
    scripts/with-postgres.sh .venv/bin/python bench/attribution.py     # PostgreSQL

On a throwaway database (a SQLite file in a temporary directory, or a new database on
the PostgreSQL server DATABASE_URL names, dropped afterwards) it migrates and generates,
with a fixed seed, one workspace: 14 touchpoints over 12 channels, 4 personas each with a
published journey map (stages with touchpoints and exit milestones), the milestones
`lead`, `opportunity` and `closed-won` (the conversion, with values), 50,000 accounts
(90% with a persona), 1,000,000 interactions (journeys of varying length over 12
months, the touchpoint mix drifting from awareness to sales along each journey) and
10,000 conversions (8,800 accounts, 1,200 of them twice), with lead and opportunity
achievements before them, and monthly spend rows.

The rows go straight into the tables - COPY on PostgreSQL (psycopg `cursor.copy`),
`executemany` in transactions of 100,000 rows on SQLite - streamed as they are generated,
not through the ingestion API (bench/ingest.py measures that). Then ANALYZE.

Each measured run is a fresh Python process (this script with --child) that sets Django
up, resolves the parameters (`parse_parameters`, not timed) and times
`compute_attribution(RunContext(...))` with all five dimensions: the rule-based models
together (lead and opportunity milestones set), Markov of order 1, 2 and 3, and Shapley.
The timed call runs twice when it is quick (the best is reported), then once more under
tracemalloc for the peak of Python allocations. The process's VmHWM (peak resident
memory, the same figure as ru_maxrss) is read before and after the timed calls: being a
fresh process per model, it is that model's process peak, Django included. Each child
is bounded by --timeout.

Prints a markdown table and writes it to docs/benchmarks.md (section bench:attribution,
block of the database used) unless --no-doc.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common

SECTION = "attribution"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 365
CUTOFF = T0 + timedelta(days=DAYS + 1)

# key, channel, phase, weight early in a journey, weight late in it
TOUCHPOINTS = [
    ("blog-post", "content", "pre_purchase", 18, 4),
    ("ebook", "content", "pre_purchase", 8, 2),
    ("organic-search", "search", "pre_purchase", 14, 4),
    ("paid-search", "paid_ads", "pre_purchase", 12, 4),
    ("linkedin-ad", "social", "pre_purchase", 9, 3),
    ("nurture-email", "email", "pre_purchase", 12, 10),
    ("webinar", "webinar", "pre_purchase", 4, 5),
    ("trade-show", "event", "pre_purchase", 2, 2),
    ("g2-review", "review_site", "pre_purchase", 3, 5),
    ("partner-referral", "partner", "pre_purchase", 2, 3),
    ("pricing-page", "web", "purchase", 5, 14),
    ("demo-request", "web", "purchase", 1, 8),
    ("sales-call", "sales", "purchase", 1, 12),
    ("product-trial", "product", "purchase", 2, 10),
]
PAID = {"paid-search": (0.8, 6.0), "linkedin-ad": (2.0, 9.0)}
CAMPAIGN_CHANNELS = {"paid_ads", "social", "email", "webinar", "event"}
PERSONAS = ["revops-lead", "marketing-director", "cfo", "it-admin"]
STAGES = [  # name, touchpoint keys placed in it, exit milestone
    ("Aware", ["blog-post", "ebook", "organic-search", "paid-search", "linkedin-ad"], None),
    (
        "Consider",
        ["nurture-email", "webinar", "trade-show", "g2-review", "partner-referral"],
        "lead",
    ),
    ("Evaluate", ["pricing-page", "demo-request", "product-trial"], "opportunity"),
    ("Buy", ["sales-call"], "closed-won"),
]
RULE_BASED = [
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "full_path",
]
DIMENSIONS = ["touchpoint", "channel", "campaign", "stage", "persona"]
# label, parameters, target seconds (None: no target)
RUNS = [
    ("rule-based (7 models together)", {"models": RULE_BASED}, 5.0),
    ("markov, order 1", {"models": ["markov"], "markov_order": 1}, 3.0),
    ("markov, order 2 (extra)", {"models": ["markov"], "markov_order": 2}, None),
    ("markov, order 3 (extra)", {"models": ["markov"], "markov_order": 3}, None),
    ("shapley", {"models": ["shapley"]}, 3.0),
]
MEMORY_TARGET_MIB = 500.0

SKELETON = """\
## Attribution engine: `bench/attribution.py`

Seconds and peak memory of `compute_attribution` per model, on a generated workspace of
50,000 accounts, 1,000,000 interactions, 10,000 conversions and 14 touchpoints over 12
channels. Target (issue): on PostgreSQL on 2 CPUs, all rule-based models together within
5 s, Markov within 3 s, Shapley within 3 s, peak memory within 500 MB.

```sh
.venv/bin/python bench/attribution.py                              # SQLite
scripts/with-postgres.sh .venv/bin/python bench/attribution.py     # PostgreSQL
```

The data is written straight into the tables (COPY on PostgreSQL, `executemany` on
SQLite), not through the ingestion API, which `bench/ingest.py` measures; then ANALYZE.
Each model runs in a fresh Python process: "seconds" is the wall time of
`compute_attribution` in it (queries included, parameters resolved beforehand; the best
of two calls when a call takes under 20 s), "VmHWM" the process's peak resident memory
(= `ru_maxrss`; Python, Django, the database driver and the model's data: a fresh process
per model makes it that model's peak) and "tracemalloc" the peak of the Python
allocations during one more call, traced. The database server's own memory (PostgreSQL's
`work_mem` for sorts and hashes) is in neither. Memory is in MiB; the 500 MB target is
checked against VmHWM in MiB, the stricter reading.

<!-- bench:attribution:sqlite -->
<!-- /bench:attribution:sqlite -->

<!-- bench:attribution:postgresql -->
<!-- /bench:attribution:postgresql -->
"""


# Generation ----------------------------------------------------------------------------


class Writer:
    """Rows into a table, streamed: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, vendor: str):
        self.vendor = vendor

    def stamp(self, seconds: int) -> str:
        moment = datetime.fromtimestamp(seconds, UTC)
        if self.vendor == "postgresql":
            return moment.strftime("%Y-%m-%d %H:%M:%S+00")
        return moment.strftime("%Y-%m-%d %H:%M:%S")  # as Django stores it: naive UTC text

    def write(self, table: str, columns: list[str], rows, chunk: int = 100_000) -> int:
        from django.db import connection, transaction

        count = 0
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        name = connection.ops.quote_name(table)
        if self.vendor == "postgresql":
            statement = f"COPY {name} ({quoted}) FROM STDIN"
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.cursor.copy(statement) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {name} ({quoted}) VALUES ({', '.join('?' * len(columns))})"
        raw = connection.connection
        batch: list = []
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                with transaction.atomic():
                    raw.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            with transaction.atomic():
                raw.executemany(sql, batch)
            count += len(batch)
        return count


def catalogue(workspace) -> dict:
    """Touchpoints, milestones, personas and their published maps (ORM: a few rows)."""
    from analytics.models import Spend
    from journeys.models import (
        JourneyMap,
        Milestone,
        Persona,
        Stage,
        StageMilestone,
        StageTouchpoint,
        Touchpoint,
    )

    touchpoints = {
        key: Touchpoint.objects.create(
            workspace=workspace, key=key, name=key.replace("-", " ").title(), channel=ch, phase=ph
        )
        for key, ch, ph, _, _ in TOUCHPOINTS
    }
    milestones = {
        "lead": Milestone.objects.create(workspace=workspace, key="lead", name="Lead"),
        "opportunity": Milestone.objects.create(
            workspace=workspace, key="opportunity", name="Opportunity"
        ),
        "closed-won": Milestone.objects.create(
            workspace=workspace, key="closed-won", name="Closed won", is_conversion=True
        ),
    }
    personas = []
    for key in PERSONAS:
        persona = Persona.objects.create(workspace=workspace, key=key, name=key.title())
        personas.append(persona)
        journey_map = JourneyMap.objects.create(
            workspace=workspace,
            persona=persona,
            name=f"{persona.name} journey",
            status=JourneyMap.Status.PUBLISHED,
            published_at=T0,
        )
        for position, (name, keys, exit_key) in enumerate(STAGES, 1):
            stage = Stage.objects.create(
                workspace=workspace, journey_map=journey_map, position=position, name=name
            )
            for n, tp in enumerate(keys, 1):
                StageTouchpoint.objects.create(
                    workspace=workspace, stage=stage, touchpoint=touchpoints[tp], position=n
                )
            if exit_key:
                StageMilestone.objects.create(
                    workspace=workspace,
                    journey_map=journey_map,
                    stage=stage,
                    milestone=milestones[exit_key],
                )
    spend = []
    for month in range(12):
        start = (T0 + timedelta(days=30 * month)).date()
        end = start + timedelta(days=29)
        for key in PAID:
            spend.append(
                Spend(
                    workspace=workspace,
                    touchpoint=touchpoints[key],
                    period_start=start,
                    period_end=end,
                    amount=20_000 + 1_000 * month,
                )
            )
        for campaign in campaigns_of_month(month):
            spend.append(
                Spend(
                    workspace=workspace,
                    campaign=campaign,
                    period_start=start,
                    period_end=end,
                    amount=5_000,
                )
            )
    Spend.objects.bulk_create(spend)
    return {"touchpoints": touchpoints, "milestones": milestones, "personas": personas}


def campaigns_of_month(month: int) -> list[str]:
    quarter = month // 3 + 1
    return [f"2025-q{quarter}-{name}" for name in ("brand", "launch", "nurture")]


def generate(args, workspace, vendor: str) -> dict:
    from django.db import connection

    rng = random.Random(args.seed)
    cat = catalogue(workspace)
    writer = Writer(vendor)
    ws = workspace.pk
    now = writer.stamp(int(CUTOFF.timestamp()))
    pg = vendor == "postgresql"
    started = time.monotonic()

    # Accounts: 90% with a persona.
    persona_ids = [p.pk for p in cat["personas"]]

    def account_rows():
        for i in range(args.accounts):
            persona = rng.choice(persona_ids) if rng.random() < 0.9 else None
            yield (ws, now, now, f"Account {i}", f"account{i}.example", "", "", persona)

    writer.write(
        "accounts_account",
        [
            "workspace_id",
            "created_at",
            "updated_at",
            "name",
            "domain",
            "industry",
            "country",
            "persona_id",
        ],
        account_rows(),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM accounts_account WHERE workspace_id = %s ORDER BY id", [ws])
        account_ids = [row[0] for row in cursor.fetchall()]

    # Journey lengths: log-normal (many short journeys, a few long ones), 1M in all.
    weights = [rng.lognormvariate(0, 0.9) for _ in account_ids]
    scale = args.interactions / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    diff = args.interactions - sum(counts)
    order = sorted(range(len(counts)), key=lambda i: -weights[i])
    i = 0
    while diff:
        j = order[i % len(order)]
        if diff > 0:
            counts[j] += 1
            diff -= 1
        elif counts[j] > 1:
            counts[j] -= 1
            diff += 1
        i += 1
    candidates = [n for n, c in enumerate(counts) if c >= 2]
    converters = set(rng.sample(candidates, args.conversions - args.conversions * 12 // 100))
    repeat = sorted(n for n in converters if counts[n] >= 5)  # room for two journeys
    twice = set(rng.sample(repeat, args.conversions * 12 // 100))

    tp_ids = [cat["touchpoints"][key].pk for key, *_ in TOUCHPOINTS]
    tp_keys = [key for key, *_ in TOUCHPOINTS]
    tp_channels = [ch for _, ch, *_ in TOUCHPOINTS]
    buckets = 5  # the touchpoint mix at five points along a journey
    cum = []
    for b in range(buckets):
        r = b / (buckets - 1)
        acc, row = 0.0, []
        for *_, early, late in TOUCHPOINTS:
            acc += early * (1 - r) + late * r
            row.append(acc)
        cum.append(row)
    choices = range(len(TOUCHPOINTS))
    milestones = cat["milestones"]
    achievements: list[tuple] = []  # about 30,000: kept in memory, written after
    start_s, end_s = int(T0.timestamp()), int((T0 + timedelta(days=DAYS)).timestamp())
    counter = [0]

    def interaction_rows():
        for n, account in enumerate(account_ids):
            count = counts[n]
            span = rng.uniform(3, 200) * 86400
            first = rng.uniform(start_s, end_s - min(span, end_s - start_s))
            last = min(end_s, first + span)
            times = sorted(int(rng.uniform(first, last)) for _ in range(count))
            for k, at in enumerate(times):
                r = k / (count - 1) if count > 1 else 0.0
                t = rng.choices(choices, cum_weights=cum[round(r * (buckets - 1))])[0]
                key = tp_keys[t]
                campaign = ""
                if tp_channels[t] in CAMPAIGN_CHANNELS and rng.random() < 0.8:
                    month = min(11, (at - start_s) // (30 * 86400))
                    campaign = rng.choice(campaigns_of_month(month))
                cost = None
                if key in PAID:
                    cost = f"{rng.uniform(*PAID[key]):.2f}"
                counter[0] += 1
                yield (
                    ws,
                    account,
                    writer.stamp(at),
                    writer.stamp(at + 60),
                    f"i{counter[0]}",
                    "{}",
                    tp_ids[t],
                    "",
                    "",
                    campaign,
                    cost,
                )
            if n in converters:
                ends = [count - 1 - rng.randint(0, min(3, count // 5))]
                if n in twice and ends[0] >= 3:
                    ends.insert(0, ends[0] // 2)
                previous = -1
                for end in ends:
                    at = times[end]
                    after = times[end + 1] if end + 1 < count else at + 86400
                    won_at = at + max(1, (after - at) // 2)
                    lead = previous + 1 + (end - previous) // 3
                    opp = previous + 1 + 2 * (end - previous) // 3
                    for milestone, moment, value in (
                        ("lead", times[lead] + 1, None),
                        ("opportunity", times[opp] + 1, None),
                        ("closed-won", won_at, f"{rng.lognormvariate(9, 0.7):.2f}"),
                    ):
                        if moment > won_at:
                            moment = won_at
                        achievements.append((account, moment, milestones[milestone].pk, value))
                    previous = end

    stored = writer.write(
        "accounts_interaction",
        [
            "workspace_id",
            "account_id",
            "occurred_at",
            "received_at",
            "client_id",
            "properties",
            "touchpoint_id",
            "source",
            "medium",
            "campaign",
            "cost",
        ],
        interaction_rows(),
    )

    def achievement_rows():
        for n, (account, at, milestone, value) in enumerate(achievements):
            stamp = writer.stamp(at)
            received = writer.stamp(at + 60)
            yield (ws, account, stamp, received, f"a{n}", "{}", milestone, value, "", "reported")

    achieved = writer.write(
        "accounts_milestoneachievement",
        [
            "workspace_id",
            "account_id",
            "occurred_at",
            "received_at",
            "client_id",
            "properties",
            "milestone_id",
            "value",
            "currency",
            "origin",
        ],
        achievement_rows(),
    )
    generated = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_account SET first_seen_at = (SELECT MIN(i.occurred_at) FROM "
            "accounts_interaction i WHERE i.workspace_id = accounts_account.workspace_id "
            "AND i.account_id = accounts_account.id) WHERE workspace_id = %s",
            [ws],
        )
        cursor.execute("ANALYZE")
    conversions = sum(1 for a in achievements if a[2] == milestones["closed-won"].pk)
    return {
        "accounts": len(account_ids),
        "interactions": stored,
        "achievements": achieved,
        "conversions": conversions,
        "converting_accounts": len(converters),
        "journey_lengths": sorted(counts),
        "spend_rows": 12 * (len(PAID) + 3),
        "load_seconds": generated,
        "total_seconds": time.monotonic() - started,
        "pg": pg,
    }


# The measured process ------------------------------------------------------------------


def vm_hwm_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(workspace_id: int, parameters: dict) -> int:
    """One model in this fresh process; one JSON line per measurement on stdout."""
    import django

    django.setup()
    from django.db import connection

    from analytics.attribution.compute import compute_attribution
    from analytics.attribution.parameters import parse_parameters
    from analytics.registry import RunContext
    from workspaces.models import Workspace

    workspace = Workspace.objects.get(pk=workspace_id)
    raw = {
        "dimensions": DIMENSIONS,
        "lead_milestone": "lead",
        "opportunity_milestone": "opportunity",
        **parameters,
    }
    context = RunContext(workspace, parse_parameters(workspace, raw), CUTOFF, lambda p: None)
    connection.ensure_connection()

    def emit(**fields):
        print(json.dumps(fields), flush=True)

    emit(kind="base", vmhwm=vm_hwm_mib())
    for attempt in range(2):
        started = time.perf_counter()
        result = compute_attribution(context)
        seconds = time.perf_counter() - started
        emit(
            kind="timed",
            seconds=seconds,
            vmhwm=vm_hwm_mib(),
            maxrss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            totals=result["totals"],
            rows={m["model"]: len(m["rows"]) for m in result["models"]},
        )
        if seconds >= 20 or attempt:
            break
    del result
    tracemalloc.start()
    started = time.perf_counter()
    compute_attribution(context)
    seconds = time.perf_counter() - started
    emit(kind="traced", seconds=seconds, peak=tracemalloc.get_traced_memory()[1] / 2**20)
    return 0


def run_child(argv: list[str], env: dict, timeout: float) -> tuple[dict[str, list], bool]:
    """Run a measuring child process; its JSON lines grouped by kind, and whether it timed
    out. bench/analytics.py measures its analyses with this too."""
    try:
        done = subprocess.run(
            argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout
        )
        out, timed_out, code, err = done.stdout, False, done.returncode, done.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        timed_out, code, err = True, None, ""
    if code not in (0, None):
        raise RuntimeError(f"child failed ({code}):\n{err[-3000:]}")
    lines: dict[str, list] = {"timed": [], "traced": [], "base": []}
    for line in out.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            lines.setdefault(record["kind"], []).append(record)
    return lines, timed_out


def measure(workspace_id: int, parameters: dict, env: dict, timeout: float) -> dict:
    argv = [sys.executable, __file__, "--child", json.dumps(parameters)]
    argv += ["--workspace", str(workspace_id)]
    lines, timed_out = run_child(argv, env, timeout)
    timed, traced, base = lines["timed"], lines["traced"], lines["base"]
    return {
        "timed_out": timed_out,
        "calls": [t["seconds"] for t in timed],
        "seconds": min((t["seconds"] for t in timed), default=None),
        "vmhwm": max((t["vmhwm"] for t in timed), default=None),
        "maxrss": max((t["maxrss"] for t in timed), default=None),
        "base": base[0]["vmhwm"] if base else None,
        "traced": traced[0]["peak"] if traced else None,
        "traced_seconds": traced[0]["seconds"] if traced else None,
        "totals": timed[0]["totals"] if timed else None,
        "rows": timed[0]["rows"] if timed else None,
    }


# The report ----------------------------------------------------------------------------


def fmt(value, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def report(args, info, data, results, timeout) -> str:
    lines = [f"### {'PostgreSQL' if info['vendor'] == 'postgresql' else 'SQLite'}", ""]
    command = ".venv/bin/python bench/attribution.py"
    if info["vendor"] == "postgresql":
        command = f"scripts/with-postgres.sh {command}"
    lines += [f"`{command}`", ""]
    lines.append(
        f"Measured {_common.machine_line(info)} Other load just before the run: "
        f"{info['load']:.0%} of the CPUs."
    )
    lengths = data["journey_lengths"]
    median = lengths[len(lengths) // 2]
    p99 = lengths[int(len(lengths) * 0.99)]
    lines.append(
        f"Data (seed {args.seed}): {data['accounts']:,} accounts, {data['interactions']:,} "
        f"interactions (per account: median {median}, 99th percentile {p99}, at most "
        f"{lengths[-1]}) over {DAYS} days, {data['conversions']:,} conversions on "
        f"{data['converting_accounts']:,} accounts, {data['achievements']:,} achievements "
        f"in all (with lead and opportunity), {len(TOUCHPOINTS)} touchpoints over "
        f"{len({t[1] for t in TOUCHPOINTS})} channels, {len(PERSONAS)} personas with "
        f"published maps, {data['spend_rows']} spend rows. Generated and loaded in "
        f"{data['load_seconds']:.0f} s ({'COPY' if data['pg'] else 'executemany'}), "
        f"{data['total_seconds']:.0f} s with first_seen_at and ANALYZE."
    )
    lines.append("")
    rows = []
    for label, _, target in RUNS:
        r = results[label]
        if r["seconds"] is None:
            seconds = f"timed out (> {timeout:.0f} s)"
        else:
            seconds = f"**{r['seconds']:.2f}**"
            if len(r["calls"]) > 1:
                seconds += f" (first {r['calls'][0]:.2f})"
        memory_ok = r["vmhwm"] is not None and r["vmhwm"] <= MEMORY_TARGET_MIB
        if target is None:
            met = "-"
        elif r["seconds"] is None:
            met = "**no**"
        else:
            met = "yes" if r["seconds"] <= target and memory_ok else "**no**"
            if r["seconds"] > target and not memory_ok:
                met += " (time, memory)"
            elif r["seconds"] > target:
                met += " (time)"
            elif not memory_ok:
                met += " (memory)"
        rows.append(
            [
                label,
                seconds,
                fmt(r["vmhwm"], ".0f"),
                fmt(r["traced"], ".1f")
                + (" (timed out)" if r["traced"] is None and r["timed_out"] else ""),
                f"{target:.0f} s, {MEMORY_TARGET_MIB:.0f} MB" if target else "-",
                met,
            ]
        )
    lines.append(
        _common.table(
            ["Model(s)", "Seconds", "VmHWM MiB", "tracemalloc peak MiB", "Target", "Met?"],
            rows,
        )
    )
    lines.append("")
    bases = [r["base"] for r in results.values() if r["base"] is not None]
    first = next((r for r in results.values() if r["totals"]), None)
    if bases:
        lines.append(
            f"VmHWM of a measured process before its first call (Django set up, connected): "
            f"{min(bases):.0f}-{max(bases):.0f} MiB."
        )
    if first:
        t = first["totals"]
        lines.append(
            f"Result totals (every run): {t['conversions']:,} conversions, "
            f"{t['converting_journeys']:,} converting and {t['non_converting_journeys']:,} "
            f"non-converting journeys, {t['touches']:,} touches; all five dimensions."
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--conversions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20251)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per model")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.workspace, json.loads(args.child))

    with (
        _common.terminate_on_signals(),
        _common.workdir() as work,
        _common.throwaway_database(work) as url,
    ):
        env = _common.server_environment(url, work)
        _common.setup_django(env)
        from django.db import connections

        from workspaces.models import Workspace

        vendor = _common.database_vendor()
        info = _common.machine(_common.database_version())
        info["vendor"] = vendor
        info["load"] = _common.background_load()
        workspace = Workspace.objects.create(name="Bench", slug="bench")
        print(f"Generating on {info['database']}...", flush=True)
        data = generate(args, workspace, vendor)
        print(
            f"{data['interactions']:,} interactions, {data['conversions']:,} conversions "
            f"loaded in {data['load_seconds']:.0f} s ({data['total_seconds']:.0f} s in all)",
            flush=True,
        )
        connections.close_all()
        results = {}
        for label, parameters, _target in RUNS:
            r = measure(workspace.pk, parameters, env, args.timeout)
            results[label] = r
            print(
                f"{label:<32} {fmt(r['seconds'])} s (calls {r['calls']}), VmHWM "
                f"{fmt(r['vmhwm'], '.0f')} MiB, tracemalloc {fmt(r['traced'], '.0f')} MiB"
                + (" TIMED OUT" if r["timed_out"] else ""),
                flush=True,
            )
        markdown = report(args, info, data, results, args.timeout)
        print()
        print(markdown)
        if not args.no_doc:
            path = _common.write_section(SECTION, SKELETON, vendor, markdown)
            print(f"\nWritten to {path.relative_to(_common.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
