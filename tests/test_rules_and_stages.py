"""Rule-derived milestones, current stages, and the tasks that keep them up to date."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django_q.models import Schedule

from accounts.identity import AccountRef, ContactRef
from accounts.ingestion import (
    AchievementItem,
    InteractionItem,
    interactions_ingest,
    milestones_record,
)
from accounts.models import AccountStage, MilestoneAchievement
from accounts.rules import derive_rule_milestones, rule_client_id
from accounts.schedules import NIGHTLY_ACTIVITY, NIGHTLY_FUNC, install_schedules
from accounts.stages import recompute_stages
from accounts.tasks import (
    enqueue_workspace_processing,
    process_activity,
    process_all_activity,
)
from journeys.models import JourneyMap
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InteractionFactory,
    JourneyMapFactory,
    MilestoneAchievementFactory,
    MilestoneFactory,
    PersonaFactory,
    StageFactory,
    StageMilestoneFactory,
    TouchpointFactory,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Origin = MilestoneAchievement.Origin


def days(n: float) -> timedelta:
    return timedelta(days=n)


# Rule-derived milestones ------------------------------------------------------------------


@pytest.fixture
def invited(workspace):
    return TouchpointFactory(workspace=workspace, key="user-invited")


@pytest.fixture
def team_formed(workspace, invited):
    """Three invitations within seven days."""
    return MilestoneFactory(
        workspace=workspace,
        key="team-formed",
        value=Decimal("250.00"),
        rule={"touchpoint": "user-invited", "min_count": 3, "within_days": 7},
    )


def touch(account, touchpoint, *offsets, contact=None):
    return [
        InteractionFactory(
            account=account, touchpoint=touchpoint, occurred_at=T0 + offset, contact=contact
        )
        for offset in offsets
    ]


def rule_rows(milestone=None):
    rows = MilestoneAchievement.objects.filter(origin=Origin.RULE)
    if milestone is not None:
        rows = rows.filter(milestone=milestone)
    return list(rows.order_by("account_id"))


def test_exactly_n_within_d_days_is_achieved_at_the_nth(workspace, invited, team_formed):
    account = AccountFactory(workspace=workspace)
    contact = ContactFactory(account=account)
    touch(account, invited, days(0), days(2))
    touch(account, invited, days(7), contact=contact)  # exactly seven days after the first
    touch(account, invited, days(8))

    assert derive_rule_milestones(workspace=workspace) == 1

    [row] = rule_rows()
    assert (row.account, row.milestone, row.occurred_at) == (account, team_formed, T0 + days(7))
    assert row.client_id == rule_client_id(team_formed.pk, account.pk)
    assert row.value == Decimal("250.00")
    assert row.contact == contact
    assert row.workspace == workspace


def test_n_spread_over_more_than_d_days_is_not_achieved(workspace, invited, team_formed):
    account = AccountFactory(workspace=workspace)
    touch(account, invited, days(0), days(2), days(7) + timedelta(seconds=1))
    touch(account, invited, days(20), days(28))  # every 3 consecutive span more than 7 days

    assert derive_rule_milestones(workspace=workspace) == 0
    assert rule_rows() == []


def test_a_later_burst_is_achieved_at_its_nth(workspace, invited, team_formed):
    account = AccountFactory(workspace=workspace)
    other = TouchpointFactory(workspace=workspace)
    touch(account, invited, days(0), days(5), days(13))  # 13 days from first to third
    touch(account, other, days(14), days(14.5), days(15))  # other touchpoints do not count
    touch(account, invited, days(40), days(41), days(46), days(47))

    derive_rule_milestones(workspace=workspace)

    assert [r.occurred_at for r in rule_rows()] == [T0 + days(46)]


def test_accounts_are_matched_separately(workspace, invited, team_formed):
    first, second, idle = AccountFactory.create_batch(3, workspace=workspace)
    touch(first, invited, days(0), days(1), days(2))
    touch(second, invited, days(1), days(3))
    touch(first, invited, days(4))
    touch(second, invited, days(9))  # days 1 to 9: eight days
    touch(second, invited, days(10))  # days 3 to 10: seven days
    touch(idle, invited, days(0), days(1))

    assert derive_rule_milestones(workspace=workspace) == 2

    assert [(r.account, r.occurred_at) for r in rule_rows()] == [
        (first, T0 + days(2)),
        (second, T0 + days(10)),
    ]


def test_equal_timestamps_are_ordered_by_id(workspace, invited, team_formed):
    account = AccountFactory(workspace=workspace)
    contacts = ContactFactory.create_batch(4, account=account)
    for contact in contacts:
        touch(account, invited, days(3), contact=contact)

    derive_rule_milestones(workspace=workspace)

    [row] = rule_rows()
    assert row.occurred_at == T0 + days(3)
    assert row.contact == contacts[2]  # the third by id


def test_a_single_touch_rule(workspace, invited):
    milestone = MilestoneFactory(
        workspace=workspace, rule={"touchpoint": "user-invited", "min_count": 1, "within_days": 1}
    )
    account = AccountFactory(workspace=workspace)
    touch(account, invited, days(9), days(4), days(6))

    derive_rule_milestones(workspace=workspace)

    assert [(r.milestone, r.occurred_at, r.value) for r in rule_rows()] == [
        (milestone, T0 + days(4), None)
    ]


def test_rerunning_changes_nothing(workspace, invited, team_formed):
    account = AccountFactory(workspace=workspace)
    touch(account, invited, days(0), days(1), days(2), days(3))
    assert derive_rule_milestones(workspace=workspace, account_ids=[account.pk]) == 1
    before = rule_rows()

    assert derive_rule_milestones(workspace=workspace, account_ids=[account.pk]) == 0
    assert derive_rule_milestones(workspace=workspace) == 0

    after = rule_rows()
    assert [(r.pk, r.occurred_at, r.received_at) for r in after] == [
        (r.pk, r.occurred_at, r.received_at) for r in before
    ]


def test_late_earlier_interactions_move_the_achievement(workspace, invited, team_formed):
    account = AccountFactory(workspace=workspace)
    touch(account, invited, days(10), days(11), days(12))
    derive_rule_milestones(workspace=workspace)
    assert [r.occurred_at for r in rule_rows()] == [T0 + days(12)]

    touch(account, invited, days(0), days(1), days(2))  # backfilled history
    assert derive_rule_milestones(workspace=workspace) == 1

    assert [r.occurred_at for r in rule_rows()] == [T0 + days(2)]


def test_a_tightened_rule_removes_what_no_longer_holds(workspace, invited, team_formed):
    account = AccountFactory(workspace=workspace)
    touch(account, invited, days(0), days(1), days(2))
    reported = MilestoneAchievementFactory(account=account, milestone=team_formed)
    derive_rule_milestones(workspace=workspace)
    assert len(rule_rows()) == 1

    team_formed.rule = {"touchpoint": "user-invited", "min_count": 4, "within_days": 7}
    team_formed.save()
    assert derive_rule_milestones(workspace=workspace) == 1

    assert rule_rows() == []
    assert MilestoneAchievement.objects.get() == reported  # reported ones stay


def test_a_rule_on_an_unknown_touchpoint_is_skipped(workspace, invited, team_formed):
    account = AccountFactory(workspace=workspace)
    touch(account, invited, days(0), days(1), days(2))
    derive_rule_milestones(workspace=workspace)
    invited.key = "invitation-sent"
    invited.save()

    assert derive_rule_milestones(workspace=workspace) == 0
    assert len(rule_rows()) == 1


def test_one_rule_achievement_per_account_after_a_merge(workspace, invited, team_formed):
    account = AccountFactory(workspace=workspace)
    touch(account, invited, days(0), days(1), days(2))
    # What a merge leaves behind: the merged-away account's rule achievement.
    MilestoneAchievementFactory(
        account=account,
        milestone=team_formed,
        origin=Origin.RULE,
        occurred_at=T0 + days(5),
        client_id=rule_client_id(team_formed.pk, account.pk + 1000),
    )

    derive_rule_milestones(workspace=workspace)

    [row] = rule_rows()
    assert (row.client_id, row.occurred_at) == (
        rule_client_id(team_formed.pk, account.pk),
        T0 + days(2),
    )


def test_other_workspaces_accounts_are_ignored(workspace, other_workspace, invited, team_formed):
    theirs = AccountFactory(workspace=other_workspace)
    their_touchpoint = TouchpointFactory(workspace=other_workspace, key="user-invited")
    touch(theirs, their_touchpoint, days(0), days(1), days(2))

    assert derive_rule_milestones(workspace=workspace, account_ids=[theirs.pk]) == 0
    assert rule_rows() == []


def test_accounts_are_processed_in_batches(workspace, invited, team_formed, monkeypatch):
    monkeypatch.setattr("accounts.batches.BATCH_SIZE", 2)
    accounts = AccountFactory.create_batch(5, workspace=workspace)
    for account in accounts:
        touch(account, invited, days(0), days(1), days(2))

    assert derive_rule_milestones(workspace=workspace) == 5
    assert derive_rule_milestones(workspace=workspace, account_ids=[a.pk for a in accounts]) == 0
    assert len(rule_rows()) == 5


# Current stages ---------------------------------------------------------------------------


class Journey:
    """A persona's published map: three stages, each with its own exit milestone."""

    def __init__(self, workspace, persona=None, status=JourneyMap.Status.PUBLISHED):
        self.persona = persona or PersonaFactory(workspace=workspace)
        self.map = JourneyMapFactory(workspace=workspace, persona=self.persona, status=status)
        # Positions with a gap, created out of order: the order is the positions'.
        third = StageFactory(journey_map=self.map, position=30)
        first = StageFactory(journey_map=self.map, position=10)
        second = StageFactory(journey_map=self.map, position=20)
        self.stages = [first, second, third]
        self.exits = [
            StageMilestoneFactory(stage=stage, journey_map=self.map).milestone
            for stage in self.stages
        ]

    def account(self, **fields):
        return AccountFactory(workspace=self.map.workspace, persona=self.persona, **fields)


