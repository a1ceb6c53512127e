"""Demo activity: about 200 customer companies walking through the demo journey maps.

`journeys.demo.seed_demo` writes the designed side of the Northwind demo (personas,
touchpoints, milestones, maps); `seed_activity` adds the observed side, so every
analysis has something to show: accounts with firmographics and a persona, their
contacts, and 12 to 18 months of interactions and milestone achievements ending
yesterday.

Each account walks its persona's published map stage by stage:

- Buying stages (up to the stage whose exit is the first conversion, "paid plan
  bought"): 2-5 touches spread over the stage's expected duration (x0.4-1.4), mostly
  placed touchpoints in placement order, one in ten off the map; then the stage's exit
  milestone with a per-milestone probability, or the account stalls there (sometimes
  after a few lingering touches). A few accounts reach the first exit milestone only
  after the second one (out of order).
- Customers: onboarding call and product tour, usage touches every 6-30 days, QBRs
  every quarter, a renewal call about 9 months in; the exit milestones of the later
  stages at plausible times after the purchase (onboarding completed within weeks,
  expansion within the year, renewal on the anniversary, reviews and referrals), each
  gated by the stage before it (mostly in order). A quarter of the customers churn:
  their activity stops and the renewal never comes. "Five users added" is not reported
  but earned: a burst of teammate invitations lets its rule derive it.
- Paid touchpoints carry source / medium / campaign and a cost; conversions a value.
- What customers say: a CSAT survey after some demo calls and support tickets (with a
  CES after some tickets and onboarding calls), an NPS survey a few days after some
  milestones (trial, purchase, onboarding, renewal, expansion; higher further along,
  lower for the security evaluators), a G2 rating with each review left, and now and then
  a comment alone. Drawn from a random stream of their own, so they leave the rest of
  the generated journeys as they were.

Everything goes through the ingestion pipeline (`interactions_ingest`,
`milestones_record`, `feedback_record`) and `accounts_upsert`, like data from an integration. The
generator is deterministic: a fixed seed per account (Python's `random` and Faker via
factory-boy), so account n is the same whatever the number of accounts; times relative
to the anchor (midnight UTC of today; events after it are left out); client ids
`demo:<account>:<event>` that do not depend on the anchor. A second run stores nothing
twice, also on a later day (its events, shifted in time, are all duplicates). Faker's
data can change between Faker versions, so accounts and contacts are matched by
external ids (source "demo"), not by their generated names or domains.
"""

import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import factory
import factory.random
from django.db import transaction
from django.utils import timezone

from accounts.identity import AccountRef, ContactRef
from accounts.ingestion import (
    MAX_BATCH,
    AchievementItem,
    FeedbackItem,
    IngestReport,
    InteractionItem,
    ItemStatus,
    feedback_record,
    interactions_ingest,
    milestones_record,
)
from accounts.models import Account, AccountExternalId, Contact, ContactExternalId
from accounts.rules import derive_rule_milestones
from accounts.services import AccountUpsert, accounts_upsert
from accounts.stages import recompute_stages
from journeys.demo import Tally
from journeys.models import (
    JourneyMap,
    Milestone,
    Persona,
    Phase,
    Seniority,
    Stage,
    StageMilestone,
    StageTouchpoint,
    Touchpoint,
)
from workspaces.models import Workspace

SEED = "waymark-demo-activity-1"
DEFAULT_ACCOUNTS = 200
HISTORY_DAYS = 540  # the oldest accounts appeared about 18 months ago
NEWEST_DAYS = 14  # the newest two weeks ago
EARLY_SHARE = 0.3  # accounts from the first months, so that enough are up for renewal
EARLY_DAYS = 400
EXTERNAL_SOURCE = "demo"
CURRENCY = "USD"
CHUNK = MAX_BATCH
CONTACT_FIELDS = ("title", "department", "seniority", "persona")

# How the accounts behave ---------------------------------------------------------------

PERSONA_WEIGHTS = {"revops-lead": 45, "sales-team-lead": 35, "it-security-evaluator": 20}
DEFAULT_PERSONA_WEIGHT = 20

# Probability that an account in a stage reaches this exit milestone.
REACH = {
    "newsletter-signup": 0.75,
    "demo-requested": 0.75,
    "trial-started": 0.7,
    "paid-plan-purchased": 0.6,
    "onboarding-completed": 0.9,
    "five-users-added": 0.75,
    "renewal": 0.75,  # the others churn
    "expansion": 0.45,
    "review-left": 0.45,
    "referral-made": 0.15,
}
PERSONA_REACH = {
    "it-security-evaluator": {
        "demo-requested": 0.85,
        "trial-started": 0.8,
        "paid-plan-purchased": 0.7,
    },
    "sales-team-lead": {"trial-started": 0.65, "paid-plan-purchased": 0.5},
}
DEFAULT_REACH = 0.5

# Customers: when after the purchase each milestone happens (days, uniform).
AFTER_PURCHASE = {
    "onboarding-completed": (14, 45),
    "five-users-added": (5, 60),
    "expansion": (90, 330),
    "renewal": (360, 372),
    "review-left": (45, 300),
    "referral-made": (90, 400),
}
DEFAULT_AFTER_PURCHASE = (30, 300)
CHURN_WINDOW = (100, 340)  # days after the purchase when a churning customer goes quiet
CUSTOMER_HORIZON = 800  # days after the purchase the generator stops (past any "now")

# The touch just before a milestone and how long before it (days); when the persona's
# map does not place it, only sometimes (an off-map touch).
TRIGGERS = {
    "newsletter-signup": ("newsletter", (0.005, 0.02)),
    "demo-requested": ("demo-request-form", (0.005, 0.02)),
    "trial-started": ("free-trial-signup", (0.005, 0.02)),
    "paid-plan-purchased": ("proposal-call", (1, 6)),
    "expansion": ("upgrade-prompt", (3, 20)),
    "review-left": ("review-request-email", (1, 5)),
    "referral-made": ("referral-programme", (0.01, 2)),
}
# Customer touchpoints on a schedule instead of at random.
ONBOARDING_TOUCHES = {"onboarding-call": (1, 7), "in-app-tour": (0.5, 10)}
QBR, RENEWAL_CALL = "qbr", "renewal-call"
RENEWAL_CALL_AT = (270, 300)
SCHEDULED = {*ONBOARDING_TOUCHES, QBR, RENEWAL_CALL}

