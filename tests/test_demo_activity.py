"""`seed_demo`'s accounts and activity (accounts.demo): shape, idempotency, determinism."""

from collections import Counter
from datetime import timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts import demo as activity
from accounts.models import (
    Account,
    AccountExternalId,
    AccountStage,
    Contact,
    ContactExternalId,
    FeedbackResponse,
    Interaction,
    MilestoneAchievement,
)
from journeys import demo
from journeys.models import (
    JourneyMap,
    Milestone,
    Persona,
    StageMilestone,
    StageTouchpoint,
    Touchpoint,
)
from tests.factories import WorkspaceFactory
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

SMALL = 40  # enough for every persona to convert; the full 200 run is marked slow


def run(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def demo_workspace() -> Workspace:
    return Workspace.objects.get(slug=demo.WORKSPACE["slug"])


def seeded_catalogue() -> Workspace:
    run("--no-activity")
    return demo_workspace()


def conversions(workspace: Workspace):
    return MilestoneAchievement.objects.filter(workspace=workspace, milestone__is_conversion=True)


SNAPSHOT_MODELS = (
    Account,
    AccountExternalId,
    Contact,
    ContactExternalId,
    Interaction,
    MilestoneAchievement,
    FeedbackResponse,
    AccountStage,
)


def snapshot() -> dict[str, list[dict]]:
    """Every row of every model the activity seed writes, timestamps included."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS
    }


def test_seed_demo_adds_accounts_contacts_and_activity():
    out = run("--accounts", str(SMALL))

    workspace = demo_workspace()
    accounts = Account.objects.filter(workspace=workspace)
    assert accounts.count() == SMALL
    assert f"Accounts: {SMALL} created, 0 already present" in out
    interactions = Interaction.objects.filter(workspace=workspace)
    achievements = MilestoneAchievement.objects.filter(workspace=workspace)
    contacts = Contact.objects.filter(workspace=workspace)
    assert f"Interactions: {interactions.count()} created, 0 already present" in out
    reported = achievements.filter(origin=MilestoneAchievement.Origin.REPORTED).count()
    assert f"Achievements: {reported} created, 0 already present" in out
    assert f"Contacts: {contacts.count()} created, 0 already present" in out
    assert "Derived from the activity:" in out
    assert 10 * SMALL <= interactions.count() <= 40 * SMALL

    for account in accounts.prefetch_related("contacts"):
        assert account.persona is not None, account
        assert all((account.domain, account.name, account.industry, account.country)), account
        assert min(account.employee_count, account.annual_revenue) > 0, account
        assert account.first_seen_at is not None
        assert 1 <= len(account.contacts.all()) <= 5, account
    assert not contacts.filter(account__isnull=True).exists()
    assert contacts.exclude(title="").count() == contacts.count()
    assert contacts.filter(persona__isnull=False).exists()

    # Paid touchpoints carry spend-like data.
    paid = interactions.filter(cost__isnull=False)
    assert paid.exists()
    assert not paid.filter(campaign="").exists()
    assert not paid.filter(source="").exists()
    assert set(paid.values_list("touchpoint__key", flat=True)) >= {"search-ad", "webinar"}
    search_ads = interactions.filter(touchpoint__key="search-ad")
    assert set(search_ads.values_list("source", "medium").distinct()) == {("google", "cpc")}
    assert interactions.filter(cost__isnull=True).count() > paid.count()


def test_every_persona_converts_some_accounts_never_do_and_stages_are_derived():
    run("--accounts", str(SMALL))

    workspace = demo_workspace()
    converted = conversions(workspace)
    assert set(converted.values_list("account__persona__key", flat=True)) == {
        spec["key"] for spec in demo.PERSONAS
    }
    assert not converted.filter(value__isnull=True).exists()
    assert not converted.filter(value__lte=0).exists()
    never = Account.objects.filter(workspace=workspace).exclude(
        pk__in=converted.values("account_id")
    )
    assert never.count() >= SMALL // 3
    # Non-converting accounts still have touches (for paths and attribution baselines).
    assert Interaction.objects.filter(account__in=never).exists()

    # Rule milestones and current stages are derived right away.
    derived = MilestoneAchievement.objects.filter(
        workspace=workspace, origin=MilestoneAchievement.Origin.RULE
    )
    assert set(derived.values_list("milestone__key", flat=True)) == {"five-users-added"}
    # Five users added is earned by invitations, never reported directly.
    assert not MilestoneAchievement.objects.filter(
        workspace=workspace,
        milestone__key="five-users-added",
        origin=MilestoneAchievement.Origin.REPORTED,
    ).exists()
    stages = AccountStage.objects.filter(workspace=workspace)
    assert stages.count() == SMALL
    # Stalled accounts in the first stage, customers as far as the fifth.
    positions = Counter(stages.values_list("stage__position", flat=True))
    assert positions[1] > 0
    assert max(positions) >= 5


def test_activity_is_in_the_past_and_in_the_demo_workspace():
    other = WorkspaceFactory(slug="acme")
    Touchpoint.objects.create(workspace=other, key="pricing-page", name="Other pricing")

    run("--accounts", str(SMALL))

    workspace = demo_workspace()
    now = timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    interactions = Interaction.objects.filter(workspace=workspace)
    achievements = MilestoneAchievement.objects.filter(workspace=workspace)
    for events in (interactions, achievements):
        assert events.exists()
        assert not events.filter(occurred_at__gte=midnight).exists()
        assert not events.filter(occurred_at__lt=midnight - timedelta(days=541)).exists()
        assert not events.exclude(account__workspace=workspace).exists()
        assert (
            not events.filter(contact__isnull=False).exclude(contact__workspace=workspace).exists()
        )
    assert not interactions.exclude(touchpoint__workspace=workspace).exists()
    assert not achievements.exclude(milestone__workspace=workspace).exists()
    reported = achievements.filter(origin=MilestoneAchievement.Origin.REPORTED)
    assert all(cid.startswith("demo:") for cid in reported.values_list("client_id", flat=True))
    assert all(cid.startswith("demo:") for cid in interactions.values_list("client_id", flat=True))
    for model in (Account, Contact, Interaction, MilestoneAchievement, AccountStage):
        assert not model.objects.filter(workspace=other).exists()


def test_seed_demo_twice_changes_nothing():
    run("--accounts", "25")
    before = snapshot()

    out = run("--accounts", "25")

    assert snapshot() == before
    assert "Accounts: 0 created, 25 already present" in out
    assert "Interactions: 0 created, " in out
    assert "Achievements: 0 created, " in out
    assert "Contacts: 0 created, " in out
    assert "Derived from the activity: 0 rule milestone achievements and 0 current stages" in out
    assert "updated" not in out


def test_a_run_on_a_later_day_stores_nothing_twice():
    workspace = seeded_catalogue()
    now = timezone.now()
    activity.seed_activity(workspace=workspace, accounts=15, now=now - timedelta(days=5))
    before = snapshot()

    report = activity.seed_activity(workspace=workspace, accounts=15, now=now)

    assert snapshot() == before
    assert {label: tally.created for label, tally in report.tallies.items()} == {
        "Accounts": 0,
        "Interactions": 0,
        "Achievements": 0,
        "Feedback responses": 0,
        "Contacts": 0,
    }
    assert report.tallies["Interactions"].present == Interaction.objects.count()


def test_more_accounts_extend_a_smaller_run():
    workspace = seeded_catalogue()
    activity.seed_activity(workspace=workspace, accounts=10)
    before = snapshot()

    report = activity.seed_activity(workspace=workspace, accounts=15)

    assert report.tallies["Accounts"].created == 5
    assert report.tallies["Accounts"].present == 10
    after = snapshot()
    for label, rows in before.items():
        if label == "accounts.AccountStage":
            continue  # recomputed for all accounts; unchanged ones are left alone
        assert after[label][: len(rows)] == rows, label


def test_the_generator_is_deterministic():
    workspace = seeded_catalogue()
    plans, catalogue = activity.load_plans(workspace)

    first = activity.generate(plans, catalogue, 12)
    again = activity.generate(plans, catalogue, 12)
    fewer = activity.generate(plans, catalogue, 5)

    assert first == again
    assert first[:5] == fewer
    assert len({spec.ref.domain for spec in first}) == 12
    assert len({c.ref.email for spec in first for c in spec.contacts}) == sum(
        len(spec.contacts) for spec in first
    )


def test_no_activity_writes_no_accounts():
    out = run("--no-activity")

    assert Persona.objects.filter(workspace=demo_workspace()).count() == 3
    assert not Account.objects.exists()
    assert not Interaction.objects.exists()
    assert "Accounts:" not in out
    assert "Derived" not in out


def test_negative_accounts_are_refused():
    with pytest.raises(CommandError, match="--accounts"):
        run("--accounts", "-1")


def test_activity_failure_rolls_everything_back(monkeypatch):
    def reject(*args, **kwargs):
        raise activity.DemoSeedError("1 items rejected")

    monkeypatch.setattr(activity, "_write_contacts", reject)

    with pytest.raises(CommandError, match="Could not seed the demo activity: 1 items rejected"):
        run("--accounts", "5")

    assert not Workspace.objects.exists()
    assert not Account.objects.exists()
    assert not Interaction.objects.exists()


@pytest.mark.slow
def test_full_demo_seed():
    run()

    workspace = demo_workspace()
    accounts = Account.objects.filter(workspace=workspace)
    interactions = Interaction.objects.filter(workspace=workspace)
    achievements = MilestoneAchievement.objects.filter(workspace=workspace)
    assert accounts.count() == activity.DEFAULT_ACCOUNTS
    assert 2000 <= interactions.count() <= 6000
    assert 250 <= achievements.count() <= 1000
    assert 300 <= Contact.objects.filter(workspace=workspace).count() <= 1000

    # 12-18 months of history, ending yesterday.
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    oldest = interactions.order_by("occurred_at").first().occurred_at
    newest = interactions.order_by("-occurred_at").first().occurred_at
    assert timedelta(days=365) < midnight - oldest <= timedelta(days=541)
    assert midnight - newest < timedelta(days=3)

    # Every persona converts; conversions of all three kinds, with values.
    keys = Counter(achievements.values_list("milestone__key", flat=True))
    assert {key for key in keys if keys[key] > 0} == {spec["key"] for spec in demo.MILESTONES}
    assert 40 <= keys["paid-plan-purchased"] <= 100
    for key in ("renewal", "expansion"):
        assert keys[key] >= 5, key
    # Churn: customers past their first anniversary without a renewal.
    year_ago = midnight - timedelta(days=372)
    due = set(
        achievements.filter(
            milestone__key="paid-plan-purchased", occurred_at__lt=year_ago
        ).values_list("account_id", flat=True)
    )
    renewed = set(
        achievements.filter(milestone__key="renewal").values_list("account_id", flat=True)
    )
    assert len(due - renewed) >= 5
    assert len(due & renewed) >= 5

    # Map fit: off-map touches, unused placed touchpoints, milestones out of stage order.
    published = JourneyMap.objects.filter(workspace=workspace, status=JourneyMap.Status.PUBLISHED)
    for journey_map in published:
        placed = set(
            StageTouchpoint.objects.filter(stage__journey_map=journey_map).values_list(
                "touchpoint__key", flat=True
            )
        )
        used = set(
            interactions.filter(account__persona=journey_map.persona).values_list(
                "touchpoint__key", flat=True
            )
        )
        assert used - placed, journey_map.name
        assert placed - used == activity.DORMANT[journey_map.persona.key], journey_map.name
    position = {
        (persona, milestone): stage
        for persona, milestone, stage in StageMilestone.objects.filter(
            journey_map__in=published
        ).values_list("journey_map__persona_id", "milestone_id", "stage__position")
    }
    sequences: dict[int, list[int]] = {}
    for account, persona, milestone in achievements.order_by("occurred_at").values_list(
        "account_id", "account__persona_id", "milestone_id"
    ):
        if (persona, milestone) in position:
            sequences.setdefault(account, []).append(position[(persona, milestone)])
    out_of_order = [s for s in sequences.values() if any(a > b for a, b in pairwise(s))]
    assert 5 <= len(out_of_order) <= 40
    assert Milestone.objects.filter(workspace=workspace).count() == len(demo.MILESTONES)


def test_demo_customers_say_something_at_every_instrument():
    workspace = seeded_catalogue()
    report = activity.seed_activity(workspace=workspace, accounts=SMALL)
    responses = FeedbackResponse.objects.filter(workspace=workspace)
    assert report.tallies["Feedback responses"].created == responses.count()
    instruments = set(responses.values_list("instrument", flat=True))
    assert instruments == {"nps", "csat", "ces", "rating", "text"}
    assert responses.exclude(comment="").exists()
    assert not responses.filter(occurred_at__gte=activity.anchor_of(timezone.now())).exists()