def achieve(account, milestone, offset):
    return MilestoneAchievementFactory(
        account=account, milestone=milestone, occurred_at=T0 + offset
    )


def current(account):
    return [(row.journey_map, row.stage, row.entered_at) for row in account.stages.all()]


@pytest.fixture
def journey(workspace):
    return Journey(workspace)


def test_activity_without_exit_milestones_is_the_first_stage(workspace, journey):
    seen = journey.account(first_seen_at=T0 + days(1))
    unseen = journey.account()  # first_seen_at not set: the first interaction counts
    touch(unseen, TouchpointFactory(workspace=workspace), days(4), days(3))
    other = MilestoneFactory(workspace=workspace)
    achieve(unseen, other, days(5))  # not an exit milestone of the map

    assert recompute_stages(workspace=workspace) == 2

    assert current(seen) == [(journey.map, journey.stages[0], T0 + days(1))]
    assert current(unseen) == [(journey.map, journey.stages[0], T0 + days(3))]


def test_an_account_without_activity_has_no_stage(workspace, journey):
    account = journey.account()
    recompute_stages(workspace=workspace)
    assert current(account) == []


def test_an_exit_milestone_moves_to_the_next_stage(workspace, journey):
    account = journey.account(first_seen_at=T0)
    achieve(account, journey.exits[1], days(4))

    recompute_stages(workspace=workspace)

    assert current(account) == [(journey.map, journey.stages[2], T0 + days(4))]