OFF_MAP_SHARE = 0.1  # touches at a touchpoint the current stage does not place
REPEAT_WEIGHT = 0.3  # buying stages: a touchpoint already used is less likely again
ONCE = {"free-trial-signup"}  # picked at most once per account
OFF_MAP_TRIGGER_SHARE = 0.25  # triggers the map does not place that happen anyway
OUT_OF_ORDER_SHARE = 0.08  # accounts reaching the first exit milestone after the second
LATE_GATE_SHARE = 0.15  # customer milestones not waiting for the stage before them
ANONYMOUS_SHARE = 0.3  # of the touches where no contact is known (ads, review sites)
ANONYMOUS_TOUCHPOINTS = {"search-ad", "linkedin-post", "organic-search", "g2-review"}

# Placed on the persona's map, never used by its accounts (for the map-fit analysis).
DORMANT = {
    "revops-lead": {"direct-mail-kit"},
    "it-security-evaluator": {"webinar"},
    "sales-team-lead": {"nurture-email"},
}


@dataclass(frozen=True)
class Spend:
    """Attribution data of a touchpoint: source, medium, campaigns, cost per touch."""

    source: str
    medium: str
    campaigns: tuple[str, ...] = ()
    cost: tuple[float, float] | None = None
    paid_share: float = 1.0  # of the touches that are paid (the rest: organic, no cost)
    organic_medium: str = ""


SPEND = {
    "organic-search": Spend("google", "organic"),
    "search-ad": Spend(
        "google",
        "cpc",
        ("forecasting-software", "pipeline-review-template", "competitor-brand"),
        (4, 28),
    ),
    "linkedin-post": Spend(
        "linkedin",
        "paid-social",
        ("founder-posts", "customer-champions"),
        (6, 18),
        paid_share=0.5,
        organic_medium="social",
    ),
    "blog-article": Spend("blog", "organic", ("forecasting-benchmark", "pipeline-playbook")),
    "g2-review": Spend("g2", "review-site", ("g2-buyer-intent",), (10, 35), paid_share=0.6),
    "newsletter": Spend("hubspot", "email", ("revops-weekly",)),
    "webinar": Spend("on24", "webinar", ("forecasting-without-spreadsheets",), (15, 40)),
    "trade-show-booth": Spend("events", "event", ("saastr-annual", "revops-summit"), (120, 380)),
    "direct-mail-kit": Spend("sendoso", "direct-mail", ("exec-benchmark-kit",), (65, 95)),
    "partner-referral": Spend("partner", "referral", ("crm-partner-programme",), (40, 120)),
    "pricing-page": Spend("website", "direct"),
    "nurture-email": Spend("hubspot", "email", ("nurture-leads", "nurture-trial")),
    "demo-request-form": Spend("website", "form", ("book-a-demo",)),
    "demo-call": Spend("crm", "call"),
    "free-trial-signup": Spend("app", "product", ("team-plan-trial",)),
    "trust-center": Spend("website", "direct"),
    "proposal-call": Spend("crm", "call"),
    "onboarding-call": Spend("crm", "call"),
    "in-app-tour": Spend("app", "in-app"),
    "user-invited": Spend("app", "in-app"),
    "support-ticket": Spend("zendesk", "support"),
    "community-forum": Spend("community", "community"),
    "qbr": Spend("crm", "meeting"),
    "renewal-call": Spend("crm", "call"),
    "upgrade-prompt": Spend("app", "in-app", ("seat-limit-80",)),
    "review-request-email": Spend("hubspot", "email", ("review-request-nps",)),
    "referral-programme": Spend("website", "referral", ("give-a-month",)),
}


@dataclass(frozen=True)
class Region:
    country: str
    locale: str
    tld: str
    weight: int


NORTH_AMERICA = (
    Region("US", "en_US", "com", 80),
    Region("CA", "en_CA", "ca", 20),
)
EMEA = (
    Region("GB", "en_GB", "co.uk", 30),
    Region("DE", "de_DE", "de", 25),
    Region("FR", "fr_FR", "fr", 15),
    Region("NL", "nl_NL", "nl", 15),
    Region("SE", "sv_SE", "se", 8),
    Region("IE", "en_IE", "ie", 7),
)


@dataclass(frozen=True)
class Profile:
    """Firmographics of a persona's typical account."""

    industries: tuple[str, ...]
    employees: tuple[int, int]
    revenue_per_employee: tuple[int, int]
    regions: tuple[Region, ...]
    deal: tuple[int, int]  # first-year contract value
    plan: str
    # Other people at the account: (title, department, seniority, persona key or "").
    colleagues: tuple[tuple[str, str, str, str], ...]


