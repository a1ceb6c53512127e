"""Small worlds for attribution tests: touchpoints, accounts, touches, conversions."""

from datetime import UTC, datetime, timedelta

from accounts.models import Account, Interaction, MilestoneAchievement
from analytics.attribution.compute import compute_attribution
from analytics.attribution.parameters import parse_parameters
from analytics.registry import RunContext
from journeys.models import Milestone, Touchpoint

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def day(days: float, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


class World:
    """A workspace's catalogue and events, written with bulk inserts (fast enough for
    hypothesis) and attributed with the real engine."""

    def __init__(self, workspace, channels: dict[str, str] | None = None):
        self.workspace = workspace
        self.touchpoints: dict[str, Touchpoint] = {}
        for key, channel in (channels or {}).items():
            self.touchpoint(key, channel)
        self.won = self.milestone("won", is_conversion=True)
        self.lead = self.milestone("lead")
        self.opp = self.milestone("opp")
        self.accounts: dict[str, Account] = {}
        self._events = 0

    def touchpoint(self, key: str, channel: str = "web") -> Touchpoint:
        tp = Touchpoint.objects.create(
            workspace=self.workspace, key=key, name=key.title(), channel=channel, phase="purchase"
        )
        self.touchpoints[key] = tp
        return tp

    def milestone(self, key: str, **fields) -> Milestone:
        return Milestone.objects.create(workspace=self.workspace, key=key, name=key, **fields)

    def account(self, name: str, persona=None) -> Account:
        if name not in self.accounts:
            self.accounts[name] = Account.objects.create(
                workspace=self.workspace, name=name, persona=persona
            )
        return self.accounts[name]

    def _client_id(self) -> str:
        self._events += 1
        return f"event-{self._events}"

    def touch_row(self, account: str, touchpoint: str, at, campaign="", received=None):
        return Interaction(
            workspace=self.workspace,
            account=self.account(account),
            touchpoint=self.touchpoints[touchpoint],
            occurred_at=at,
            received_at=received or at,
            campaign=campaign,
            client_id=self._client_id(),
        )

    def touch(self, account: str, touchpoint: str, at, campaign="", received=None):
        row = self.touch_row(account, touchpoint, at, campaign, received)
        row.save()
        return row

    def touches(self, rows):
        return Interaction.objects.bulk_create(rows)

    def reach_row(self, account: str, at, value=None, milestone=None, received=None):
        return MilestoneAchievement(
            workspace=self.workspace,
            account=self.account(account),
            milestone=milestone or self.won,
            occurred_at=at,
            received_at=received or at,
            value=value,
            client_id=self._client_id(),
        )

    def reach(self, account: str, at, value=None, milestone=None, received=None):
        row = self.reach_row(account, at, value, milestone, received)
        row.save()
        return row

    def convert(self, account: str, at, value=None, received=None):
        return self.reach(account, at, value, self.won, received)

    def run(self, cutoff=None, progress=None, **parameters) -> dict:
        complete = parse_parameters(self.workspace, parameters)
        context = RunContext(
            self.workspace, complete, cutoff or day(3650), progress or (lambda percent: None)
        )
        return compute_attribution(context)


def model(result: dict, name: str) -> dict:
    return next(entry for entry in result["models"] if entry["model"] == name)


def credits(result: dict, name: str, dimension: str) -> dict[str, float]:
    """key -> conversions credited."""
    return {
        row["key"]: row["conversions"]
        for row in model(result, name)["rows"]
        if row["dimension"] == dimension
    }


def values(result: dict, name: str, dimension: str) -> dict[str, float]:
    return {
        row["key"]: row["value"]
        for row in model(result, name)["rows"]
        if row["dimension"] == dimension
    }


def rows(result: dict, name: str, dimension: str) -> dict[str, dict]:
    return {row["key"]: row for row in model(result, name)["rows"] if row["dimension"] == dimension}