@pytest.mark.parametrize(
    ("achievements", "stage", "entered"),
    [
        ([(0, days(2))], 1, days(2)),
        ([(0, days(2)), (1, days(5))], 2, days(5)),
        ([(1, days(2)), (0, days(5))], 2, days(2)),  # out of order: the furthest counts
        ([(0, days(2)), (0, days(1))], 1, days(1)),  # reached twice: the first time
        ([(2, days(3))], 2, days(3)),  # the last stage's exit: stays in the last stage
        ([(1, days(4)), (2, days(3))], 2, days(3)),  # in the last stage since day 3
        ([(1, days(2)), (2, days(3))], 2, days(2)),
    ],
)
def test_the_furthest_stage_reached(workspace, journey, achievements, stage, entered):
    account = journey.account(first_seen_at=T0)
    for index, offset in achievements:
        achieve(account, journey.exits[index], offset)

    recompute_stages(workspace=workspace)

    assert current(account) == [(journey.map, journey.stages[stage], T0 + entered)]


def test_accounts_without_a_published_map_have_no_stage(workspace, journey):
    no_persona = AccountFactory(workspace=workspace, first_seen_at=T0)
    draft = Journey(workspace, status=JourneyMap.Status.DRAFT)
    drafted = draft.account(first_seen_at=T0)
    no_map = AccountFactory(
        workspace=workspace, persona=PersonaFactory(workspace=workspace), first_seen_at=T0
    )

    assert recompute_stages(workspace=workspace) == 0

    assert [current(a) for a in (no_persona, drafted, no_map)] == [[], [], []]