PROFILES = {
    "revops-lead": Profile(
        industries=("B2B software", "Fintech", "Marketing technology", "HR technology"),
        employees=(201, 1000),
        revenue_per_employee=(150_000, 300_000),
        regions=NORTH_AMERICA,
        deal=(12_000, 36_000),
        plan="business",
        colleagues=(
            ("Chief Revenue Officer", "Sales", Seniority.EXECUTIVE, ""),
            ("VP of Sales", "Sales", Seniority.VP, ""),
            ("Sales Operations Analyst", "Revenue Operations", Seniority.INDIVIDUAL, ""),
            ("CFO", "Finance", Seniority.EXECUTIVE, ""),
            ("IT Security Manager", "IT & Security", Seniority.MANAGER, "it-security-evaluator"),
            ("Sales Team Lead", "Sales", Seniority.MANAGER, "sales-team-lead"),
        ),
    ),
    "it-security-evaluator": Profile(
        industries=("Financial services", "Insurance", "Banking", "Payments"),
        employees=(1001, 5000),
        revenue_per_employee=(200_000, 400_000),
        regions=EMEA,
        deal=(24_000, 60_000),
        plan="enterprise",
        colleagues=(
            ("Chief Information Security Officer", "IT & Security", Seniority.EXECUTIVE, ""),
            ("Procurement Manager", "Procurement", Seniority.MANAGER, ""),
            ("Head of Revenue Operations", "Revenue Operations", Seniority.DIRECTOR, "revops-lead"),
            ("Security Analyst", "IT & Security", Seniority.INDIVIDUAL, ""),
            ("Data Protection Officer", "Legal", Seniority.MANAGER, ""),
        ),
    ),
    "sales-team-lead": Profile(
        industries=("B2B software", "Marketing technology", "Logistics software", "E-commerce"),
        employees=(51, 200),
        revenue_per_employee=(100_000, 250_000),
        regions=NORTH_AMERICA,
        deal=(3_600, 9_600),
        plan="team",
        colleagues=(
            ("Account Executive", "Sales", Seniority.INDIVIDUAL, ""),
            ("VP of Sales", "Sales", Seniority.VP, ""),
            ("Sales Development Representative", "Sales", Seniority.INDIVIDUAL, ""),
            ("Sales Operations Analyst", "Revenue Operations", Seniority.INDIVIDUAL, ""),
        ),
    ),
}
DEFAULT_PROFILE = PROFILES["revops-lead"]
OFF_PROFILE_SHARE = 0.15  # accounts whose firmographics are another persona's
CONTACTS_PER_ACCOUNT = ((1, 25), (2, 30), (3, 20), (4, 15), (5, 10))  # (count, weight)

_LEGAL_WORDS = {
    "ab", "ag", "and", "bv", "co", "corp", "e", "en", "et", "gmbh", "group", "hb", "inc",
    "kg", "kgaa", "llc", "ltd", "nv", "ohg", "plc", "sa", "sarl", "sas", "son", "sons",
    "the", "und", "v", "van", "de", "der", "den", "le", "la", "les",
}  # fmt: skip


# Faker through factory-boy ---------------------------------------------------------------


class CompanyFactory(factory.DictFactory):
    name = factory.Faker("company")


class PersonFactory(factory.DictFactory):
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


# The designed side, as the generator needs it ------------------------------------------


@dataclass(frozen=True)
class StagePlan:
    name: str
    touchpoints: tuple[str, ...]  # placed, in order
    exits: tuple[str, ...]  # exit milestones, in the order they were set
    duration: int  # expected days


@dataclass(frozen=True)
class MapPlan:
    persona: Persona
    stages: tuple[StagePlan, ...]
    purchase_index: int | None  # the first stage whose exit is a conversion

    @property
    def buying(self) -> tuple[StagePlan, ...]:
        end = len(self.stages) if self.purchase_index is None else self.purchase_index + 1
        return self.stages[:end]

    @property
    def customer(self) -> tuple[StagePlan, ...]:
        return self.stages[len(self.buying) :]


@dataclass(frozen=True)
class Catalogue:
    phases: dict[str, str]  # touchpoint key -> phase
    milestones: dict[str, Milestone]


def load_plans(workspace: Workspace) -> tuple[list[MapPlan], Catalogue]:
    """Each persona's published map (personas in key order) and the catalogue."""
    milestones = {m.key: m for m in Milestone.objects.filter(workspace=workspace)}
    catalogue = Catalogue(
        phases=dict(Touchpoint.objects.filter(workspace=workspace).values_list("key", "phase")),
        milestones=milestones,
    )
    maps = (
        JourneyMap.objects.filter(
            workspace=workspace,
            status=JourneyMap.Status.PUBLISHED,
            persona__isnull=False,
            is_template=False,
        )
        .select_related("persona")
        .order_by("persona__key", "pk")
    )
    plans, seen = [], set()
    for journey_map in maps:
        if journey_map.persona_id in seen:
            continue
        seen.add(journey_map.persona_id)
        stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position"))
        placed: dict[int, list[str]] = {stage.pk: [] for stage in stages}
        for stage_id, key in (
            StageTouchpoint.objects.filter(stage__journey_map=journey_map)
            .order_by("stage_id", "position")
            .values_list("stage_id", "touchpoint__key")
        ):
            placed[stage_id].append(key)
        exits: dict[int, list[str]] = {stage.pk: [] for stage in stages}
        for stage_id, key in (
            StageMilestone.objects.filter(journey_map=journey_map)
            .order_by("stage_id", "pk")
            .values_list("stage_id", "milestone__key")
        ):
            exits[stage_id].append(key)
        stage_plans = tuple(
            StagePlan(
                name=stage.name,
                touchpoints=tuple(placed[stage.pk]),
                exits=tuple(exits[stage.pk]),
                duration=stage.expected_duration_days or 30,
            )
            for stage in stages
        )
        if not stage_plans:
            continue
        purchase_index = next(
            (
                index
                for index, stage in enumerate(stage_plans)
                if any(key in milestones and milestones[key].is_conversion for key in stage.exits)
            ),
            None,
        )
        plans.append(MapPlan(journey_map.persona, stage_plans, purchase_index))
    return plans, catalogue


# The generated side ----------------------------------------------------------------------


@dataclass(frozen=True)
class ContactSpec:
    ref: ContactRef
    title: str
    department: str
    seniority: str
    persona_key: str


@dataclass(frozen=True)
class TouchSpec:
    number: int
    day: float  # days relative to the anchor (negative: in the past)
    touchpoint: str
    contact: int | None  # index into the account's contacts
    source: str = ""
    medium: str = ""
    campaign: str = ""
    cost: Decimal | None = None


