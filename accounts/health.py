"""Journey health: how an account is doing in its current stage.

From the time the account entered its stage, the stage's expected duration and the
account's last activity (its latest interaction or achievement), with the workspace's
thresholds (JourneyHealthPolicy; defaults below when it has none):

- due_at is entered_at plus the expected duration (none without one);
- BEHIND once now is past due_at, or after `behind_idle_days` without activity;
- STUCK once the time in stage exceeds `stuck_duration_factor` times the expected
  duration, or after `stuck_idle_days` without activity;
- ON_TRACK otherwise. An account that has reached an exit milestone of the map's last
  stage has finished the journey: it is ON_TRACK, with no due date.

`status_since` is when the status began: the moment the threshold that makes it BEHIND or
STUCK was crossed, or for ON_TRACK the later of entering the stage and the last activity.
The activity task recomputes health whenever an account's activity changes, and the
nightly run for everyone (time alone moves accounts from ON_TRACK to BEHIND to STUCK);
the recorded change carries the moment it took effect, not the moment it was noticed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from accounts.models import HealthStatus, JourneyHealthPolicy
from workspaces.models import Workspace
from workspaces.services import validated_save

DEFAULT_STUCK_DURATION_FACTOR = Decimal(2)
DEFAULT_BEHIND_IDLE_DAYS = 14
DEFAULT_STUCK_IDLE_DAYS = 30


@dataclass(frozen=True)
class Thresholds:
    stuck_duration_factor: Decimal = DEFAULT_STUCK_DURATION_FACTOR
    behind_idle_days: int = DEFAULT_BEHIND_IDLE_DAYS
    stuck_idle_days: int = DEFAULT_STUCK_IDLE_DAYS


RANK = {HealthStatus.ON_TRACK: 0, HealthStatus.BEHIND: 1, HealthStatus.STUCK: 2}


@dataclass(frozen=True)
class Health:
    status: HealthStatus
    due_at: datetime | None
    since: datetime
    # When the account became (or becomes, without new activity) behind and stuck, and
    # its last activity in the stage: what the recorded history is rebuilt from.
    behind_at: datetime | None = None
    stuck_at: datetime | None = None
    active: datetime | None = None


@transaction.atomic
def journey_health_policy_save(*, policy: JourneyHealthPolicy) -> JourneyHealthPolicy:
    """Save a workspace's thresholds and recompute its accounts' health after commit."""
    from accounts.tasks import enqueue_workspace_processing

    validated_save(policy)
    enqueue_workspace_processing(policy.workspace_id)
    return policy


def workspace_thresholds(workspace: Workspace) -> Thresholds:
    """The workspace's thresholds, or the defaults when it has set none."""
    policy = JourneyHealthPolicy.objects.filter(workspace=workspace).first()
    if policy is None:
        return Thresholds()
    return Thresholds(
        stuck_duration_factor=policy.stuck_duration_factor,
        behind_idle_days=policy.behind_idle_days,
        stuck_idle_days=policy.stuck_idle_days,
    )


def assess(
    *,
    entered_at: datetime,
    expected_days: int | None,
    last_activity: datetime | None,
    now: datetime,
    thresholds: Thresholds,
    finished: bool = False,
) -> Health:
    """The health of an account that entered its stage at `entered_at`."""
    if finished:
        return Health(HealthStatus.ON_TRACK, None, entered_at)
    active = max(entered_at, last_activity) if last_activity else entered_at
    behind_at = [active + timedelta(days=thresholds.behind_idle_days)]
    stuck_at = [active + timedelta(days=thresholds.stuck_idle_days)]
    due_at = None
    if expected_days is not None:
        due_at = entered_at + timedelta(days=expected_days)
        behind_at.append(due_at)
        stuck_seconds = float(thresholds.stuck_duration_factor) * expected_days * 86400
        stuck_at.append(entered_at + timedelta(seconds=stuck_seconds))
    # "Past" a threshold means strictly after it: at due_at itself the account is on time.
    marks = {"behind_at": min(behind_at), "stuck_at": min(stuck_at), "active": active}
    if now > marks["stuck_at"]:
        return Health(HealthStatus.STUCK, due_at, marks["stuck_at"], **marks)
    if now > marks["behind_at"]:
        return Health(HealthStatus.BEHIND, due_at, marks["behind_at"], **marks)
    return Health(HealthStatus.ON_TRACK, due_at, active, **marks)


def transitions(
    *,
    previous: HealthStatus | None,
    previous_since: datetime | None,
    entered: bool,
    entered_at: datetime,
    health: Health,
) -> list[tuple[HealthStatus, datetime]]:
    """The status changes (status, when it took effect) that lead from the previous status
    to `health`, in order - also the steps a recompute did not see happen: an account found
    stuck was behind before, from its behind threshold on. `entered`: the account is new in
    the stage (then it started on track when it entered)."""
    steps: list[tuple[HealthStatus, datetime]] = []
    if entered:
        steps.append((HealthStatus.ON_TRACK, entered_at))
        previous, previous_since = HealthStatus.ON_TRACK, entered_at
    if previous == health.status:
        return steps
    if RANK[health.status] > RANK[previous]:  # worse: each threshold in turn
        if health.status == HealthStatus.STUCK and previous == HealthStatus.ON_TRACK:
            steps.append((HealthStatus.BEHIND, health.behind_at))
        steps.append((health.status, health.since))
    else:  # better: the activity that rescued it
        steps.append((health.status, health.active or health.since))
    floor = previous_since or entered_at
    clipped = []
    for status, moment in steps:
        floor = max(floor, moment)
        clipped.append((status, floor))
    return clipped