def test_map_and_persona_changes_update_the_rows(workspace, journey):
    account = journey.account(first_seen_at=T0)
    achieve(account, journey.exits[0], days(1))
    recompute_stages(workspace=workspace)
    assert current(account) == [(journey.map, journey.stages[1], T0 + days(1))]

    journey.map.status = JourneyMap.Status.ARCHIVED
    journey.map.save()
    assert recompute_stages(workspace=workspace) == 1
    assert current(account) == []

    # A new map is published for the persona, where that milestone exits the only stage:
    # the account has been in that stage since its first activity.
    successor = JourneyMapFactory(workspace=workspace, persona=journey.persona, status="published")
    only = StageFactory(journey_map=successor, position=1)
    StageMilestoneFactory(stage=only, journey_map=successor, milestone=journey.exits[0])
    recompute_stages(workspace=workspace)
    assert current(account) == [(successor, only, T0)]

    # The account moves to another persona, and back.
    other = Journey(workspace)
    account.persona = other.persona
    account.save()
    recompute_stages(workspace=workspace, account_ids=[account.pk])
    assert current(account) == [(other.map, other.stages[0], T0)]
    account.persona = journey.persona
    account.save()
    recompute_stages(workspace=workspace, account_ids=[account.pk])
    assert current(account) == [(successor, only, T0)]
    assert AccountStage.objects.count() == 1


def test_rerunning_the_stage_computation_changes_nothing(workspace, journey):
    account = journey.account(first_seen_at=T0)
    achieve(account, journey.exits[0], days(1))
    assert recompute_stages(workspace=workspace) == 1
    row = AccountStage.objects.get()

    assert recompute_stages(workspace=workspace) == 0
    assert recompute_stages(workspace=workspace, account_ids=[account.pk]) == 0
    assert AccountStage.objects.get().updated_at == row.updated_at


def test_stages_of_other_workspaces_are_left_alone(workspace, other_workspace, journey):
    theirs = Journey(other_workspace)
    their_account = theirs.account(first_seen_at=T0)
    recompute_stages(workspace=other_workspace)

    recompute_stages(workspace=workspace, account_ids=[their_account.pk])
    recompute_stages(workspace=workspace)

    assert current(their_account) == [(theirs.map, theirs.stages[0], T0)]