@dataclass(frozen=True)
class ReachSpec:
    number: int
    day: float
    milestone: str
    contact: int | None
    value: Decimal | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class AccountSpec:
    number: int
    persona: Persona
    ref: AccountRef
    industry: str
    employee_count: int
    annual_revenue: Decimal
    country: str
    contacts: list[ContactSpec]
    touches: list[TouchSpec] = field(default_factory=list)
    reaches: list[ReachSpec] = field(default_factory=list)

    def client_id(self, number: int) -> str:
        return f"demo:{self.number}:{number}"

    def differs(self, account: Account) -> bool:
        """Whether the stored account's fields differ from the generated ones."""
        stored = {name: getattr(account, name) for name in self.changes if name != "persona"}
        wanted = {name: value for name, value in self.changes.items() if name != "persona"}
        return stored != wanted or account.persona_id != self.persona.pk

    @property
    def changes(self) -> dict[str, Any]:
        return {
            "name": self.ref.name,
            "industry": self.industry,
            "employee_count": self.employee_count,
            "annual_revenue": self.annual_revenue,
            "country": self.country,
            "persona": self.persona,
        }


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.lower()


def _domain_stem(company: str) -> str:
    words = [w for w in re.split(r"[^a-z0-9]+", _ascii(company)) if w]
    words = [w for w in words if w not in _LEGAL_WORDS] or words or ["company"]
    stem = words[0] if len(words) == 1 or len(words[0]) >= 7 else "-".join(words[:2])
    return stem[:40].strip("-")


class _Walker:
    """Generates one account: its profile, contacts and journey, from its own seed."""

    def __init__(self, number: int, plan: MapPlan, catalogue: Catalogue, rng: random.Random):
        self.number = number
        self.plan = plan
        self.catalogue = catalogue
        self.rng = rng
        self.key = plan.persona.key
        self.dormant = DORMANT.get(self.key, set())
        self.reach_overrides = PERSONA_REACH.get(self.key, {})
        self.placed = {key for stage in plan.stages for key in stage.touchpoints}
        self.picked: Counter[str] = Counter()
        self.next_event = 0
        self.touches: list[TouchSpec] = []
        self.reaches: list[ReachSpec] = []
        self.contact_count = 1

    # Profile ---------------------------------------------------------------------------

    def account(self, taken_domains: set[str]) -> AccountSpec:
        rng = self.rng
        profile = PROFILES.get(self.key, DEFAULT_PROFILE)
        firmographics = profile
        if rng.random() < OFF_PROFILE_SHARE:
            firmographics = rng.choice(list(PROFILES.values()))
        region = rng.choices(firmographics.regions, [r.weight for r in firmographics.regions])[0]
        with factory.Faker.override_default_locale(region.locale):
            company = CompanyFactory()["name"]
            people = [PersonFactory() for _ in range(5)]
        tld = region.tld if rng.random() < 0.5 else rng.choice(("com", "com", "io", "ai"))
        stem = _domain_stem(company)
        domain = f"{stem}.{tld}"
        suffix = 2
        while domain in taken_domains:
            domain = f"{stem}{suffix}.{tld}"
            suffix += 1
        taken_domains.add(domain)

        employees = rng.randint(*firmographics.employees)
        revenue = employees * rng.randint(*firmographics.revenue_per_employee)
        count = rng.choices(*zip(*CONTACTS_PER_ACCOUNT, strict=True))[0]
        self.contact_count = count
        colleagues = rng.sample(profile.colleagues, min(count - 1, len(profile.colleagues)))
        roles = [
            (
                self.plan.persona.role,
                self.plan.persona.department,
                self.plan.persona.seniority,
                self.key,
            ),
            *colleagues,
        ]
        contacts, emails = [], set()
        for index, (person, (title, department, seniority, persona_key)) in enumerate(
            zip(people, roles, strict=False), start=1
        ):
            first, last = person["first_name"], person["last_name"]
            local = re.sub(r"[^a-z0-9.]+", "", f"{_ascii(first)}.{_ascii(last)}").strip(".")
            email = f"{local or 'contact'}@{domain}"
            if email in emails:
                email = f"{local}{index}@{domain}"
            emails.add(email)
            contacts.append(
                ContactSpec(
                    ref=ContactRef(
                        source=EXTERNAL_SOURCE,
                        external_id=f"DEMO-{self.number:04d}-{index}",
                        email=email,
                        name=f"{first} {last}",
                    ),
                    title=title,
                    department=department,
                    seniority=seniority,
                    persona_key=persona_key,
                )
            )
        self.contact_count = len(contacts)
        return AccountSpec(
            number=self.number,
            persona=self.plan.persona,
            ref=AccountRef(
                source=EXTERNAL_SOURCE,
                external_id=f"DEMO-{self.number:04d}",
                domain=domain,
                name=company,
            ),
            industry=rng.choice(firmographics.industries),
            employee_count=employees,
            annual_revenue=Decimal(round(revenue, -5)),
            country=region.country,
            contacts=contacts,
        )

    # Events ----------------------------------------------------------------------------

    def _number(self) -> int:
        self.next_event += 1
        return self.next_event

    def _contact(self, touchpoint: str, available: int) -> int | None:
        rng = self.rng
        if touchpoint in ANONYMOUS_TOUCHPOINTS and rng.random() < ANONYMOUS_SHARE:
            return None
        available = max(1, min(available, self.contact_count))
        return 0 if rng.random() < 0.55 or available == 1 else rng.randrange(1, available)

    def touch(self, day: float, touchpoint: str, *, contacts: int) -> None:
        if touchpoint in self.dormant or touchpoint not in self.catalogue.phases:
            return
        rng = self.rng
        spend = SPEND.get(touchpoint)
        extra: dict[str, Any] = {}
        if spend is not None:
            paid = spend.cost is not None and rng.random() < spend.paid_share
            campaign = ""
            if spend.campaigns and (paid or spend.cost is None):
                campaign = rng.choice(spend.campaigns)
            extra = {
                "source": spend.source,
                "medium": spend.medium if paid else spend.organic_medium or spend.medium,
                "campaign": campaign,
                "cost": Decimal(f"{rng.uniform(*spend.cost):.2f}") if paid else None,
            }
        self.touches.append(
            TouchSpec(self._number(), day, touchpoint, self._contact(touchpoint, contacts), **extra)
        )

    def reach(self, day: float, milestone: str, *, contact: int | None = 0, **extra) -> None:
        self.reaches.append(ReachSpec(self._number(), day, milestone, contact, **extra))

    def probability(self, milestone: str) -> float:
        return self.reach_overrides.get(milestone, REACH.get(milestone, DEFAULT_REACH))

    def milestone(self, day: float, key: str, *, contacts: int, **extra) -> float:
        """Reach a milestone (after its trigger touch); returns when it counts."""
        rule = self.catalogue.milestones[key].rule
        if isinstance(rule, dict) and rule.get("touchpoint") in self.catalogue.phases:
            return self.burst(day, rule, contacts=contacts, complete=True)
        trigger = TRIGGERS.get(key)
        if trigger is not None:
            touchpoint, (low, high) = trigger
            before = day - self.rng.uniform(low, high)
            if touchpoint in self.placed or self.rng.random() < OFF_MAP_TRIGGER_SHARE:
                self.picked[touchpoint] += 1
                self.touch(before, touchpoint, contacts=contacts)
        self.reach(day, key, **extra)
        return day

    def burst(self, day: float, rule: dict, *, contacts: int, complete: bool) -> float:
        """Touches of a rule's touchpoint: enough within its window to earn the milestone
        (returns the day the rule holds), or a few too few."""
        rng = self.rng
        need = int(rule.get("min_count", 1))
        window = float(rule.get("within_days", 30))
        count = need + rng.randint(0, 3) if complete else rng.randint(0, max(0, need - 2))
        days = sorted(day + rng.uniform(0, window * 0.7) for _ in range(count))
        for moment in days:
            self.touch(moment, rule["touchpoint"], contacts=contacts)
        return days[need - 1] if complete and days else day

    def pick(
        self,
        placed: Sequence[str],
        *,
        phases: Iterable[str],
        pool: Sequence[str] | None = None,
        repeat: float = REPEAT_WEIGHT,
    ) -> str | None:
        """A touchpoint for a touch where `placed` are placed: mostly one of `pool` (default:
        `placed`), earlier ones and ones this account has not used yet more often (each
        earlier pick multiplies the weight by `repeat`); sometimes one that is not placed
        there (of the same phases)."""
        rng = self.rng
        candidates = [key for key in (placed if pool is None else pool) if self.usable(key)]
        if not candidates or rng.random() < OFF_MAP_SHARE:
            phases = set(phases)
            others = [
                key
                for key, phase in self.catalogue.phases.items()
                if phase in phases and key not in placed and self.usable(key)
            ]
            if others:
                key = rng.choice(sorted(others))
                self.picked[key] += 1
                return key
        if not candidates:
            return None
        weights = [
            repeat ** self.picked[key] / math.sqrt(position)
            for position, key in enumerate(candidates, start=1)
        ]
        key = rng.choices(candidates, weights)[0]
        self.picked[key] += 1
        return key

    def usable(self, key: str) -> bool:
        return key not in self.dormant and not (key in ONCE and self.picked[key])

    def walk(self) -> None:
        """The journey, in days relative to the anchor, from a random start."""
        rng = self.rng
        early = rng.random() < EARLY_SHARE
        day = -rng.uniform(EARLY_DAYS if early else NEWEST_DAYS, HISTORY_DAYS)
        purchase: tuple[float, Decimal] | None = None
        swap_first_exit = rng.random() < OUT_OF_ORDER_SHARE
        first_exit: ReachSpec | None = None
        buying_phases = (Phase.PRE_PURCHASE, Phase.PURCHASE)
        for index, stage in enumerate(self.plan.buying):
            contacts = index + 1  # the buying committee grows stage by stage
            duration = stage.duration * rng.uniform(0.4, 1.4)
            count = rng.randint(2, 5)
            moments = [day, *sorted(day + rng.uniform(0.2, duration) for _ in range(count - 1))]
            picks = [self.pick(stage.touchpoints, phases=buying_phases) for _ in moments]
            if rng.random() < 0.7:  # usually in the order the map places them
                order = {key: position for position, key in enumerate(stage.touchpoints)}
                picks.sort(key=lambda key: order.get(key, len(order)))
            for moment, touchpoint in zip(moments, picks, strict=True):
                if touchpoint is not None:
                    self.touch(moment, touchpoint, contacts=contacts)
            exits = [key for key in stage.exits if key in self.catalogue.milestones]
            end = day + duration
            if not exits or rng.random() >= self.probability(exits[0]):
                self.linger(end, stage, contacts=contacts)
                return
            reached = [key for key in exits[1:] if rng.random() < self.probability(key)]
            reached = reached if reached and rng.random() < 0.3 else []
            for position, key in enumerate([exits[0], *reached]):
                at = end + (rng.uniform(0.5, 7) if position else rng.uniform(0, 1))
                extra = {}
                if self.catalogue.milestones[key].is_conversion:
                    value = self.deal_value()
                    profile = PROFILES.get(self.key, DEFAULT_PROFILE)
                    extra = {"value": value, "properties": {"plan": profile.plan}}
                    purchase = purchase or (at, value)
                self.milestone(at, key, contacts=contacts, **extra)
                if index == 0 and position == 0:
                    first_exit = self.reaches[-1]
            if swap_first_exit and index == 1 and first_exit is not None:
                # The first exit milestone comes after the second stage's exit: out of order.
                late = replace(first_exit, day=self.reaches[-1].day + rng.uniform(1, 10))
                self.reaches[self.reaches.index(first_exit)] = late
            day = end + rng.uniform(2, 12)
        if purchase is not None:
            self.customer(*purchase)

    def linger(self, day: float, stage: StagePlan, *, contacts: int) -> None:
        """A stalled account: sometimes a few more touches, then silence."""
        rng = self.rng
        for _ in range(rng.choice((0, 0, 1, 2))):
            day += rng.uniform(15, 90)
            touchpoint = self.pick(stage.touchpoints, phases=(Phase.PRE_PURCHASE, Phase.PURCHASE))
            if touchpoint is not None:
                self.touch(day, touchpoint, contacts=contacts)

    def deal_value(self) -> Decimal:
        low, high = PROFILES.get(self.key, DEFAULT_PROFILE).deal
        return Decimal(round(self.rng.uniform(low, high) / 600) * 600)

    def customer(self, purchased: float, deal: Decimal) -> None:
        """Life after the purchase: scheduled touches, usage, and the customer stages."""
        rng = self.rng
        contacts = self.contact_count
        horizon = purchased + CUSTOMER_HORIZON
        churns = rng.random() >= self.probability("renewal")
        quiet = purchased + rng.uniform(*CHURN_WINDOW) if churns else horizon
        placed = {key for stage in self.plan.customer for key in stage.touchpoints}

        for touchpoint, (low, high) in ONBOARDING_TOUCHES.items():
            if touchpoint in placed:
                self.touch(purchased + rng.uniform(low, high), touchpoint, contacts=contacts)
        if QBR in placed:
            moment = purchased + rng.uniform(80, 100)
            while moment < quiet:
                self.touch(moment, QBR, contacts=contacts)
                moment += rng.uniform(80, 100)
        if RENEWAL_CALL in placed:
            self.touch(purchased + rng.uniform(*RENEWAL_CALL_AT), RENEWAL_CALL, contacts=contacts)

        pool = [
            key
            for stage in self.plan.customer
            for key in stage.touchpoints
            if key not in SCHEDULED and key not in {t for t, _ in TRIGGERS.values()}
        ]
        pool = list(dict.fromkeys(pool))
        moment = purchased + rng.uniform(3, 10)
        while moment < quiet:
            touchpoint = self.pick(
                sorted(placed), pool=pool, phases=(Phase.POST_PURCHASE,), repeat=1.0
            )
            if touchpoint is not None:
                self.touch(moment, touchpoint, contacts=contacts)
            moment += rng.uniform(6, 30)

        gate = purchased
        for stage in self.plan.customer:
            passed = []
            for key in stage.exits:
                milestone = self.catalogue.milestones.get(key)
                if milestone is None:
                    continue
                low, high = AFTER_PURCHASE.get(key, DEFAULT_AFTER_PURCHASE)
                at = purchased + rng.uniform(low, high)
                renewal = key == "renewal"  # on the anniversary, unless the customer churned
                if at < gate and not renewal and rng.random() >= LATE_GATE_SHARE:
                    at = gate + rng.uniform(3, 30)
                if at > quiet or (not renewal and rng.random() >= self.probability(key)):
                    if isinstance(milestone.rule, dict) and at < quiet:
                        self.burst(at, milestone.rule, contacts=contacts, complete=False)
                    continue
                extra: dict[str, Any] = {}
                if renewal:
                    value = Decimal(round(float(deal) * rng.uniform(1.0, 1.2) / 600) * 600)
                    extra = {"value": value, "contact": None}
                elif milestone.is_conversion:
                    value = Decimal(round(float(deal) * rng.uniform(0.25, 0.6) / 600) * 600)
                    extra = {"value": value, "properties": {"seats_added": rng.randint(3, 25)}}
                else:
                    extra = {"contact": rng.randrange(contacts)}
                passed.append(self.milestone(at, key, contacts=contacts, **extra))
            if not passed:
                return  # stays in this stage
            gate = min(passed)