def test_stage_queries_do_not_grow_with_accounts(
    workspace, journey, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr("accounts.batches.BATCH_SIZE", 100)

    def accounts(n):
        created = []
        for i in range(n):
            account = journey.account(first_seen_at=T0)
            achieve(account, journey.exits[i % 3], days(i % 5))
            achieve(account, journey.exits[(i + 1) % 3], days(i % 7))
            created.append(account)
        # An account whose stage changes and one whose row goes away.
        AccountStage.objects.create(
            workspace=workspace,
            account=created[0],
            journey_map=journey.map,
            stage=journey.stages[0],
            entered_at=T0,
        )
        gone = AccountFactory(workspace=workspace)
        AccountStage.objects.create(
            workspace=workspace,
            account=gone,
            journey_map=journey.map,
            stage=journey.stages[0],
            entered_at=T0,
        )
        return [a.pk for a in created] + [gone.pk]

    few, many = accounts(1), accounts(40)
    with django_assert_max_num_queries(12) as one:
        recompute_stages(workspace=workspace, account_ids=few)
    with django_assert_max_num_queries(12) as forty:
        assert recompute_stages(workspace=workspace, account_ids=many) == 41
    assert len(forty.captured_queries) == len(one.captured_queries)
    assert AccountStage.objects.filter(account_id__in=many).count() == 40


def test_rule_queries_do_not_grow_with_accounts(
    workspace, invited, team_formed, django_assert_max_num_queries
):
    def accounts(n):
        created = AccountFactory.create_batch(n, workspace=workspace)
        for i, account in enumerate(created):
            touch(account, invited, days(0), days(1), days(2 + 10 * (i % 2)))
        return [a.pk for a in created]

    few, many = accounts(1), accounts(40)
    with django_assert_max_num_queries(12) as one:
        derive_rule_milestones(workspace=workspace, account_ids=few)
    with django_assert_max_num_queries(12) as forty:
        assert derive_rule_milestones(workspace=workspace, account_ids=many) == 20
    assert len(forty.captured_queries) == len(one.captured_queries)


# Tasks and schedule -----------------------------------------------------------------------


def test_ingestion_derives_milestones_and_stages(
    workspace, journey, invited, team_formed, django_capture_on_commit_callbacks
):
    # Forming a team exits the first stage.
    StageMilestoneFactory(stage=journey.stages[0], journey_map=journey.map, milestone=team_formed)
    account = journey.account(domain="acme.com")
    items = [
        InteractionItem(
            client_id=f"evt-{i}",
            touchpoint="user-invited",
            occurred_at=(T0 + days(i)).isoformat(),
            account=AccountRef(domain="acme.com"),
            contact=ContactRef(email=f"user{i}@acme.com"),
        )
        for i in range(3)
    ]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = interactions_ingest(workspace=workspace, items=items)

    assert report.account_ids == {account.pk}
    assert len(callbacks) == 1
    [row] = rule_rows()
    assert (row.account, row.occurred_at, row.value) == (account, T0 + days(2), Decimal("250.00"))
    assert row.contact.email == "user2@acme.com"
    assert current(account) == [(journey.map, journey.stages[1], T0 + days(2))]

    # A replay of the same batch changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        interactions_ingest(workspace=workspace, items=items)
    assert process_activity(workspace.pk, [account.pk]) == {
        "personas": 0,
        "achievements": 0,
        "stages": 0,
    }
    assert len(rule_rows()) == 1


def test_a_recorded_exit_milestone_moves_the_account(
    workspace, journey, django_capture_on_commit_callbacks
):
    account = journey.account(domain="acme.com", first_seen_at=T0)
    item = AchievementItem(
        client_id="deal-1",
        milestone=journey.exits[1].key,
        occurred_at=(T0 + days(3)).isoformat(),
        account=AccountRef(domain="acme.com"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        milestones_record(workspace=workspace, items=[item])

    assert current(account) == [(journey.map, journey.stages[2], T0 + days(3))]


def test_a_workspace_can_be_reprocessed_after_commit(
    workspace, journey, django_capture_on_commit_callbacks
):
    account = journey.account(first_seen_at=T0)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue_workspace_processing(workspace.pk)
        assert current(account) == []

    assert len(callbacks) == 1
    assert current(account) == [(journey.map, journey.stages[0], T0)]


def test_the_nightly_run_covers_every_workspace(workspace, other_workspace):
    mine, theirs = Journey(workspace), Journey(other_workspace)
    accounts = [mine.account(first_seen_at=T0), theirs.account(first_seen_at=T0)]

    assert process_all_activity() == 2

    assert [len(current(a)) for a in accounts] == [1, 1]


def test_processing_a_deleted_workspace_does_nothing(workspace):
    workspace_id = workspace.pk
    workspace.delete()
    assert process_activity(workspace_id, [1, 2]) == {"personas": 0, "achievements": 0, "stages": 0}


def test_the_nightly_schedule_is_installed_once(db):
    [schedule] = Schedule.objects.filter(name=NIGHTLY_ACTIVITY)  # by post_migrate
    assert (schedule.func, schedule.schedule_type, schedule.cron) == (
        NIGHTLY_FUNC,
        Schedule.CRON,
        "0 2 * * *",
    )
    assert schedule.repeats == -1
    assert (schedule.next_run.hour, schedule.next_run.minute) == (2, 0)

    schedule.cron = "5 5 * * *"
    schedule.save()
    Schedule.objects.create(name=NIGHTLY_ACTIVITY, func=NIGHTLY_FUNC)  # a stray copy
    install_schedules()
    install_schedules()

    [again] = Schedule.objects.filter(name=NIGHTLY_ACTIVITY)
    assert (again.pk, again.cron, again.next_run) == (schedule.pk, "0 2 * * *", schedule.next_run)


def test_map_design_changes_reprocess_the_workspace(
    workspace, journey, django_capture_on_commit_callbacks
):
    from journeys import services as journey_services

    account = journey.account(first_seen_at=T0)
    achieve(account, journey.exits[0], days(2))
    recompute_stages(workspace=workspace)
    assert current(account) == [(journey.map, journey.stages[1], T0 + days(2))]
    draft = journey_services.journey_map_draft_from_published(journey_map=journey.map)
    first = draft.stages.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        journey_services.stage_milestones_set(stage=first, milestones=[])
    # Editing a draft moves nobody.
    assert current(account) == [(journey.map, journey.stages[1], T0 + days(2))]
    with django_capture_on_commit_callbacks(execute=True):
        journey_services.journey_map_publish(journey_map=draft)
    # Without an exit milestone of the new version reached, the account is in its first stage.
    assert current(account) == [(draft, first, T0)]

    with django_capture_on_commit_callbacks(execute=True):
        journey_services.journey_map_archive(journey_map=draft)
    assert current(account) == []


def test_draft_edits_reprocess_nothing(workspace, journey, django_capture_on_commit_callbacks):
    from journeys import services as journey_services

    draft = JourneyMapFactory(workspace=workspace, persona=journey.persona)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        journey_services.stage_create(journey_map=draft, name="Draft stage")
    assert callbacks == []


def test_rule_client_ids_are_reserved(workspace, team_formed):
    report = milestones_record(
        workspace=workspace,
        items=[AchievementItem("rule:1:1", team_formed.key, T0, AccountRef(domain="a.io"))],
    )
    assert [(e.field, e.code) for r in report.items for e in r.errors] == [("clientId", "reserved")]