def generate(plans: Sequence[MapPlan], catalogue: Catalogue, count: int) -> list[AccountSpec]:
    """`count` accounts with their journeys; account n is the same whatever the count."""
    if not plans:
        return []
    weights = [PERSONA_WEIGHTS.get(plan.persona.key, DEFAULT_PERSONA_WEIGHT) for plan in plans]
    state = factory.random.get_random_state()
    taken: set[str] = set()
    specs = []
    try:
        for number in range(1, count + 1):
            seed = f"{SEED}:{number}"
            rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
            factory.random.reseed_random(f"{seed}:faker")
            plan = rng.choices(plans, weights)[0]
            walker = _Walker(number, plan, catalogue, rng)
            spec = walker.account(taken)
            walker.walk()
            spec.touches, spec.reaches = walker.touches, walker.reaches
            specs.append(spec)
    finally:
        factory.random.set_random_state(state)
    return specs


# Writing it --------------------------------------------------------------------------


@dataclass
class ActivityReport:
    tallies: dict[str, Tally] = field(default_factory=dict)
    derived_achievements: int = 0
    stage_changes: int = 0

    def tally(self, label: str) -> Tally:
        return self.tallies.setdefault(label, Tally())


class DemoSeedError(Exception):
    """The pipeline rejected a generated item: the generator and the catalogue disagree."""


def anchor_of(now: datetime) -> datetime:
    """Midnight (UTC) of `now`'s day: every generated event happens before it."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def at(anchor: datetime, day: float) -> datetime:
    """A relative day as a time: the day's fraction becomes 08:00-18:00 UTC."""
    whole = math.floor(day)
    seconds = round((day - whole) * 10 * 3600)
    return anchor + timedelta(days=whole, hours=8, seconds=seconds)


@transaction.atomic
def seed_activity(
    *,
    workspace: Workspace,
    accounts: int = DEFAULT_ACCOUNTS,
    now: datetime | None = None,
    process: bool = True,
) -> ActivityReport:
    """Create the demo accounts, contacts and their history in `workspace`; running it
    again stores nothing twice. With `process`, also derive rule milestones and current
    stages right away (the tasks the pipeline enqueues do the same later)."""
    plans, catalogue = load_plans(workspace)
    anchor = anchor_of(now or timezone.now())
    specs = generate(plans, catalogue, accounts)
    report = ActivityReport()
    account_ids, known = _write_accounts(workspace, specs, report.tally("Accounts"))
    contacts_before = _contact_ids(workspace, specs)

    # Accounts of an earlier run keep the history they were given: generated again from a
    # map that a user has edited since, it would add activity the first run never had.
    touches, reaches = [], []
    for spec in specs:
        past_touches = [t for t in spec.touches if t.day < 0]
        past_reaches = [r for r in spec.reaches if r.day < 0]
        if spec.ref.external_id in known:
            report.tally("Interactions").present += len(past_touches)
            report.tally("Achievements").present += len(past_reaches)
            continue
        touches += [_interaction_item(spec, touch, anchor) for touch in past_touches]
        reaches += [_achievement_item(spec, reach, anchor) for reach in past_reaches]
    _ingest(workspace, interactions_ingest, touches, report.tally("Interactions"))
    _ingest(workspace, milestones_record, reaches, report.tally("Achievements"))
    responses = [item for spec in specs for item in _feedback_items(spec, anchor, catalogue.phases)]
    _ingest(workspace, feedback_record, responses, report.tally("Feedback responses"))
    _write_contacts(workspace, specs, contacts_before, report.tally("Contacts"))

    if process and account_ids:
        report.derived_achievements = derive_rule_milestones(
            workspace=workspace, account_ids=account_ids
        )
        report.stage_changes = recompute_stages(workspace=workspace, account_ids=account_ids)
    return report


def _external_ids(specs: Sequence[AccountSpec]) -> list[str]:
    return [spec.ref.external_id for spec in specs]


def _write_accounts(
    workspace: Workspace, specs: Sequence[AccountSpec], tally: Tally
) -> tuple[list[int], set[str]]:
    """Upsert the accounts whose fields differ from the generated ones (or are missing).
    Returns the ids of all of them and the external ids of those that existed before."""
    links = dict(
        AccountExternalId.objects.filter(
            workspace=workspace, source=EXTERNAL_SOURCE, external_id__in=_external_ids(specs)
        ).values_list("external_id", "account_id")
    )
    existing = Account.objects.in_bulk(list(links.values()))
    items = []
    for spec in specs:
        account = existing.get(links.get(spec.ref.external_id))
        if account is None:
            tally.created += 1
        elif spec.differs(account):
            tally.updated += 1
        else:
            tally.present += 1
            continue
        items.append(AccountUpsert(ref=spec.ref, changes=spec.changes))
    for start in range(0, len(items), CHUNK):
        results = accounts_upsert(workspace=workspace, items=items[start : start + CHUNK])
        for result in results:
            if result.errors:
                raise DemoSeedError(f"Account rejected: {result.errors}")
    account_ids = sorted(
        AccountExternalId.objects.filter(
            workspace=workspace, source=EXTERNAL_SOURCE, external_id__in=_external_ids(specs)
        ).values_list("account_id", flat=True)
    )
    return account_ids, set(links)


def _contact_ids(workspace: Workspace, specs: Sequence[AccountSpec]) -> set[str]:
    wanted = [contact.ref.external_id for spec in specs for contact in spec.contacts]
    return set(
        ContactExternalId.objects.filter(
            workspace=workspace, source=EXTERNAL_SOURCE, external_id__in=wanted
        ).values_list("external_id", flat=True)
    )


def _write_contacts(
    workspace: Workspace, specs: Sequence[AccountSpec], before: set[str], tally: Tally
) -> None:
    """Describe the contacts the events created (title, department, seniority, persona).

    Contacts are created by the events they take part in, so a planned contact that has
    done nothing yet does not exist yet. Only descriptive fields change, so each row is
    validated without its (email) constraints and all are saved in one bulk update."""
    personas = {p.key: p for p in Persona.objects.filter(workspace=workspace)}
    wanted = {contact.ref.external_id: contact for spec in specs for contact in spec.contacts}
    links = dict(
        ContactExternalId.objects.filter(
            workspace=workspace, source=EXTERNAL_SOURCE, external_id__in=list(wanted)
        ).values_list("external_id", "contact_id")
    )
    contacts = Contact.objects.in_bulk(list(links.values()))
    changed, now = [], timezone.now()
    for external_id, contact_id in sorted(links.items()):
        spec, contact = wanted[external_id], contacts[contact_id]
        persona = personas.get(spec.persona_key)
        changes = {
            name: value
            for name, value in (
                ("title", spec.title),
                ("department", spec.department),
                ("seniority", spec.seniority),
            )
            if getattr(contact, name) != value
        }
        if contact.persona_id != (persona.pk if persona else None):
            changes["persona"] = persona
        if external_id not in before:
            tally.created += 1
        elif changes:
            tally.updated += 1
        else:
            tally.present += 1
        if changes:
            for name, value in changes.items():
                setattr(contact, name, value)
            contact.full_clean(validate_unique=False, validate_constraints=False)
            contact.updated_at = now
            changed.append(contact)
    Contact.objects.bulk_update(changed, [*CONTACT_FIELDS, "updated_at"], batch_size=500)


def _interaction_item(spec: AccountSpec, touch: TouchSpec, anchor: datetime) -> InteractionItem:
    return InteractionItem(
        client_id=spec.client_id(touch.number),
        touchpoint=touch.touchpoint,
        occurred_at=at(anchor, touch.day),
        account=spec.ref,
        contact=None if touch.contact is None else spec.contacts[touch.contact].ref,
        source=touch.source,
        medium=touch.medium,
        campaign=touch.campaign,
        cost=touch.cost,
    )


def _achievement_item(spec: AccountSpec, reach: ReachSpec, anchor: datetime) -> AchievementItem:
    return AchievementItem(
        client_id=spec.client_id(reach.number),
        milestone=reach.milestone,
        occurred_at=at(anchor, reach.day),
        account=spec.ref,
        contact=None if reach.contact is None else spec.contacts[reach.contact].ref,
        value=reach.value,
        currency=CURRENCY if reach.value is not None else "",
        properties=reach.properties,
    )


# What customers say -----------------------------------------------------------------------

# Touches followed by a survey: touchpoint -> (chance, instrument, source, mean score).
SURVEYED_TOUCHES = {
    "demo-call": (0.4, "csat", "survey", 4.1),
    "support-ticket": (0.6, "csat", "ticketing", 3.6),
    "onboarding-call": (0.5, "ces", "survey", 5.2),
}
TICKET_CES_SHARE = 0.4
# Milestones followed by an NPS survey: milestone -> mean score.
NPS_AFTER = {
    "trial-started": 6.8,
    "paid-plan-purchased": 7.6,
    "onboarding-completed": 8.0,
    "renewal": 8.4,
    "expansion": 8.8,
}
NPS_SHARE = 0.5
PERSONA_MOOD = {"it-security-evaluator": -1.2, "revops-lead": 0.4}
COMMENTS = {
    "low": (
        "Setting up the CRM sync took far too long.",
        "Support answered, but only after three days.",
        "The forecast numbers did not match our spreadsheet.",
        "Too expensive for what we use.",
    ),
    "mid": (
        "Does the job; the reports could be clearer.",
        "Onboarding was fine, the docs are thin.",
        "Good product, the pricing page is confusing.",
    ),
    "high": (
        "Our pipeline reviews take half the time now.",
        "The onboarding team was excellent.",
        "Best forecasting tool we have tried.",
        "Quick, friendly support.",
    ),
}
COMMENT_SHARE = 0.35
FEEDBACK_DELAY_DAYS = (0.2, 6)


def _scored(rng: random.Random, mean: float, low: int, high: int, spread: float) -> int:
    return max(low, min(high, round(rng.gauss(mean, spread))))


def _comment(rng: random.Random, share: float) -> str:
    mood = "low" if share < 0.45 else "mid" if share < 0.75 else "high"
    return rng.choice(COMMENTS[mood]) if rng.random() < COMMENT_SHARE else ""


def _feedback_items(
    spec: AccountSpec, anchor: datetime, touchpoints: Iterable[str]
) -> list[FeedbackItem]:
    """The account's survey answers, ratings and comments, from its own random stream;
    they name only touchpoints of the catalogue."""
    touchpoints = set(touchpoints)
    rng = random.Random(f"{SEED}:{spec.number}:feedback")  # noqa: S311 - reproducible
    mood = PERSONA_MOOD.get(spec.persona.key, 0.0)
    items: list[FeedbackItem] = []

    def say(day, contact, instrument, score, scale, source, touchpoint=None, comment=""):
        day += rng.uniform(*FEEDBACK_DELAY_DAYS)
        if day >= 0:
            return
        items.append(
            FeedbackItem(
                client_id=f"demo:{spec.number}:feedback-{len(items) + 1}",
                instrument=instrument,
                occurred_at=at(anchor, day),
                account=spec.ref,
                contact=None if contact is None else spec.contacts[contact].ref,
                score=score,
                scale=scale,
                comment=comment,
                source=source,
                touchpoint=touchpoint if touchpoint in touchpoints else None,
            )
        )

    for touch in spec.touches:
        surveyed = SURVEYED_TOUCHES.get(touch.touchpoint)
        if surveyed is None or rng.random() >= surveyed[0]:
            continue
        _, instrument, source, mean = surveyed
        high = 5 if instrument == "csat" else 7
        score = _scored(rng, mean + mood * 0.5, 1, high, 1.0)
        comment = _comment(rng, (score - 1) / (high - 1))
        say(touch.day, touch.contact, instrument, score, high, source, touch.touchpoint, comment)
        if touch.touchpoint == "support-ticket" and rng.random() < TICKET_CES_SHARE:
            ces = _scored(rng, 4.6 + mood * 0.5, 1, 7, 1.4)
            say(touch.day, touch.contact, "ces", ces, 7, source, touch.touchpoint)
    for reach in spec.reaches:
        if reach.milestone == "review-left":
            stars = max(1.0, min(5.0, round(rng.gauss(4.3 + mood * 0.3, 0.6) * 2) / 2))
            comment = rng.choice(COMMENTS["high" if stars >= 4 else "mid"])
            say(reach.day, reach.contact, "rating", f"{stars:.1f}", 5, "review_site",
                "g2-review", comment)  # fmt: skip
        mean = NPS_AFTER.get(reach.milestone)
        if mean is None or rng.random() >= NPS_SHARE:
            continue
        score = _scored(rng, mean + mood, 0, 10, 2.0)
        say(reach.day, reach.contact, "nps", score, 10, "survey", None, _comment(rng, score / 10))
    if spec.touches and rng.random() < 0.1:  # a comment alone, in a chat or an email
        last = max(spec.touches, key=lambda touch: touch.day)
        text = rng.choice(COMMENTS["low"] + COMMENTS["mid"])
        say(last.day, last.contact, "text", None, None, "ticketing", None, text)
    return items


def _ingest(workspace: Workspace, ingest, items: Sequence, tally: Tally) -> None:
    for start in range(0, len(items), CHUNK):
        report: IngestReport = ingest(workspace=workspace, items=items[start : start + CHUNK])
        rejected = [item for item in report.items if item.status is ItemStatus.REJECTED]
        if rejected:
            raise DemoSeedError(f"{len(rejected)} items rejected, e.g. {rejected[0]}")
        tally.created += report.count(ItemStatus.ACCEPTED)
        tally.present += report.count(ItemStatus.DUPLICATE)
